"""Event definitions and event logs."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from heymint_models import CreateEventIn, EventOut, LogEventIn, LoggedByIdOut, LoggedOut, LogOut, LogsOut

from questline.auth import SECRET_KEY
from questline.errors import BadRequest, Conflict, NotFound
from questline.events import definitions
from questline.events.ingest import ingest_one
from questline.events.logs import MAX_LIST_LIMIT, LogInput, list_logs
from questline.http import CurrentPrincipal, Routes
from questline.http.json_text import tag_numbers
from questline.identity import identifiers
from questline.identity.graph import partitions_of, read_identity, resolve
from questline.storage.codec import check_client_value, client_json

routes = Routes(tag="heymint")
LOG_ID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


@routes.post(
    "/v1/events",
    errors=(Conflict,),
    auth=SECRET_KEY,
    summary="Create an event (name, slug unique in the entity)",
)
def create_event(body: CreateEventIn, caller: CurrentPrincipal) -> EventOut:
    created = definitions.create_event(str(caller.entity_id), body.name, body.slug)
    return EventOut(id=created["event_id"], slug=created["slug"], name=created["name"])


@routes.post(
    "/v1/events/logs",
    errors=(NotFound,),
    auth=SECRET_KEY,
    summary="Log an event (idempotent by uniqueIdentifier)",
)
def log_event(body: LogEventIn, caller: CurrentPrincipal) -> LoggedOut | LoggedByIdOut:
    entity_id = str(caller.entity_id)
    if body.data is not None:
        check_client_value(body.data, "data")
    event = definitions.event_to_log(
        entity_id, body.eventId, {"eventSlug": body.eventSlug, "slug": body.slug}
    )
    if body.identityId:
        identity = read_identity(entity_id, body.identityId)
    elif body.identityUniqueIdentifier:
        identity = (
            resolve(
                entity_id,
                [identifiers.unique_identifier(body.identityUniqueIdentifier, "identityUniqueIdentifier")],
                need_item=True,
            ).item
            or {}
        )
    else:
        raise BadRequest("identityId is required", field="identityId")
    log = LogInput(  # a HeyMint log's name is its event's slug (what campaign tasks wait for)
        source="heymint",
        event_key=str(event["slug"]),
        name=str(event["slug"]),
        event_id=str(event["event_id"]),
        data=body.data or {},
        unique_key=body.uniqueIdentifier,
    )
    recorded = ingest_one(entity_id, str(identity["identity_id"]), log)
    claimed = bool(identity.get("claimed"))
    if body.eventId:  # body (B) answers logId and identityClaimed
        return LoggedByIdOut(logId=recorded.log_id, identityClaimed=claimed)
    return LoggedOut(logId=recorded.log_id, createdAt=recorded.created_at, identityClaimed=claimed)


def _ids(text: str | None, field: str) -> list[str]:
    values = [v.strip() for v in (text or "").split(",") if v.strip()]
    if len(values) > 25:
        raise BadRequest(f"{field} lists more than 25 ids", field=field)
    return list(dict.fromkeys(values))


@routes.get(
    "/v1/events/logs",
    errors=(NotFound,),
    auth=SECRET_KEY,
    summary="List event logs (by event and/or identity, after an id)",
)
def get_logs(
    caller: CurrentPrincipal,
    eventId: Annotated[str | None, Query(max_length=2000)] = None,
    identityId: Annotated[str | None, Query(max_length=2000)] = None,
    after: Annotated[
        str | None, Query(pattern=LOG_ID_PATTERN, description="the id of the last log seen (a log id)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT)] = 100,
) -> LogsOut:
    entity_id = str(caller.entity_id)
    events = definitions.events_by_id(entity_id, _ids(eventId, "eventId")) if eventId else []
    survivors: dict[str, str] = {}  # every timeline read -> the identity it now belongs to
    for identity_id in _ids(identityId, "identityId"):
        identity = read_identity(entity_id, identity_id)  # a merged id answers for its survivor
        survivors.update(dict.fromkeys(partitions_of(identity), str(identity["identity_id"])))
    partitions = list(survivors)
    page = list_logs(
        entity_id,
        event_keys=[str(e["slug"]) for e in events] or None,
        identity_ids=partitions or None,
        after=after.lower() if after else None,
        limit=limit,
    )
    return LogsOut(logs=[_log_out(item, survivors) for item in page.items], hasMore=page.has_more)


def _log_out(item: dict[str, Any], survivors: dict[str, str]) -> LogOut:
    identity_id = str(item["identity_id"])
    return LogOut(
        id=str(item["log_id"]),
        eventId=item.get("event_id"),
        eventSlug=str(item["event_key"]),
        identityId=survivors.get(identity_id, identity_id),
        uniqueIdentifier=item.get("unique_identifier"),
        source=str(item.get("source", "")),
        data=tag_numbers(client_json(dict(item.get("data") or {}))),
        createdAt=str(item["created_at"]),
    )
