"""The lost-streak sweep: a scheduled run (EventBridge, template.yaml) that tells `streak.lost` for the
streaks nobody extended in time, without scanning anything.

Each extension files the streak under the UTC hour it expires in (`keys.streak_due`: one small item, in
the participant's transaction, kept `DUE_TTL_SECONDS` past its hour). A run reads the hours that have
ended since the last run, shard by shard, at most `MAX_ITEMS` items, and remembers where it stopped (one
cursor item), so its work is bounded however many streaks expire in an hour: the next run carries on.

An item names the period its streak was last extended in; a streak extended since (it has a later item) or
lost already is left alone. Otherwise the participant's state records the loss and one `progress_event`
item with the same key the activity path would write (`engine.lost`), in one transaction conditional on
the state's version: a replay, a second run or activity arriving meanwhile never tells the loss twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from questline import clock
from questline.campaigns import due_index, engine, store
from questline.storage import keys

MAX_ITEMS = 200  # due items one run reads at most (each at most one participant read and one transaction)
MAX_HOURS = 48  # hours one run moves its cursor at most (an empty hour costs one Query per shard)
DUE_TTL_SECONDS = 7 * 24 * 3600
hour_of = due_index.hour_of


def shard_of(identity_id: str) -> int:
    return int(hashlib.sha256(identity_id.encode()).hexdigest()[:8], 16) % keys.STREAK_DUE_SHARDS


def due_item(
    entity_id: str, pid: str, identity_id: str, streak_id: str, last: str, expires_at: float
) -> dict[str, Any]:
    """The item that files a streak under the hour it expires in."""
    hour = hour_of(expires_at)
    return {
        **keys.streak_due(hour, shard_of(identity_id), entity_id, pid, identity_id, streak_id, last),
        "type": "streak_due",
        "entity_id": entity_id,
        "pid": pid,
        "identity_id": identity_id,
        "streak_id": streak_id,
        "last": last,
        "expires_at": int(expires_at),
        "ttl": int(due_index.end_of(hour)) + DUE_TTL_SECONDS,
    }


def _lose(item: dict[str, Any], now: float) -> bool:
    """Record one due streak's loss, if it is lost and still the run the item names."""
    from questline.campaigns import participants  # (which files due items with this module's help)

    entity_id, pid, identity_id = str(item["entity_id"]), str(item["pid"]), str(item["identity_id"])
    scope = store.scope_of(entity_id, pid)
    if scope is None:
        return False
    campaign = scope.campaign
    streak = campaign.streak(str(item["streak_id"]))
    if streak is None:
        return False

    def compute(state: dict[str, Any]) -> engine.Outcome:
        return engine.lose_streak(campaign, state, streak, str(item["last"]), now)

    return bool(participants.run(entity_id, scope.storage_pid, identity_id, campaign, compute).events)


def sweep(now: float | None = None) -> dict[str, Any]:
    """One run: the due items of the hours that ended since the cursor, at most `MAX_ITEMS`."""
    moment = clock.now() if now is None else now
    lost = [0]

    def handle(item: Mapping[str, Any]) -> None:
        lost[0] += _lose(dict(item), moment)

    run = due_index.work_off(
        keys.streak_sweep_cursor(),
        "streak_sweep",
        keys.streak_due_partition,
        keys.STREAK_DUE_SHARDS,
        handle,
        moment,
        max_items=MAX_ITEMS,
        max_hours=MAX_HOURS,
    )
    return {"read": run.read, "lost": lost[0], "hour": run.hour, "shard": run.shard}
