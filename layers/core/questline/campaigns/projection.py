"""What the table's stream keeps from a balance change: the campaign's statistics (`campaigns.stats`) and
its leaderboard (`campaigns.leaderboard`), in one transaction per change.

Each participant has a projection item recording the balance revision, total, score, last active day and
board key already counted. The transaction is conditional on that revision, so a replayed record (or batch)
changes nothing, and records that arrive out of order never move a participant back: a projection only
moves to a higher revision, and carries the balance's absolute values rather than deltas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from questline import clock
from questline.campaigns import finished, leaderboard, recurring, stats
from questline.errors import Retryable
from questline.storage import get_table, keys
from questline.storage.table import ConditionFailed, TxDelete, TxUpdate, Update, equals, not_exists

ATTEMPTS = 8


def apply_balance(balance: Mapping[str, Any]) -> bool:
    """Count one balance change (a stream image of a `balance` item). True when it changed anything."""
    entity_id, pid, identity_id = str(balance["entity_id"]), str(balance["pid"]), str(balance["identity_id"])
    rev, total = int(balance.get("rev", 0)), int(balance.get("total", 0))
    merged = bool(balance.get("merged_into"))  # the participant merged into another: no longer counted
    rules = recurring.rules_of(entity_id, pid)
    score = leaderboard.score_of(balance, rules.tasks)
    at_ms = int(balance.get("at") or clock.now() * 1000)
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
            new_key = leaderboard.board_key(score, at_ms)
        periods, moves = recurring.advance(
            seen.get("periods") if seen else None,
            int(seen.get("score", 0)) if seen else 0,
            score,
            total,
            at_ms,
            merged,
            rules,
            leaderboard.board_key,
        )
        board_set: dict[Any, Any] = {"periods": periods} if periods else {}
        board_remove: list[str] = []
        joining = (new_key != old_key and new_key is not None) or any(m.new for m in moves)
        profile = (table.get(keys.identity(entity_id, identity_id)) or {}) if joining else {}
        if new_key != old_key:  # joining, moving on or leaving the board: the entry shows the latest name
            fields, board_remove = leaderboard.board_fields(entity_id, pid, identity_id, new_key, profile)
            board_set.update(fields)
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
                        **(_moved(rev, old_key) if new_key != old_key else {}),
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
            *_move_operations(entity_id, pid, identity_id, moves, profile, 0),
        ]
        try:
            table.transact_write(operations)
            return True
        except ConditionFailed:
            continue  # another writer moved the projection meanwhile: look again
    raise Retryable("the leaderboard projection kept changing; the stream will retry")


def _moved(rev: int, old_key: str | None) -> dict[str, Any]:
    """What a projection keeps of its last move on the board: the revision that moved it and the key it
    left ("" when it joined), which `campaigns.rank_moves` reads to tell the move's old rank."""
    return {"moved_rev": rev, "prev_key": old_key or ""}


def _move_operations(
    entity_id: str,
    pid: str,
    identity_id: str,
    moves: Sequence[recurring.Move],
    profile: Mapping[str, Any],
    shard: int,
) -> list[TxUpdate | TxDelete]:
    """A participant's entries and count-tree changes on the recurring boards it moves on."""
    found: list[TxUpdate | TxDelete] = []
    for move in moves:
        found.append(leaderboard.entry_operation(entity_id, pid, identity_id, move, profile))
        found += leaderboard.tree_operations(entity_id, pid, move.old, move.new, shard, move.board)
    return found


# --- a stream batch at once -----------------------------------------------------------------------------

TRANSACTION_ITEMS = 100  # DynamoDB's limit on one TransactWriteItems


class _Change:
    """One participant's share of a batch: what its projection becomes, and the board key it leaves for
    the one it takes (the first record's counted state to the last record's)."""

    def __init__(self, balance: Mapping[str, Any], seen: Mapping[str, Any] | None) -> None:
        self.entity_id, self.pid = str(balance["entity_id"]), str(balance["pid"])
        self.identity_id = str(balance["identity_id"])
        self.at = keys.stats_projection(self.entity_id, self.pid, self.identity_id)
        self.seen = seen
        self.old_key: str | None = seen.get("board_key") if seen else None
        self.state: dict[str, Any] | None = None  # rev, total, score, board_key, merged, day as counted
        self.stats: list[TxUpdate] = []  # the statistics' changes, record by record
        self.moves: dict[str, recurring.Move] = {}  # per recurring board: first old entry to last new one

    def board_moves(self) -> list[recurring.Move]:
        return [m for _, m in sorted(self.moves.items()) if m.old != m.new]


def _advance(change: _Change, balance: Mapping[str, Any], rules: recurring.Rules) -> None:
    """Move `change` on by one balance record exactly as `apply_balance` would count it."""
    state = change.state if change.state is not None else dict(change.seen or {})
    counted = change.state is not None or change.seen is not None
    rev = int(balance.get("rev", 0))
    merged = bool(balance.get("merged_into"))
    if counted and int(state.get("rev", 0)) >= rev:
        return
    if merged and (not counted or state.get("merged")):
        return
    if counted and state.get("merged"):
        return
    score = leaderboard.score_of(balance, rules.tasks)
    at_ms = int(balance.get("at") or clock.now() * 1000)
    old_key = state.get("board_key") if counted else None
    if merged:
        new_key = None
    elif counted and int(state.get("score", 0)) == score:
        new_key = old_key
    else:
        new_key = leaderboard.board_key(score, at_ms)
    periods, moves = recurring.advance(
        state.get("periods") if counted else None,
        int(state.get("score", 0)) if counted else 0,
        score,
        int(balance.get("total", 0)),
        at_ms,
        merged,
        rules,
        leaderboard.board_key,
    )
    for move in moves:
        first = change.moves.get(move.board)
        change.moves[move.board] = move if first is None else move._replace(old=first.old)
    day = stats.day_of()
    change.stats.extend(
        stats.operations(
            change.entity_id,
            change.pid,
            state if counted else None,
            int(balance.get("total", 0)),
            day,
            merged=merged,
        )
    )
    change.state = {
        "rev": rev,
        "total": int(balance.get("total", 0)),
        "score": score,
        "board_key": new_key,
        "merged": merged or bool(state.get("merged")),
        "day": day,
        "periods": periods,
    }


def apply_batch(balances: Sequence[Mapping[str, Any]]) -> None:
    """Count a stream batch's balance changes (in stream order) with as few writes as they allow: per
    campaign, the participants' projections and the summed statistics and count-tree changes of as many
    participants as fit in one transaction. Each projection stays conditional on the revision it read, so
    a replayed batch, or a record that another batch counted meanwhile, changes nothing: a transaction
    whose condition fails is counted again record by record (`apply_balance`)."""
    table = get_table()
    by_campaign: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for balance in balances:
        by_campaign.setdefault((str(balance["entity_id"]), str(balance["pid"])), []).append(balance)
    for (entity_id, pid), records in by_campaign.items():
        rules = recurring.rules_of(entity_id, pid)
        order: list[str] = []
        per_user: dict[str, list[Mapping[str, Any]]] = {}
        for balance in records:
            identity_id = str(balance["identity_id"])
            if identity_id not in per_user:
                order.append(identity_id)
            per_user.setdefault(identity_id, []).append(balance)
        seen = {
            str(item["identity_id"]): item
            for item in table.batch_get(
                [keys.stats_projection(entity_id, pid, i) for i in order], consistent=True
            )
        }
        changes = []
        for identity_id in order:
            change = _Change(per_user[identity_id][0], seen.get(identity_id))
            for balance in per_user[identity_id]:
                _advance(change, balance, rules)
            if change.state is not None:
                changes.append(change)
        moving = [
            c.identity_id
            for c in changes
            if c.state
            and (
                (c.state["board_key"] and c.state["board_key"] != c.old_key)
                or any(m.new for m in c.board_moves())
            )
        ]
        profiles = {
            str(item["identity_id"]): item
            for item in table.batch_get([keys.identity(entity_id, i) for i in moving])
        }
        for chunk in _chunks(entity_id, pid, changes):
            operations = _chunk_operations(entity_id, pid, chunk, profiles)
            try:
                table.transact_write(operations)
            except ConditionFailed:
                for change in chunk:  # someone else counted one of them meanwhile: one by one
                    for balance in per_user[change.identity_id]:
                        apply_balance(balance)
        finished.check(entity_id, pid, rules, records)


def _projection_operation(change: _Change, profile: Mapping[str, Any]) -> TxUpdate:
    state = change.state or {}
    board_set: dict[Any, Any] = {}
    board_remove: list[str] = []
    if state["board_key"] != change.old_key:
        board_set, board_remove = leaderboard.board_fields(
            change.entity_id, change.pid, change.identity_id, state["board_key"], profile
        )
    seen = change.seen
    return TxUpdate(
        change.at,
        Update(
            set={
                "rev": state["rev"],
                "total": state["total"],
                "score": state["score"],
                "day": state["day"],
                **({"periods": state["periods"]} if state["periods"] else {}),
                **board_set,
                **(_moved(state["rev"], change.old_key) if state["board_key"] != change.old_key else {}),
                **({"merged": True} if state["merged"] else {}),
            },
            set_if_absent={
                "type": "stats_projection",
                "entity_id": change.entity_id,
                "pid": change.pid,
                "identity_id": change.identity_id,
            },
            remove=board_remove,
        ),
        condition=not_exists() if seen is None else equals("rev", int(seen.get("rev", 0))),
    )


def _stats_changes(change: _Change) -> list[TxUpdate]:
    return change.stats


def _tree(change: _Change) -> dict[str, dict[str, int]]:
    return leaderboard.tree_changes(change.old_key, (change.state or {}).get("board_key"))


def _chunks(entity_id: str, pid: str, changes: list[_Change]) -> list[list[_Change]]:
    """The changes in groups whose summed operations fit one transaction."""
    chunks: list[list[_Change]] = []
    current: list[_Change] = []
    touched: set[str] = set()
    for change in changes:
        mine = {f"N{p}" for p in _tree(change)} | {str(op.key[keys.SK]) for op in _stats_changes(change)}
        for move in change.board_moves():
            mine.add(f"E{move.board}#{change.identity_id}")
            tree = leaderboard.tree_changes(move.old, move.new)
            mine |= {f"{move.board}#N{p}" for p in tree}
        if current and len(current) + 1 + len(touched | mine) > TRANSACTION_ITEMS:
            chunks.append(current)
            current, touched = [], set()
        current.append(change)
        touched |= mine
    if current:
        chunks.append(current)
    return chunks


def _chunk_operations(
    entity_id: str, pid: str, chunk: list[_Change], profiles: Mapping[str, Mapping[str, Any]]
) -> list[TxUpdate | TxDelete]:
    tree: dict[str, dict[str, int]] = {}
    boards: dict[str, dict[str, dict[str, int]]] = {}  # the recurring boards' trees
    entries: list[TxUpdate | TxDelete] = []
    summed: dict[str, TxUpdate] = {}
    for change in chunk:
        leaderboard.add_changes(tree, _tree(change))
        for move in change.board_moves():
            entries.append(
                leaderboard.entry_operation(
                    entity_id, pid, change.identity_id, move, profiles.get(change.identity_id, {})
                )
            )
            leaderboard.add_changes(
                boards.setdefault(move.board, {}),
                leaderboard.tree_changes(move.old, move.new),
            )
        for op in _stats_changes(change):
            sk = str(op.key[keys.SK])
            if sk not in summed:
                summed[sk] = op
                continue
            before = summed[sk].update
            add = dict(before.add or {})
            for name, delta in (op.update.add or {}).items():
                add[name] = add.get(name, 0) + delta
            absent = {**(op.update.set_if_absent or {}), **(before.set_if_absent or {})}
            summed[sk] = summed[sk]._replace(update=before._replace(add=add, set_if_absent=absent))
    shard = leaderboard.shard_of(chunk[0].identity_id)
    return [
        *(_projection_operation(c, profiles.get(c.identity_id, {})) for c in chunk),
        *(
            op._replace(update=op.update._replace(add={k: v for k, v in op.update.add.items() if v}))
            for op in summed.values()
            if any(op.update.add.values())
        ),
        *leaderboard.node_operations(entity_id, pid, tree, shard),
        *entries,
        *(
            op
            for board, changes in sorted(boards.items())
            for op in leaderboard.node_operations(entity_id, pid, changes, shard, board)
        ),
    ]
