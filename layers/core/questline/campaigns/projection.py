"""What the table's stream keeps from a balance change: the campaign's statistics (`campaigns.stats`) and
its leaderboard (`campaigns.leaderboard`), in one transaction per change.

Each participant has a projection item recording the balance revision, total, score, last active day and
board key already counted. The transaction is conditional on that revision, so a replayed record (or batch)
changes nothing, and records that arrive out of order never move a participant back: a projection only
moves to a higher revision, and carries the balance's absolute values rather than deltas.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from questline import clock
from questline.campaigns import leaderboard, stats
from questline.errors import Retryable
from questline.storage import get_table, keys
from questline.storage.table import ConditionFailed, TxUpdate, Update, equals, not_exists

ATTEMPTS = 8


def apply_balance(balance: Mapping[str, Any]) -> bool:
    """Count one balance change (a stream image of a `balance` item). True when it changed anything."""
    entity_id, pid, identity_id = str(balance["entity_id"]), str(balance["pid"]), str(balance["identity_id"])
    rev, total = int(balance.get("rev", 0)), int(balance.get("total", 0))
    merged = bool(balance.get("merged_into"))  # the participant merged into another: no longer counted
    score = leaderboard.score_of(balance, leaderboard.counted_tasks(entity_id, pid))
    table = get_table()
    at = keys.stats_projection(entity_id, pid, identity_id)
    for _ in range(ATTEMPTS):
        seen = table.get(at, consistent=True)
        if seen is not None and int(seen.get("rev", 0)) >= rev:
            return False  # counted already: a replay, or an older record after a newer one
        if merged and (seen is None or seen.get("merged")):
            return False  # never counted, or uncounted already
        if seen is not None and seen.get("merged"):
            return False  # a merged participant's balance stays out of the statistics
        old_key = seen.get("board_key") if seen else None
        if merged:
            new_key = None
        elif seen is not None and int(seen.get("score", 0)) == score:
            new_key = old_key  # the same score: the participant keeps the moment it reached it
        else:
            reached_ms = int(balance.get("at") or clock.now() * 1000)
            new_key = leaderboard.board_key(score, reached_ms)
        board_set: dict[Any, Any] = {}
        board_remove: list[str] = []
        if new_key != old_key:  # joining, moving on or leaving the board: the entry shows the latest name
            profile = (table.get(keys.identity(entity_id, identity_id)) or {}) if new_key else {}
            board_set, board_remove = leaderboard.board_fields(entity_id, pid, identity_id, new_key, profile)
        day = stats.day_of()
        operations: list[Any] = [
            TxUpdate(
                at,
                Update(
                    set={
                        "rev": rev,
                        "total": total,
                        "score": score,
                        "day": day,
                        **board_set,
                        **({"merged": True} if merged else {}),
                    },
                    set_if_absent={
                        "type": "stats_projection",
                        "entity_id": entity_id,
                        "pid": pid,
                        "identity_id": identity_id,
                    },
                    remove=board_remove,
                ),
                condition=not_exists() if seen is None else equals("rev", int(seen.get("rev", 0))),
            ),
            *stats.operations(entity_id, pid, seen, total, day, merged=merged),
            *leaderboard.tree_operations(entity_id, pid, old_key, new_key),
        ]
        try:
            table.transact_write(operations)
            return True
        except ConditionFailed:
            continue  # another writer moved the projection meanwhile: look again
    raise Retryable("the leaderboard projection kept changing; the stream will retry")
