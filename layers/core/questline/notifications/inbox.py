"""A person's notifications in the table: delivered once per activity, listed newest first, marked read.

Ids are integers, as the Parcelvoy SDKs decode them (`Int` on iOS, `Long` on Android, a JavaScript number):
the activity's second since 2024-01-01 in the high bits and 22 bits of a hash of the activity's key and the
person, so an id is below 2^53 (until 2092), grows with time (newest first is a reverse Query), and is the
same every time a stream record is replayed. Delivering is one conditional put: a replay finds its own
notification there and writes nothing. Two activities of one person in the same second whose hashes
collide (one in four million) are told apart by the stored `source`: the later one takes the next id.

Unread notifications also carry a GSI1 key (a sparse index of the unread), removed when one is read, so the
default listing reads only unread items. Every notification has a `ttl` at its expiry: a person's inbox
holds what expired in the last day or two at most (DynamoDB's TTL deletion lags), and listings leave
expired ones out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, NamedTuple

from questline import clock
from questline.errors import NotFound
from questline.storage import get_table, keys
from questline.storage.keys import GSI1, GSI1PK, GSI1SK
from questline.storage.table import Condition, ConditionFailed, Update, above, exists, not_exists

ID_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z
HASH_BITS = 22
MAX_ID = 2**53 - 1
_PROBES = 16


class Delivery(NamedTuple):
    kind: str
    pid: str
    source: str  # the activity item's key: what makes a replay recognisable
    at: str  # when the activity happened (ISO-8601), which orders the inbox
    content_type: str
    content: Mapping[str, Any]
    expires_in_days: int
    private: bool = False


class InboxPage(NamedTuple):
    items: list[dict[str, Any]]
    next_cursor: str | None


def notification_id(source: str, identity_id: str, at: str) -> int:
    seconds = max(0, int(clock.epoch_of(at)) - ID_EPOCH)
    digest = int.from_bytes(hashlib.sha256(f"{source}|{identity_id}".encode()).digest()[:8], "big")
    return min(MAX_ID, (seconds << HASH_BITS) | (digest & ((1 << HASH_BITS) - 1)))


def deliver(entity_id: str, identity_id: str, delivery: Delivery) -> int:
    """Store the notification once; returns its id (the first delivery's, on a replay)."""
    table = get_table()
    first = notification_id(delivery.source, identity_id, delivery.at)
    expires = clock.epoch_of(delivery.at) + delivery.expires_in_days * 86_400
    for notification in range(first, min(first + _PROBES, MAX_ID + 1)):
        item = {
            **keys.notification(entity_id, identity_id, notification),
            **keys.unread_notification_listing(entity_id, identity_id, notification),
            "type": "notification",
            "entity_id": entity_id,
            "identity_id": identity_id,
            "notification_id": notification,
            "kind": delivery.kind,
            "pid": delivery.pid,
            "source": delivery.source,
            "content_type": delivery.content_type,
            "content": dict(delivery.content),
            "private": delivery.private or None,
            "created_at": delivery.at,
            "expires_at": clock.iso(expires),
            "ttl": int(expires),
        }
        try:
            table.put(item, condition=not_exists(), return_old_on_failure=True)
        except ConditionFailed as taken:
            if (taken.item or {}).get("source") == delivery.source:
                return notification  # a replay: delivered before
            continue  # another activity of this person has this id: the next one
        return notification
    raise RuntimeError(f"no free notification id after {first} for {delivery.source}")


def _visible(*, public: bool) -> Condition:
    """Not expired (TTL deletion lags), and for a publishable key not private."""
    now = above("ttl", int(clock.now()))
    return now & not_exists("private") if public else now


def page(
    entity_id: str,
    identity_id: str,
    *,
    unread_only: bool,
    public: bool,
    cursor: int | None,
    limit: int,
) -> InboxPage:
    """One page, newest first: at most `limit` items read (filters apply after reading, so a page may hold
    fewer), and a cursor while more may follow."""
    table = get_table()
    before = keys.notification_sort_key(cursor) if cursor is not None else None
    if unread_only:
        found = table.query(
            keys.unread_notifications_of(entity_id, identity_id),
            index=GSI1,
            before=before,
            forward=False,
            limit=limit,
            filter=_visible(public=public),
        )
    else:
        found = table.query(
            keys.notifications_of(entity_id, identity_id),
            before=before,
            forward=False,
            limit=limit,
            filter=_visible(public=public),
            consistent=True,
        )
    last = found.last_key
    next_cursor = str(int(str(last[keys.SK]))) if last else None
    return InboxPage(found.items, next_cursor)


def mark_read(entity_id: str, identity_id: str, notification: int, *, public: bool) -> None:
    """Read now (a second time changes nothing); a 404 when the person has no such notification (or, to a
    publishable key, only a private one)."""
    condition = exists() & not_exists("private") if public else exists()
    try:
        get_table().update(
            keys.notification(entity_id, identity_id, notification),
            Update(set_if_absent={"read_at": clock.iso()}, remove=(GSI1PK, GSI1SK)),
            condition=condition,
            return_values="NONE",
        )
    except ConditionFailed:
        raise NotFound(f"notification {notification} not found", field="id") from None
