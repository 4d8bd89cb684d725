"""`leaderboard.finished` (webhook scope `leaderboard`): a recurring board whose period is over sends its
final top N (decision 10).

No job watches the clock: the stream notices a period is over when it counts the campaign's first change
of a later period. Per campaign one item (`board_periods`) holds the current period of each kind; a batch
whose latest change falls in a later one sends the finished board's top (each hook's `top` places) to the
scope's hooks, then moves
the item on (conditional on the period it read). The message id is derived from the board, so a replayed
batch, a retry or two consumers noticing the same end send it once. Season boards never finish for the
whole campaign (each participant moves on at their own points), so they send nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import date
from typing import Any

from questline import clock
from questline.campaigns import leaderboard, localtime, recurring
from questline.storage import get_table, keys
from questline.storage.table import ConditionFailed, Update, equals, not_exists

SCOPE = "leaderboard"
EVENT = "leaderboard.finished"
NAMES = {kind: name for name, kind in recurring.PERIODS.items()}


def check(entity_id: str, pid: str, rules: recurring.Rules, balances: Sequence[Mapping[str, Any]]) -> int:
    """After a batch of the campaign's balance changes: send the boards that finished. Returns how many.
    One GetItem per batch when the campaign keeps period boards; a write only when a period changes."""
    kinds = [kind for kind in rules.kinds if kind != recurring.SEASON]
    if not kinds or not balances:
        return 0
    latest = max(int(b.get("at") or clock.now() * 1000) for b in balances)
    table = get_table()
    at = keys.board_periods(entity_id, pid)
    seen = table.get(at, consistent=True) or {}
    sent = 0
    for kind in kinds:
        now = recurring.period_of(kind, latest, 0, rules)
        before = seen.get(kind)
        if before is not None and str(before) >= now:
            continue
        if before is not None:
            sent += _send(entity_id, pid, recurring.board_id(kind, str(before)), kind, str(before), rules)
        with suppress(ConditionFailed):  # another consumer moved it on: it sent the same message id
            table.update(
                at,
                Update(
                    set={kind: now},
                    set_if_absent={"type": "board_periods", "entity_id": entity_id, "pid": pid},
                ),
                condition=not_exists(kind) if before is None else equals(kind, before),
                return_values="NONE",
            )
    return sent


def _send(entity_id: str, pid: str, board: str, kind: str, period: str, rules: recurring.Rules) -> int:
    """The finished board's top to each hook of the scope that takes the campaign, `top` places each
    (the hook's, as for `leaderboard.rank_changed`): one Query of the largest top."""
    from questline.webhooks import fanout

    hooks = [h for h in fanout.hooks_for(entity_id, SCOPE) if not h.get("pids") or pid in h["pids"]]
    if not hooks:
        return 0
    tops = [min(int(h.get("top") or fanout.DEFAULT_TOP), leaderboard.MAX_PAGE) for h in hooks]
    entries = leaderboard.page(entity_id, pid, max(tops), None, board).entries
    ended = clock.iso(_end_of(kind, period, rules))
    common = {
        "entity_id": entity_id,
        "pid": pid,
        "board": board,
        "period": NAMES[kind],
        "key": period,
        "total": leaderboard.size_of(entity_id, pid, board),
        "ended_at": ended,
    }
    return fanout.fan_out_per_hook(
        f"{entity_id}#{pid}#{board}#finished",
        entity_id,
        SCOPE,
        EVENT,
        [
            (hook, {**common, "top": top, "leaderboard": entries[:top]})
            for hook, top in zip(hooks, tops, strict=True)
        ],
        ended,
    )


def _end_of(kind: str, period: str, rules: recurring.Rules) -> float:
    """When the period ended in the campaign's timezone (the next one's first instant)."""
    if kind != "month":
        return localtime.next_period_start(kind, period, rules.tz)
    year, month = (int(part) for part in period.split("-"))
    return localtime.start_of_day(date(year + month // 12, month % 12 + 1, 1), rules.tz)
