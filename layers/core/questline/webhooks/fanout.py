"""From an activity item, written by the domain, to one queue message per hook that wants it.

Activity items are ordinary domain items (a ledger entry, a completion…); their `type` says which
webhook scope they belong to. The message id is derived from the stream record and the hook, so a
replayed record yields the same `webhook-id` and receivers can recognise a repeat.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from questline import clock
from questline.aws import client
from questline.settings import get_settings
from questline.storage import get_table, keys
from questline.storage.keys import GSI1PK, GSI1SK, PK, SK

# Item type -> webhook scope (claimr's scopes: VENDOR-NOTES.md).
SCOPE_BY_TYPE: dict[str, str] = {
    "completion": "user_activity",
    "quest_completion": "user_activity",
    "ledger_entry": "user_reward",
    "referral": "referral",
    "widget_token": "user_login",
}
SCOPES = frozenset(SCOPE_BY_TYPE.values())
_INTERNAL = frozenset({PK, SK, GSI1PK, GSI1SK, "type", "ttl"})


def public_view(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in _INTERNAL and not k.startswith("_")}


def hooks_for(entity_id: str, scope: str) -> list[dict[str, Any]]:
    table = get_table()
    hooks: list[dict[str, Any]] = []
    start = None
    while True:
        page = table.query(
            keys.entity_partition(entity_id), begins_with=keys.webhook_scope_prefix(scope), start_key=start
        )
        hooks.extend(page.items)
        if page.last_key is None:
            return hooks
        start = page.last_key


def build_message(source_id: str, item: Mapping[str, Any], hook: Mapping[str, Any]) -> dict[str, Any]:
    scope = SCOPE_BY_TYPE[str(item["type"])]
    digest = hashlib.sha256(f"{source_id}:{hook['hook_id']}".encode()).hexdigest()[:32]
    return {
        "message_id": f"msg_{digest}",
        "entity_id": item["entity_id"],
        "scope": scope,
        "hook_id": hook["hook_id"],
        "payload": {"type": scope, "timestamp": clock.iso(), "data": public_view(item)},
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


def enqueue(messages: Iterable[dict[str, Any]]) -> None:
    """Send messages to the webhook queue, ten per call; a message SQS refuses raises, so the stream
    record is retried."""
    batch = list(messages)
    sqs = client("sqs")
    queue_url = get_settings().webhook_queue_url
    for start in range(0, len(batch), 10):
        chunk = batch[start : start + 10]
        response = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "MessageBody": json.dumps(m, default=str)} for i, m in enumerate(chunk)],
        )
        if response.get("Failed"):
            raise RuntimeError(f"{len(response['Failed'])} webhook message(s) were not queued")
