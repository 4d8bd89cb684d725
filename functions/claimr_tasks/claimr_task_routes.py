"""Values, streams and events: what moves a user's tasks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from questline.auth import SECRET_KEY
from questline.errors import NotFound, RuleViolation
from questline.http import CurrentPrincipal, Routes
from questline.http.json_text import ClientJson, tag_numbers
from questline.http.lazy import lazy_import
from questline.http.models import ApiModel
from questline.storage.codec import check_client_value

if TYPE_CHECKING:
    from questline.campaigns import api_models as models
    from questline.campaigns import claimr
else:
    models = lazy_import("questline.campaigns.api_models")
    claimr = lazy_import("questline.campaigns.claimr")

routes = Routes(tag="claimr tasks", errors=(NotFound,))


class EventsOut(ApiModel):
    success: bool = True
    events: list[ClientJson]  # each event's `data` answered exactly as it was sent


@routes.post(
    "/action/value",
    errors=(RuleViolation,),
    auth=SECRET_KEY,
    summary="Set a number_value task's value, or report an api_call task done",
)
def action_value(body: models.ActionValueIn, caller: CurrentPrincipal) -> models.ReportOk:
    report = claimr.action_value(
        str(caller.entity_id),
        body.pid,
        body.account,
        body.platform,
        body.cid,
        body.aid,
        float(body.value),
        body.env,
    )
    return models.ReportOk(data=models.Report.model_validate(report))


@routes.post(
    "/stream/value", auth=SECRET_KEY, summary="Add a value to every stream_value task bound to a stream"
)
def stream_value(body: models.StreamValueIn, caller: CurrentPrincipal) -> models.ReportOk:
    report = claimr.stream_value(
        str(caller.entity_id), body.pid, body.account, body.platform, body.stream, float(body.value), body.env
    )
    return models.ReportOk(data=models.Report.model_validate(report))


@routes.post("/event", auth=SECRET_KEY, summary="Record a custom event (tasks count it; idempotent by id)")
def post_event(body: models.ClaimrEventIn, caller: CurrentPrincipal) -> models.ClaimrOk:
    data = body.data or {}
    check_client_value(data, "data")
    claimr.record_event(
        str(caller.entity_id),
        body.pid,
        body.account,
        body.platform,
        body.name,
        body.id,
        body.category,
        data,
        body.ts,
        body.env,
    )
    return models.ClaimrOk()


@routes.get("/events", auth=SECRET_KEY, summary="A user's custom events, by name and category")
def get_events(
    caller: CurrentPrincipal,
    account: Annotated[str, Query(min_length=1, max_length=256)],
    platform: Annotated[str, Query(min_length=1, max_length=64)],
    pid: Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")],
    name: Annotated[str | None, Query(max_length=256)] = None,
    category: Annotated[str | None, Query(max_length=256)] = None,
    env: Annotated[str | None, Query(max_length=16, description="dev: events sent to the preview")] = None,
) -> EventsOut:
    found = claimr.events(str(caller.entity_id), pid, account, platform, name, category, env)
    return EventsOut(events=tag_numbers(found))
