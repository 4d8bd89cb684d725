"""`level.changed` (webhook scope `progress`): a balance change that moved the person's total XP across one
of the campaign's `levels`, seen on the table's stream.

It writes nothing of its own: the balance's old and new images say which level the person left and which
they reached, and the message id comes from the stream record, so a replayed record queues nothing more
(`webhooks.fanout`). When no hook takes the campaign's `progress` events, it costs one Query of the
entity's hooks and nothing else; with one, one GetItem more (the person's names for the payload).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from questline.campaigns import engine, store
from questline.identity.names import names_of
from questline.storage import get_table, keys
from questline.webhooks import fanout


def level_changed(
    source_id: str, new: Mapping[str, Any], old: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """Queue `level.changed` for one balance stream record when it crossed a level; returns its data."""
    if new.get("merged_into"):
        return None  # a merged participant's balance folds into the survivor's, whose own record tells
    before, after = int((old or {}).get("total", 0) or 0), int(new.get("total", 0) or 0)
    if before == after:
        return None
    entity_id, pid, identity_id = str(new["entity_id"]), str(new["pid"]), str(new["identity_id"])
    scope = store.scope_of(entity_id, pid)
    if scope is None or not scope.campaign.levels:
        return None
    left, reached = engine.level_name(scope.campaign, before), engine.level_name(scope.campaign, after)
    if left == reached or not fanout.campaign_hooks(entity_id, pid, fanout.PROGRESS_SCOPE):
        return None
    at_ms = int(new.get("at") or 0)
    at = datetime.fromtimestamp(at_ms / 1000, UTC).isoformat().replace("+00:00", "Z") if at_ms else None
    level = engine.level_of(scope.campaign, after) or {}
    data = {
        "entity_id": entity_id,
        "pid": pid,
        "identity_id": identity_id,
        **names_of(get_table().get(keys.identity(entity_id, identity_id))),
        "from": left,
        "to": reached,
        "direction": "up" if after > before else "down",
        "xp": after,
        "next": level.get("next"),
        "xp_to_next": level.get("xp_to_next"),
        "at": at,
    }
    fanout.fan_out_campaign_event(
        source_id, entity_id, pid, fanout.PROGRESS_SCOPE, "level.changed", data, at or ""
    )
    return data
