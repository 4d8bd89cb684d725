"""Campaign statistics, kept by the table's stream (`campaigns.projection`) so reads cost a fixed, small
number of items:

* `#TOTAL`: points awarded (the sum of every balance's total) and participants with a balance;
* `DAY#{date}`: how many participants were last active that day, so "active in the last 30 days" is one
  query of at most 30 small items, whatever the number of users.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from questline import clock
from questline.campaigns import store
from questline.storage import get_table, keys
from questline.storage.table import TxUpdate, Update

ACTIVE_DAYS = 30


def day_of(epoch: float | None = None) -> str:
    return datetime.fromtimestamp(clock.now() if epoch is None else epoch, tz=UTC).strftime("%Y-%m-%d")


def operations(
    entity_id: str, pid: str, seen: Mapping[str, Any] | None, total: int, day: str, *, merged: bool = False
) -> list[TxUpdate]:
    """The statistics' share of one balance change: the points and users totals, and the move of the
    participant from the day it was last active to `day`. `seen` is what the projection counted before.
    A participant `merged` into another leaves the counts: a person is counted once."""
    if merged:
        leaving = [
            TxUpdate(
                keys.campaign_totals(entity_id, pid),
                Update(add={"total_points": total - int((seen or {}).get("total", 0)), "total_users": -1}),
            )
        ]
        old_day = (seen or {}).get("day")
        if old_day:
            leaving.append(
                TxUpdate(keys.campaign_day(entity_id, pid, str(old_day)), Update(add={"users": -1}))
            )
        return leaving
    return [
        TxUpdate(
            keys.campaign_totals(entity_id, pid),
            Update(
                add={
                    "total_points": total - int((seen or {}).get("total", 0)),
                    "total_users": 0 if seen else 1,
                },
                set_if_absent={"type": "campaign_stats", "entity_id": entity_id, "pid": pid},
            ),
        ),
        *_day_moves(entity_id, pid, (seen or {}).get("day"), day),
    ]


def _day_moves(entity_id: str, pid: str, old_day: str | None, new_day: str) -> list[TxUpdate]:
    if old_day == new_day:
        return []
    moves = [
        TxUpdate(
            keys.campaign_day(entity_id, pid, new_day),
            Update(add={"users": 1}, set_if_absent={"type": "campaign_day"}),
        )
    ]
    if old_day:
        moves.append(TxUpdate(keys.campaign_day(entity_id, pid, str(old_day)), Update(add={"users": -1})))
    return moves


def summary(entity_id: str, pid: str) -> dict[str, Any]:
    campaign = store.load(entity_id, pid).campaign
    totals = get_table().get(keys.campaign_totals(entity_id, pid)) or {}
    total_points, total_users = int(totals.get("total_points", 0)), int(totals.get("total_users", 0))
    active = active_users(entity_id, pid)
    return {
        "id": pid,
        "name": campaign.name,
        "total_points": total_points,
        "total_users": total_users,
        "active_users": active,
        # the seed's shape: the counters under stats.stats (points, users, users active in 30 days)
        "stats": {"stats": {"pcn": total_points, "ecn": total_users, "acn": active}},
    }


def active_users(entity_id: str, pid: str, *, days: int = ACTIVE_DAYS) -> int:
    today = datetime.fromtimestamp(clock.now(), tz=UTC)
    first = (today - timedelta(days=days - 1)).strftime("%Y-%m-%d")
    page = get_table().query(
        keys.campaign_stats_partition(entity_id, pid), between=(f"DAY#{first}", f"DAY#{today:%Y-%m-%d}")
    )
    return sum(int(item.get("users", 0)) for item in page.items)


def points(entity_id: str, pid: str) -> dict[str, Any]:
    from questline.campaigns.claimr import season_of

    campaign = store.load(entity_id, pid).campaign
    totals = get_table().get(keys.campaign_totals(entity_id, pid)) or {}
    total = int(totals.get("total_points", 0))
    return {"id": pid, "name": campaign.name, "total_points": total, **season_of(campaign, total)}
