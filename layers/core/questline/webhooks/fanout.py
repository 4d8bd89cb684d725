"""From an activity item, written by the domain, to one queue message per hook that wants it.

Activity items are ordinary domain items (a ledger entry, a completion…); their `type` says which
webhook scope they belong to. The message id is derived from the stream record and the hook, so a
replayed record yields the same `webhook-id` and receivers can recognise a repeat.

Identity events (scope `identity`) are not items of their own: `identity_event` tells them from a stream
record (an identity that became merged: `identity.merged`; an `identity_conflict` inserted, i.e. a refused
link seen for the first time on one identity: `identity.conflict`), and their payload's `type` names the
event. `identity.erased` is reserved for the erase feature, which queues it with `fan_out_event`. A hook
of the `identity` scope takes no campaigns (`pids`): identities belong to the entity.

Each message is queued once: `fan_out` reads the messages' delivery records first (one consistent
BatchGetItem) and queues only those that have none, then writes their records (`records.queued_item`,
conditional on not existing). The record is written after the message is queued, so a crash in between
loses nothing: the replayed record finds no record and queues the message again, and the delivery function
drops the copy that arrives after the message was delivered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from typing import Any

from questline import clock
from questline.aws import client
from questline.settings import get_settings
from questline.storage import get_table, keys
from questline.storage.keys import GSI1PK, GSI1SK, PK, SK
from questline.storage.table import ConditionFailed, not_exists
from questline.webhooks import records

# Item type -> webhook scope (claimr's scopes: VENDOR-NOTES.md).
SCOPE_BY_TYPE: dict[str, str] = {
    "completion": "user_activity",
    "quest_completion": "user_activity",
    "ledger_entry": "user_reward",
    "referral": "referral",
    "widget_token": "user_login",
    "progress_event": "progress",
    "points_notice": "user_reward",
}
IDENTITY_SCOPE = "identity"
IDENTITY_EVENTS = ("identity.merged", "identity.conflict", "identity.erased")
# Scope `progress` (ours): streaks, achievements and levels. A `progress_event` item's `event` names its
# type; `level.changed` is no item of its own but a balance change that crossed a level (`on_level`).
PROGRESS_SCOPE = "progress"
PROGRESS_EVENTS = (
    "streak.extended",
    "streak.frozen",
    "streak.lost",
    "achievement.completed",
    "level.changed",
)
# Scope `user_reward` carries two events of its own besides claimr's ledger changes (`points_expiry`):
# the entry of an expiry (`points.expired`) and the warning before it (`points.will_expire`), each with
# its item's `event` as the payload's type.
POINTS_EVENTS = ("points.expired", "points.will_expire")
# Scope `leaderboard` (ours): `leaderboard.rank_changed` when a participant whose score changed enters a
# hook's top places, leaves them or moves inside them (`campaigns.rank_moves`), and `leaderboard.finished`,
# a recurring board's final top places (`campaigns.finished`). No item of their own either.
LEADERBOARD_SCOPE = "leaderboard"
LEADERBOARD_EVENTS = ("leaderboard.rank_changed", "leaderboard.finished")
DEFAULT_TOP = 10
SCOPES = frozenset({*SCOPE_BY_TYPE.values(), IDENTITY_SCOPE, LEADERBOARD_SCOPE})
_INTERNAL = frozenset({PK, SK, GSI1PK, GSI1SK, "type", "ttl"})


def public_view(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in _INTERNAL and not k.startswith("_")}


def hooks_for(entity_id: str, scope: str | None) -> list[dict[str, Any]]:
    """The entity's hooks of one scope (of every scope for None)."""
    table = get_table()
    prefix = keys.webhook_scope_prefix(scope) if scope else keys.WEBHOOK_PREFIX
    hooks: list[dict[str, Any]] = []
    start = None
    while True:
        page = table.query(keys.entity_partition(entity_id), begins_with=prefix, start_key=start)
        hooks.extend(page.items)
        if page.last_key is None:
            return hooks
        start = page.last_key


# When the activity happened, by item type: the payload's timestamp, so a replay makes the same payload.
_TIME_FIELDS = ("created_at", "at", "issued_at")


def build_message(source_id: str, item: Mapping[str, Any], hook: Mapping[str, Any]) -> dict[str, Any]:
    """One hook's message for an activity item. The payload is the item's public fields only: the names
    the person is known by (`questline.identity.names`) were stored on the item when it was written, so
    building it reads nothing, and a replayed record builds the same payload."""
    scope = SCOPE_BY_TYPE[str(item["type"])]
    happened = next((str(item[f]) for f in _TIME_FIELDS if item.get(f)), None)
    named = scope == PROGRESS_SCOPE or item.get("event") in POINTS_EVENTS
    event_type = str(item.get("event") or scope) if named else scope
    return _message(source_id, str(item["entity_id"]), scope, event_type, public_view(item), hook, happened)


def _message(
    source_id: str,
    entity_id: str,
    scope: str,
    event_type: str,
    data: Mapping[str, Any],
    hook: Mapping[str, Any],
    timestamp: str | None = None,
) -> dict[str, Any]:
    """`timestamp`: when the event happened (the payload's, so a replay makes the same payload)."""
    digest = hashlib.sha256(f"{source_id}:{hook['hook_id']}".encode()).hexdigest()[:32]
    now = clock.iso()
    return {
        "message_id": f"msg_{digest}",
        "entity_id": entity_id,
        "scope": scope,
        "hook_id": hook["hook_id"],
        "generation": 1,
        "created_at": now,
        "payload": {"type": event_type, "timestamp": timestamp or now, "data": dict(data)},
    }


def messages_for(source_id: str, item: Mapping[str, Any]) -> list[dict[str, Any]]:
    scope = SCOPE_BY_TYPE.get(str(item.get("type")))
    if scope is None or not item.get("entity_id"):
        return []
    pid = item.get("pid")
    return [
        build_message(source_id, item, hook)
        for hook in hooks_for(str(item["entity_id"]), scope)
        if not hook.get("pids") or pid in hook["pids"]
    ]


def fan_out(source_id: str, item: Mapping[str, Any]) -> int:
    """Queue the messages of one inserted item that were not queued before; returns how many."""
    return _queue_once(messages_for(source_id, item))


def identity_event(
    event_name: str | None, new: Mapping[str, Any], old: Mapping[str, Any] | None
) -> tuple[str, dict[str, Any]] | None:
    """The identity event a stream record is (its type and data), if any."""
    kind = new.get("type")
    if kind == "identity" and new.get("status") == "merged" and (old or {}).get("status") != "merged":
        return "identity.merged", {
            "entity_id": new["entity_id"],
            "identity_id": new["merged_into"],  # the survivor: the person from now on
            "merged_identity_id": new["identity_id"],
            "merged_at": new.get("merged_at"),
        }
    if kind == "identity_conflict" and event_name == "INSERT":
        return "identity.conflict", {
            name: new.get(name)
            for name in (
                "entity_id",
                "identity_id",
                "other_identity_id",
                "reason",
                "identifier",
                "authority",
                "first_at",
            )
        }
    return None


def fan_out_event(
    source_id: str, entity_id: str, scope: str, event_type: str, data: Mapping[str, Any]
) -> int:
    """Queue one event of a scope whose hooks take every event of the entity (no campaigns), once per
    `source_id` (a stream record's id) and hook; returns how many messages were queued."""
    hooks = hooks_for(entity_id, scope)
    happened = next((str(data[f]) for f in ("merged_at", "first_at", "erased_at") if data.get(f)), None)
    return _queue_once(
        [_message(source_id, entity_id, scope, event_type, data, hook, happened) for hook in hooks]
    )


def fan_out_campaign_event(
    source_id: str, entity_id: str, pid: str, scope: str, event_type: str, data: Mapping[str, Any], at: str
) -> int:
    """Queue one event of a campaign (to the scope's hooks for every campaign or for `pid`), once per
    `source_id` (a stream record's id) and hook; returns how many messages were queued."""
    hooks = [h for h in hooks_for(entity_id, scope) if not h.get("pids") or pid in h["pids"]]
    return _queue_once([_message(source_id, entity_id, scope, event_type, data, hook, at) for hook in hooks])


def fan_out_per_hook(
    source_id: str,
    entity_id: str,
    scope: str,
    event_type: str,
    messages: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]],
    at: str,
) -> int:
    """Queue one event whose data differs by hook (`(hook, data)` pairs), once per `source_id` and hook;
    returns how many messages were queued."""
    return _queue_once(
        [_message(source_id, entity_id, scope, event_type, data, hook, at) for hook, data in messages]
    )


def campaign_hooks(entity_id: str, pid: str, scope: str) -> bool:
    """Whether any hook of the scope takes this campaign's events."""
    return any(not h.get("pids") or pid in h["pids"] for h in hooks_for(entity_id, scope))


def _queue_once(messages: list[dict[str, Any]]) -> int:
    if not messages:
        return 0
    table = get_table()
    known = {
        str(record["message_id"])
        for record in table.batch_get([records.key_of(m) for m in messages], consistent=True)
    }

    def record(sent: list[dict[str, Any]]) -> None:
        for message in sent:
            # ConditionFailed: the delivery function recorded an attempt first, so the record is there.
            with suppress(ConditionFailed):
                table.put(records.queued_item(message), condition=not_exists())

    fresh = [m for m in messages if m["message_id"] not in known]
    enqueue(fresh, then=record)
    return len(fresh)


def enqueue(
    messages: Iterable[dict[str, Any]], *, then: Callable[[list[dict[str, Any]]], None] | None = None
) -> None:
    """Send messages to the webhook queue, ten per call, calling `then` with each call's accepted
    messages; a message SQS refuses raises (after `then`), so the stream record or request is retried."""
    batch = list(messages)
    sqs = client("sqs")
    queue_url = get_settings().webhook_queue_url
    for start in range(0, len(batch), 10):
        chunk = batch[start : start + 10]
        response = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "MessageBody": json.dumps(m, default=str)} for i, m in enumerate(chunk)],
        )
        failed = {str(f["Id"]) for f in response.get("Failed") or []}
        if then is not None:
            then([m for i, m in enumerate(chunk) if str(i) not in failed])
        if failed:
            raise RuntimeError(f"{len(failed)} webhook message(s) were not queued")
