"""Event logs: every ingested event, from any surface, is one log.

A log lives in its identity's partition (`LOG#{log_id}`) and is listed per event (GSI1) and per entity
(GSI2), all ordered by its UUIDv7 id, so `after=<id>` paging is exact. An idempotency key (HeyMint's
`uniqueIdentifier`, claimr's event `id`) is an item written in the same transaction as the log: a repeat
finds it and answers with the first log, never a second one, with no read first.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final, NamedTuple

from questline import clock
from questline.errors import BadRequest
from questline.ids import new_id
from questline.storage import get_table, keys
from questline.storage.keys import GSI1, GSI2, GSI3
from questline.storage.table import ConditionFailed, TxPut, Update, equals, exists, not_exists

MAX_LIST_LIMIT = 200
_LOG_RANGE_END = keys.LOG_PREFIX + "~"  # sorts after every UUID


class LogInput(NamedTuple):
    source: str  # heymint, parcelvoy, claimr, endu
    event_key: str  # what the log is listed under: the HeyMint slug, or the event's name
    name: str
    data: dict[str, Any]
    event_id: str | None = None  # a HeyMint definition's id
    client_ts: float | None = None  # when the client says it happened (epoch seconds)
    unique_key: str | None = None  # idempotency key
    category: str | None = None  # claimr
    pid: str | None = None  # claimr campaign
    property_id: str | None = None  # Endu


class Recorded(NamedTuple):
    log_id: str
    identity_id: str
    created_at: str
    repeated: bool  # True when an idempotency key matched an earlier log


def _fingerprint(log: LogInput, identity_id: str) -> str:
    content = json.dumps(
        [identity_id, log.name, log.data, log.category, log.pid], sort_keys=True, default=str
    )
    return hashlib.sha256(content.encode()).hexdigest()


def log_item(entity_id: str, identity_id: str, log: LogInput, *, log_id: str | None = None) -> dict[str, Any]:
    log_id = log_id or new_id()
    return {
        **keys.event_log(entity_id, identity_id, log_id),
        **keys.event_log_listings(entity_id, identity_id, log.event_key, log_id),
        "type": "event_log",
        "entity_id": entity_id,
        "log_id": log_id,
        "identity_id": identity_id,
        "event_key": log.event_key,
        "event_id": log.event_id,
        "name": log.name,
        "category": log.category,
        "pid": log.pid,
        "source": log.source,
        "data": log.data,
        "client_ts": log.client_ts,
        "unique_identifier": log.unique_key,
        "property_id": log.property_id,
        "created_at": clock.iso(),
    }


def write_log(entity_id: str, identity_id: str, log: LogInput) -> Recorded:
    """One log: one write, or with an idempotency key one transaction (the key and the log)."""
    item = log_item(entity_id, identity_id, log)
    table = get_table()
    if log.unique_key is None:
        table.put(item)
        return Recorded(item["log_id"], identity_id, item["created_at"], repeated=False)
    marker = {
        **keys.idempotency(entity_id, log.event_key, log.unique_key),
        "type": "idempotency",
        "entity_id": entity_id,
        "log_id": item["log_id"],
        "identity_id": identity_id,
        "created_at": item["created_at"],
        "fingerprint": _fingerprint(log, identity_id),
    }
    try:
        table.transact_write([TxPut(marker, condition=not_exists(), return_old_on_failure=True), TxPut(item)])
    except ConditionFailed as repeat:
        first = repeat.item or table.get(
            keys.idempotency(entity_id, log.event_key, log.unique_key), consistent=True
        )
        assert first is not None
        return Recorded(
            str(first["log_id"]), str(first["identity_id"]), str(first["created_at"]), repeated=True
        )
    return Recorded(item["log_id"], identity_id, item["created_at"], repeated=False)


def write_logs(entity_id: str, logs: Sequence[tuple[str, LogInput]]) -> list[Recorded]:
    """Many logs: those without an idempotency key in batch writes (25 per round trip), the others one
    transaction each. Answers in the order given."""
    results: list[Recorded | None] = [None] * len(logs)
    plain: list[dict[str, Any]] = []
    for index, (identity_id, log) in enumerate(logs):
        if log.unique_key is None:
            item = log_item(entity_id, identity_id, log)
            plain.append(item)
            results[index] = Recorded(item["log_id"], identity_id, item["created_at"], repeated=False)
        else:
            results[index] = write_log(entity_id, identity_id, log)
    if plain:
        get_table().batch_write(puts=plain)
    return [r for r in results if r is not None]


# --- reading ----------------------------------------------------------------------------------------------


MAX_LOG_SOURCES: Final = 100  # (timelines read: identities and the ones merged into them) x events


class LogPage(NamedTuple):
    items: list[dict[str, Any]]
    has_more: bool


def _walk(
    partition: str, *, index: str | None, after: str | None, page_size: int
) -> Iterator[dict[str, Any]]:
    """Every log of one partition after `after`, in id order, read a page at a time as consumed."""
    table = get_table()
    start = None
    while True:
        if index is None:
            low = f"{keys.LOG_PREFIX}{after}" if after else keys.LOG_PREFIX
            page = table.query(partition, between=(low, _LOG_RANGE_END), limit=page_size, start_key=start)
        else:
            page = table.query(partition, index=index, after=after, limit=page_size, start_key=start)
        for item in page.items:
            if item["log_id"] != after:
                yield item
        if page.last_key is None:
            return
        start = page.last_key


def list_logs(
    entity_id: str,
    *,
    event_keys: Sequence[str] | None = None,
    identity_ids: Sequence[str] | None = None,
    after: str | None = None,
    limit: int = 100,
) -> LogPage:
    """Logs ordered by id, optionally of some events and/or identities (each list is an OR), after a
    log id. Every filter is a key condition: an identity's timeline, an event's list (GSI1), the entity's
    (GSI2), or an identity's list of one event (GSI3). Each source is read in pages of `limit + 1` and
    merged, so a page costs about one query per source, and there are at most `MAX_LOG_SOURCES`."""
    size = limit + 1
    sources_asked = max(len(identity_ids or ()), 1) * max(len(event_keys or ()), 1)
    if sources_asked > MAX_LOG_SOURCES:
        raise BadRequest(
            f"these filters name {sources_asked} timelines and events together; at most {MAX_LOG_SOURCES} "
            "(list fewer identities or events)",
            field="identityId",
        )
    if identity_ids and event_keys:
        sources = [
            _walk(
                keys.event_logs_of_identity_event(entity_id, i, k),
                index=GSI3,
                after=after,
                page_size=size,
            )
            for i in identity_ids
            for k in event_keys
        ]
    elif identity_ids:
        sources = [
            _walk(keys.identity_partition(entity_id, i), index=None, after=after, page_size=size)
            for i in identity_ids
        ]
    elif event_keys:
        sources = [
            _walk(keys.event_logs_of_event(entity_id, k), index=GSI1, after=after, page_size=size)
            for k in event_keys
        ]
    else:
        sources = [_walk(keys.event_logs_of_entity(entity_id), index=GSI2, after=after, page_size=size)]
    merged = _unique(heapq.merge(*sources, key=lambda item: str(item["log_id"])))
    items = []
    for item in merged:
        items.append(item)
        if len(items) == size:
            break
    return LogPage(items[:limit], has_more=len(items) > limit)


def _unique(items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    last = None
    for item in items:
        if item["log_id"] != last:
            last = item["log_id"]
            yield item


def logs_of_identity(
    entity_id: str, identity_ids: Sequence[str], *, limit: int = 1000
) -> list[dict[str, Any]]:
    """Every log of these identity partitions (one person's, merged ones included), oldest first."""
    return list_logs(entity_id, identity_ids=identity_ids, limit=limit).items


def index_logs_of_identity_events(entity_id: str | None = None, *, page_size: int = 500) -> int:
    """Give every log written before GSI3 existed its place there (an operator's one-off migration after
    the upgrade; `python -m questline.cli index-logs`). Idempotent: a log already listed is left alone.
    Answers how many logs it listed."""
    table = get_table()
    unlisted = equals("type", "event_log") & not_exists(keys.GSI3PK)
    if entity_id is not None:
        unlisted = unlisted & equals("entity_id", entity_id)
    listed, start = 0, None
    while True:
        page = table.scan(filter=unlisted, limit=page_size, start_key=start)
        for item in page.items:
            listing = {
                keys.GSI3PK: keys.event_logs_of_identity_event(
                    str(item["entity_id"]), str(item["identity_id"]), str(item["event_key"])
                ),
                keys.GSI3SK: str(item["log_id"]),
            }
            with contextlib.suppress(ConditionFailed):  # erased or listed since the scan read it
                table.update(
                    {keys.PK: item[keys.PK], keys.SK: item[keys.SK]},
                    Update(set=listing),
                    condition=exists() & not_exists(keys.GSI3PK),
                    return_values="NONE",
                )
                listed += 1
        if page.last_key is None:
            return listed
        start = page.last_key
