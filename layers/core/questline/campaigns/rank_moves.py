"""Rank-change webhooks (scope `leaderboard`, ours): `leaderboard.rank_changed` tells a hook when a
participant whose score changed enters the hook's top places (`top`, 10 by default), leaves them, or moves
inside them, with the rank before and after.

The stream counts a balance change into the board first (`campaigns.projection`, which keeps, on the
participant's projection, the revision of its last move and the key it left: `moved_rev`, `prev_key`); then,
for each balance record, `rank_changed` looks at that projection. Only the record whose revision made the
move tells it (in a batch that moved a participant several times, the last one, with the move from the
first key to the last), so a replayed record finds the same move and builds the same message ids, which the
fan-out queues once.

Work per balance record, bounded whatever the board's size: one Query of the entity's leaderboard hooks
(nothing more when the campaign has none), one consistent read of the projection, and for a move one
BatchGetItem of the two keys' count-tree paths (at most 32 small items) and one read of the person's names
when a message is sent. Ranks are the board's as the stream counted it when the record was handled: a
change counted by another batch meanwhile is in them.

The old rank is read after the move: the number of keys ranked before the key the participant left, less
the participant themself when their new key ranks before it (they moved up past it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from questline import clock
from questline.campaigns import leaderboard
from questline.identity.names import names_of
from questline.storage import get_table, keys
from questline.webhooks import fanout

EVENT = "leaderboard.rank_changed"


def change_of(old_rank: int | None, new_rank: int | None, top: int) -> str | None:
    """`entered`, `left` or `moved` for a hook watching `top` places; None when the hook hears nothing."""
    was, now = old_rank is not None and old_rank <= top, new_rank is not None and new_rank <= top
    if now and not was:
        return "entered"
    if was and not now:
        return "left"
    if was and now and old_rank != new_rank:
        return "moved"
    return None


def rank_changed(source_id: str, balance: Mapping[str, Any]) -> int:
    """Queue `leaderboard.rank_changed` for one balance stream record whose revision moved the participant
    on the board, to each hook whose top the move enters, leaves or crosses; returns the messages queued."""
    entity_id, pid, identity_id = str(balance["entity_id"]), str(balance["pid"]), str(balance["identity_id"])
    hooks = [
        h
        for h in fanout.hooks_for(entity_id, fanout.LEADERBOARD_SCOPE)
        if not h.get("pids") or pid in h["pids"]
    ]
    if not hooks:
        return 0
    table = get_table()
    projection = table.get(keys.stats_projection(entity_id, pid, identity_id), consistent=True) or {}
    rev = int(balance.get("rev", 0))
    if int(projection.get("rev", -1)) != rev or int(projection.get("moved_rev", -1)) != rev:
        return 0  # not the record that moved it (or a later one moved it since, and tells its own move)
    left, taken = str(projection.get("prev_key") or "") or None, projection.get("board_key") or None
    asked = [k for k in (left, taken) if k]
    ranks = dict(zip(asked, leaderboard.ranks_of(entity_id, pid, asked), strict=True))
    new_rank = ranks[taken] if taken else None
    old_rank = None
    if left:
        old_rank = ranks[left] - (1 if taken and taken < left else 0)
    told = [
        (hook, change)
        for hook in hooks
        if (change := change_of(old_rank, new_rank, int(hook.get("top") or fanout.DEFAULT_TOP)))
    ]
    if not told:
        return 0
    at_ms = int(balance.get("at") or 0)
    at = clock.iso(at_ms / 1000) if at_ms else ""
    person = {
        "entity_id": entity_id,
        "pid": pid,
        "identity_id": identity_id,
        **names_of(table.get(keys.identity(entity_id, identity_id))),
        "score": int(projection.get("score", 0)),
        "from_rank": old_rank,
        "to_rank": new_rank,
        "at": at or None,
    }
    return fanout.fan_out_per_hook(
        source_id,
        entity_id,
        fanout.LEADERBOARD_SCOPE,
        EVENT,
        [
            (hook, {**person, "change": change, "top": int(hook.get("top") or fanout.DEFAULT_TOP)})
            for hook, change in told
        ],
        at,
    )
