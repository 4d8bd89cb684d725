"""Delivery records: one item per webhook message, so that a replayed stream record is recognised, a
duplicate copy of a delivered message is dropped, and every attempt can be listed and redelivered.

    webhook_delivery  ENT#{e}#WHMSG#{message_id} / #WHMSG
                      GSI1 ENT#{e}#HOOK#{scope}#{hook_id}#DELIVERIES / {created_at}#{message_id}

`generation` counts how often the message was queued: 1 by the stream, one more per redelivery. Every
queued copy carries its generation; the delivery function drops a copy whose generation is older than the
record's, or equal to it once that generation was delivered. Records leave the table `RETENTION_SECONDS`
after their last queueing (the table's `ttl`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from questline import clock
from questline.storage import get_table, keys
from questline.storage.table import ConditionFailed, Update, equals, not_exists

QUEUED: Final = "queued"  # waiting in the queue for its first attempt
RETRYING: Final = "retrying"  # an attempt failed; the queue offers it again after the retry delay
DELIVERED: Final = "delivered"  # the receiver answered 2xx
DEAD: Final = "dead"  # the last attempt failed; the queue moves the message to the dead-letter queue
DROPPED: Final = "dropped"  # the hook was deleted before the message could be delivered
Status = Literal["queued", "retrying", "delivered", "dead", "dropped"]

RETENTION_SECONDS: Final = 30 * 24 * 3600
MAX_RECORDED_ATTEMPTS: Final = 100  # redelivery stops there, which keeps a record far below 400 KB
ITEM_TYPE: Final = "webhook_delivery"


def key_of(message: Mapping[str, Any]) -> keys.Key:
    return keys.webhook_delivery(str(message["entity_id"]), str(message["message_id"]))


def _identity(message: Mapping[str, Any]) -> dict[str, Any]:
    """What never changes in a record: written by whichever of the stream and the delivery function
    gets there first."""
    entity_id, scope, hook_id = str(message["entity_id"]), str(message["scope"]), str(message["hook_id"])
    # (messages queued before records existed carry no created_at: their payload's time stands in)
    created_at = str(message.get("created_at") or message["payload"].get("timestamp") or clock.iso())
    message_id = str(message["message_id"])
    named = (message["payload"].get("data") or {}).get("identity_id")
    return {
        **keys.webhook_delivery_listing(entity_id, scope, hook_id, created_at, message_id),
        **(keys.webhook_delivery_of_identity(entity_id, str(named), created_at, message_id) if named else {}),
        "type": ITEM_TYPE,
        "entity_id": entity_id,
        "scope": scope,
        "hook_id": hook_id,
        "message_id": message_id,
        "payload": message["payload"],
        "created_at": created_at,
        "generation": int(message.get("generation", 1)),
        "ttl": int(clock.now()) + RETENTION_SECONDS,
    }


def queued_item(message: Mapping[str, Any]) -> dict[str, Any]:
    """The record of a message the stream has just queued."""
    return {
        **key_of(message),
        **_identity(message),
        "status": QUEUED,
        "updated_at": message["created_at"],
        "attempts": [],
    }


def message_of(record: Mapping[str, Any], generation: int) -> dict[str, Any]:
    """The queue message that delivers a stored record again, as generation `generation`."""
    return {
        "message_id": record["message_id"],
        "entity_id": record["entity_id"],
        "scope": record["scope"],
        "hook_id": record["hook_id"],
        "generation": generation,
        "created_at": record["created_at"],
        "payload": record["payload"],
    }


def update_after(message: Mapping[str, Any], status: str, attempt: Mapping[str, Any] | None = None) -> None:
    """Set the status a copy of `message` ended in, adding its attempt: one conditional write, which also
    creates the record when the delivery function got there before the stream wrote it. A copy that a
    redelivery superseded while it was in flight keeps its attempt but not its status."""
    table = get_table()
    key = key_of(message)
    appended = {"attempts": [dict(attempt)]} if attempt is not None else {}
    update = Update(
        set={"status": status, "updated_at": clock.iso()},
        set_if_absent=_identity(message),
        append=appended,
    )
    try:
        table.update(
            key,
            update,
            condition=not_exists() | equals("generation", int(message.get("generation", 1))),
            return_values="NONE",
        )
    except ConditionFailed:
        if appended:
            table.update(key, Update(append=appended), return_values="NONE")


def view(record: Mapping[str, Any]) -> dict[str, Any]:
    """A delivery as the API answers it."""
    return {
        "message_id": record["message_id"],
        "scope": record["scope"],
        "hook_id": record["hook_id"],
        "status": record["status"],
        "generation": int(record.get("generation", 1)),
        "attempts": [
            {
                "attempt": int(a["attempt"]),
                "generation": int(a.get("generation", 1)),
                "at": a["at"],
                "status_code": a.get("status_code"),
                "latency_ms": a.get("latency_ms"),
                "error": a.get("error"),
            }
            for a in record.get("attempts") or []
        ],
        "payload": record["payload"],
        "created_at": record["created_at"],
        "updated_at": record["updated_at"],
    }
