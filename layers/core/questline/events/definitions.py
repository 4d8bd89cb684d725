"""Event definitions (HeyMint): a name and a slug unique within the entity, with an id.

Definitions never change once created, so each container keeps the ones it has read: logging an event by
id or slug costs no read after the first.
"""

from __future__ import annotations

from typing import Any

from questline import clock
from questline.errors import BadRequest, Conflict, NotFound
from questline.ids import new_id
from questline.storage import get_table, keys
from questline.storage.table import ConditionFailed, TxPut, not_exists


def create_event(entity_id: str, name: str, slug: str) -> dict[str, Any]:
    event_id = new_id()
    definition = {
        **keys.event_definition(entity_id, event_id),
        "type": "event_def",
        "entity_id": entity_id,
        "event_id": event_id,
        "name": name,
        "slug": slug,
        "created_at": clock.iso(),
    }
    # The slug item carries the definition too, so logging by slug is one read.
    by_slug = {**definition, **keys.event_slug(entity_id, slug), "type": "event_slug"}
    try:
        get_table().transact_write(
            [TxPut(by_slug, condition=not_exists()), TxPut(definition, condition=not_exists())]
        )
    except ConditionFailed:
        raise Conflict(f"an event with slug {slug!r} already exists", field="slug") from None
    return definition


_known: dict[tuple[str, str, str], dict[str, Any]] = {}  # (entity, "id"|"slug", value) -> definition
_KNOWN_LIMIT = 10_000


def _remember(entity_id: str, definition: dict[str, Any]) -> dict[str, Any]:
    if len(_known) >= _KNOWN_LIMIT:
        _known.clear()
    _known[(entity_id, "id", str(definition["event_id"]))] = definition
    _known[(entity_id, "slug", str(definition["slug"]))] = definition
    return definition


def event_by_slug(entity_id: str, slug: str, *, field: str = "eventSlug") -> dict[str, Any]:
    known = _known.get((entity_id, "slug", slug))
    if known is not None:
        return known
    item = get_table().get(keys.event_slug(entity_id, slug))
    if item is None:
        raise NotFound(f"no event has slug {slug!r}", field=field)
    return _remember(entity_id, item)


def event_by_id(entity_id: str, event_id: str, *, field: str = "eventId") -> dict[str, Any]:
    return events_by_id(entity_id, [event_id], field=field)[0]


def events_by_id(entity_id: str, event_ids: list[str], *, field: str = "eventId") -> list[dict[str, Any]]:
    missing = [e for e in event_ids if (entity_id, "id", e) not in _known]
    if missing:
        for item in get_table().batch_get([keys.event_definition(entity_id, e) for e in missing]):
            _remember(entity_id, item)
    for event_id in event_ids:
        if (entity_id, "id", event_id) not in _known:
            raise NotFound(f"event {event_id} does not exist", field=field)
    return [_known[(entity_id, "id", e)] for e in event_ids]


def event_to_log(entity_id: str, event_id: str | None, slugs: dict[str, str | None]) -> dict[str, Any]:
    """The event a log names, by `eventId` and/or by slug (`slugs`: field -> slug, HeyMint's `eventSlug`
    and its alias `slug`). Every name given must name the same event: two names for two events are a 400
    naming the one that disagrees, never a silent choice."""
    named = [(field, slug) for field, slug in slugs.items() if slug]
    if event_id:
        event = event_by_id(entity_id, event_id)
    elif named:
        event = event_by_slug(entity_id, named[0][1], field=named[0][0])
    else:
        raise BadRequest("eventId or eventSlug is required", field="eventId")
    for field, slug in named:
        if slug != event["slug"]:
            other = "eventId" if event_id else named[0][0]
            raise BadRequest(
                f"{field} names event {slug!r}, but {other} names {event['slug']!r}: send one event",
                field=field,
            )
    return event


def forget_definitions() -> None:
    _known.clear()
