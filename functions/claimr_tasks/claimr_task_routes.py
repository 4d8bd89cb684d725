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
def action_value(body: models.ActionValueIn, caller: CurrentPrincipal) -> models.ClaimrOk:
    entity_id = str(caller.entity_id)
    claimr.campaign_of(entity_id, body.pid, body.env)
    user = claimr.find_user(entity_id, body.account, body.platform, create=True)
    claimr.action_value(entity_id, body.pid, user, body.cid, body.aid, float(body.value), body.env)
    return models.ClaimrOk()


@routes.post(
    "/stream/value", auth=SECRET_KEY, summary="Add a value to every stream_value task bound to a stream"
)
def stream_value(body: models.StreamValueIn, caller: CurrentPrincipal) -> models.ClaimrOk:
    entity_id = str(caller.entity_id)
    claimr.campaign_of(entity_id, body.pid, body.env)
    user = claimr.find_user(entity_id, body.account, body.platform, create=True)
    claimr.stream_value(entity_id, body.pid, user, body.stream, float(body.value), body.env)
    return models.ClaimrOk()


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
        float(body.ts) if body.ts is not None else None,
    )
    return models.ClaimrOk()


@routes.get("/events", auth=SECRET_KEY, summary="A user's custom events, by name and category")
def get_events(
    caller: CurrentPrincipal,
    account: Annotated[str, Query(min_length=1, max_length=256)],
    platform: Annotated[str, Query(min_length=1, max_length=64)],
    pid: Annotated[str, Query(min_length=1, max_length=64)],
    name: Annotated[str | None, Query(max_length=256)] = None,
    category: Annotated[str | None, Query(max_length=256)] = None,
) -> EventsOut:
    entity_id = str(caller.entity_id)
    try:
        user = claimr.find_user(entity_id, account, platform, create=False)
    except NotFound:
        return EventsOut(events=[])  # a user never seen has no events
    found = claimr.events(entity_id, pid, user, account, platform, name, category)
    return EventsOut(events=tag_numbers(found))
