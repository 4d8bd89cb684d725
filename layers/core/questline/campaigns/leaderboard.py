"""Leaderboards: a campaign's participants by score, highest first; participants with the same score share
a rank and are listed in the order they reached it. The table's stream keeps them from balance changes
(`campaigns.projection`); reads cost a fixed number of small items whatever the size of the board or the
rank asked for.

Each participant on the board has a *board key* of 22 digits: the complement of the score (10 digits, so a
higher score sorts first) and the millisecond since 2020 at which the score was reached (12 digits, earlier
first). GSI2 lists the board in key order (top N, paging, the users around a user).

A rank is one plus the number of participants with a higher score, read from a count tree instead of
counted (decision 11): the score's 10 digits, two at a time, make 5 levels; the node of level `l` for
prefix `p` (the first `2l` digits of the score's complement) holds `c00`…`c99`, how many participants'
scores continue `p` with those two digits. The rank of a score sums, at each level, the counts below its
digits in the node of its prefix. A score change subtracts the old score and adds the new one along their
paths: the levels above where the two scores part cancel and are not written, so a change writes one to
three nodes, and the nodes of the scores near it, which the changes of a stream batch share. The tree is
written in the same transaction as the participant's projection, which is conditional on the balance
revision, so a replayed stream record changes nothing.

The stream applies a batch's changes together (`campaigns.projection.apply_batch`): the counters of every
change in one transaction are summed per node, so a node the changes share is written once per
transaction, not once per change. Every node is also split into `SHARDS` items (a transaction writes the
shard its first participant's hash picks; reads sum them), so no item is written by every change of a
campaign (decision 8).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from questline.campaigns import recurring, store
from questline.campaigns.ledger import task_xp_attribute
from questline.errors import BadRequest
from questline.identity.public_ids import public_user_id
from questline.storage import get_table, keys
from questline.storage.cursor import decode_cursor, encode_cursor
from questline.storage.keys import GSI2, GSI2PK, GSI2SK, PK, SK, Key
from questline.storage.table import TxDelete, TxUpdate, Update

SCORE_DIGITS = 10
MAX_SCORE = 10**SCORE_DIGITS - 1  # higher scores rank as this one
TIME_DIGITS = 12
EPOCH_MS = 1_577_836_800_000  # 2020-01-01T00:00:00Z: 12 digits of milliseconds last until 2051
KEY_DIGITS = SCORE_DIGITS + TIME_DIGITS
LEVELS = SCORE_DIGITS // 2  # the count tree's: ranks are by score alone
ROOT = ""
SIZE = "size"
SHARDED_LEVELS = LEVELS  # every level's node is split in shards
SHARDS = 2  # items per node; shard 0 is the unsharded node's own item
MAX_PAGE = 1000
MAX_AROUND = 50
ALL = keys.ALL_TIME_BOARD


def board_key(score: int, reached_ms: int) -> str | None:
    """A participant's key on the board, or None when the score keeps it off (zero or less)."""
    if score <= 0:
        return None
    since = min(max(reached_ms - EPOCH_MS, 0), 10**TIME_DIGITS - 1)
    return f"{MAX_SCORE - min(score, MAX_SCORE):0{SCORE_DIGITS}d}{since:0{TIME_DIGITS}d}"


def _path(key: str) -> list[tuple[str, str]]:
    """(node prefix, the score's two digits at that node) for each of the count tree's five levels."""
    score = key[:SCORE_DIGITS]
    return [(score[: 2 * level], score[2 * level : 2 * level + 2]) for level in range(LEVELS)]


def tree_changes(old_key: str | None, new_key: str | None) -> dict[str, dict[str, int]]:
    """Per node prefix, the counters to add to move a participant from `old_key` to `new_key` (either may
    be None: joining or leaving the board). Only non-zero changes are kept."""
    changes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, delta in ((old_key, -1), (new_key, 1)):
        if key is None:
            continue
        for prefix, digits in _path(key):
            changes[prefix][f"c{digits}"] += delta
        changes[ROOT][SIZE] += delta
    return {
        prefix: {name: delta for name, delta in counters.items() if delta}
        for prefix, counters in changes.items()
        if any(counters.values())
    }


def add_changes(into: dict[str, dict[str, int]], changes: Mapping[str, Mapping[str, int]]) -> None:
    """Sum `changes` (from `tree_changes`) into `into`, dropping counters that cancel."""
    for prefix, counters in changes.items():
        node = into.setdefault(prefix, {})
        for name, delta in counters.items():
            node[name] = node.get(name, 0) + delta
            if not node[name]:
                del node[name]
        if not node:
            del into[prefix]


def shard_of(seed: str) -> int:
    """The shard of the upper levels a transaction seeded by `seed` writes (stable, spread evenly)."""
    return int(hashlib.blake2b(seed.encode(), digest_size=2).hexdigest(), 16) % SHARDS


def node_key(entity_id: str, pid: str, prefix: str, shard: int = 0, board: str = ALL) -> Key:
    sharded = shard and len(prefix) < 2 * SHARDED_LEVELS
    return keys.board_node(entity_id, pid, f"{prefix}#s{shard}" if sharded else prefix, board)


def node_operations(
    entity_id: str, pid: str, changes: Mapping[str, Mapping[str, int]], shard: int = 0, board: str = ALL
) -> list[TxUpdate]:
    """The updates that add `changes` (per node prefix) to a board's tree, the upper levels in `shard`."""
    named = {
        "type": "board_node",
        "entity_id": entity_id,
        "pid": pid,
        **({} if board == ALL else {"board": board}),
    }
    return [
        TxUpdate(
            node_key(entity_id, pid, prefix, shard, board), Update(add=dict(counters), set_if_absent=named)
        )
        for prefix, counters in sorted(changes.items())
        if counters
    ]


def tree_operations(
    entity_id: str, pid: str, old_key: str | None, new_key: str | None, shard: int = 0, board: str = ALL
) -> list[TxUpdate]:
    return node_operations(entity_id, pid, tree_changes(old_key, new_key), shard, board)


def _path_keys(entity_id: str, pid: str, key: str, board: str = ALL) -> list[Key]:
    found: list[Key] = []
    for prefix, _ in _path(key):
        shards = SHARDS if len(prefix) < 2 * SHARDED_LEVELS else 1
        found.extend(node_key(entity_id, pid, prefix, shard, board) for shard in range(shards))
    return found


def _summed(items: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Nodes by prefix, their shards' counters summed."""
    nodes: dict[str, dict[str, int]] = {}
    for item in items:
        prefix = str(item[SK]).removeprefix("N#").split("#", 1)[0]
        node = nodes.setdefault(prefix, {})
        for name, value in item.items():
            if name == SIZE or (len(name) == 3 and name[0] == "c" and name[1:].isdigit()):
                node[name] = node.get(name, 0) + int(value)
    return nodes


def counted_tasks(entity_id: str, pid: str) -> Sequence[str]:
    """The actions whose XP the board counts (empty: every change of the balance). A campaign tried only as
    a draft (`env=dev`) counts by its draft."""
    return recurring.rules_of(entity_id, pid).tasks


def score_of(balance: Mapping[str, Any], tasks: Sequence[str]) -> int:
    if not tasks:
        return int(balance.get("total", 0))
    return sum(int(balance.get(task_xp_attribute(task), 0)) for task in tasks)


def board_fields(
    entity_id: str, pid: str, identity_id: str, key: str | None, profile: Mapping[str, Any]
) -> tuple[dict[Any, Any], list[str]]:
    """What a participant's projection item sets (and removes) to stand at `key` on the board."""
    if key is None:
        return {}, ["board_key", GSI2PK, GSI2SK]
    data = profile.get("data") or {}
    return {
        "board_key": key,
        "name": profile.get("name") or data.get("name"),
        "avatar": data.get("avatar") or data.get("avatar_url"),
        **keys.board_listing(entity_id, pid, key, identity_id),
    }, []


def entry_operation(
    entity_id: str, pid: str, identity_id: str, move: recurring.Move, profile: Mapping[str, Any]
) -> TxUpdate | TxDelete:
    """What a participant's entry on a recurring board becomes (its key there is the listing key's score
    digits: ties share a rank; the listing orders them by the moment they reached it). A participant
    who leaves the board (a score there of zero or less) leaves no entry."""
    at = keys.board_entry(entity_id, pid, move.board, identity_id)
    if move.new is None:
        return TxDelete(at)
    fields, _ = board_fields(entity_id, pid, identity_id, move.new, profile)
    fields.update(
        board_key=recurring.rank_key(move.new),
        score=move.score,
        **keys.board_listing(entity_id, pid, move.new, identity_id, move.board),
    )
    named = {"type": "board_entry", "entity_id": entity_id, "pid": pid, "identity_id": identity_id}
    return TxUpdate(at, Update(set=fields, set_if_absent={**named, "board": move.board}))


# --- reads ------------------------------------------------------------------------------------------


class Rank(NamedTuple):
    rank: int
    size: int


def rank_of(entity_id: str, pid: str, key: str, board: str = ALL) -> Rank:
    """The rank of `key` and the board's size: one BatchGetItem of its score's five nodes, each in two
    shards (summed)."""
    found = _summed(get_table().batch_get(_path_keys(entity_id, pid, key, board)))
    below = 0
    for prefix, digits in _path(key):
        node = found.get(prefix, {})
        below += sum(int(node.get(f"c{d:02d}", 0)) for d in range(int(digits)))
    return Rank(below + 1, int(found.get(ROOT, {}).get(SIZE, 0)))


def ranks_of(entity_id: str, pid: str, board_keys: Sequence[str], board: str = ALL) -> list[int]:
    """The ranks of several keys at once: one BatchGetItem of their paths' nodes, each node read once."""
    wanted = {str(key[SK]): key for one in board_keys for key in _path_keys(entity_id, pid, one, board)}
    found = _summed(get_table().batch_get(list(wanted.values()))) if wanted else {}
    ranks = []
    for one in board_keys:
        below = 0
        for prefix, digits in _path(one):
            node = found.get(prefix, {})
            below += sum(int(node.get(f"c{d:02d}", 0)) for d in range(int(digits)))
        ranks.append(below + 1)
    return ranks


def size_of(entity_id: str, pid: str, board: str = ALL) -> int:
    roots = get_table().batch_get([node_key(entity_id, pid, ROOT, shard, board) for shard in range(SHARDS)])
    return _summed(roots).get(ROOT, {}).get(SIZE, 0)


def standing_of(entity_id: str, pid: str, identity_id: str, board: str = ALL) -> dict[str, Any] | None:
    """The participant's entry (its projection item, or its entry on a recurring board), when it is on
    the board."""
    at = keys.stats_projection(entity_id, pid, identity_id)
    item = get_table().get(at if board == ALL else keys.board_entry(entity_id, pid, board, identity_id))
    return item if item and item.get("board_key") else None


def _entry(item: Mapping[str, Any], rank: int) -> dict[str, Any]:
    return {
        "rank": rank,
        "score": int(item.get("score", 0)),
        "user": {
            "id": public_user_id(str(item["entity_id"]), str(item["pid"]), str(item["identity_id"])),
            "name": item.get("name"),
            "avatar": item.get("avatar"),
        },
    }


def _ranked(
    items: Sequence[Mapping[str, Any]], first_rank: int, previous: tuple[str, int] | None
) -> list[dict[str, Any]]:
    """Entries in board order from `first_rank`; equal scores share the rank of the first of them."""
    entries = []
    for index, item in enumerate(items):
        rank = first_rank + index
        score = recurring.rank_key(str(item["board_key"]))
        if previous is not None and recurring.rank_key(previous[0]) == score:
            rank = previous[1]
        entries.append(_entry(item, rank))
        previous = (str(item["board_key"]), rank)
    return entries


class Page(NamedTuple):
    entries: list[dict[str, Any]]
    next: str | None


def page(entity_id: str, pid: str, limit: int, cursor: str | None, board: str = ALL) -> Page:
    """A page of the board from the top, or from where `cursor` left off."""
    partition = keys.board_ranks(entity_id, pid, board)
    start = decode_cursor(cursor, partition_attr=GSI2PK, partition=partition, field="after")
    seen, last = 0, None
    if start is not None:
        try:
            seen, last = int(start.pop("n")), (str(start.pop("k")), int(start.pop("r")))
        except (KeyError, TypeError, ValueError):
            raise BadRequest("after is not a valid cursor", field="after") from None
        if set(start) != {PK, SK, GSI2PK, GSI2SK}:
            raise BadRequest("after is not a valid cursor", field="after")
    found = get_table().query(partition, index=GSI2, limit=limit, start_key=start)
    entries = _ranked(found.items, seen + 1, last)
    following = None
    if found.last_key is not None and found.items:
        tail = found.items[-1]
        following = encode_cursor(
            {**found.last_key, "n": seen + len(entries), "k": tail["board_key"], "r": entries[-1]["rank"]}
        )
    return Page(entries, following)


def around(
    entity_id: str, pid: str, standing: Mapping[str, Any], count: int, board: str = ALL
) -> list[dict[str, Any]]:
    """The `count` entries above a participant, the participant, and the `count` below: two queries of at
    most `count` entries, and the ranks of the window's scores in one BatchGetItem of their nodes (ties
    share a rank, so a neighbour's rank is not its distance from the participant's)."""
    table, partition = get_table(), keys.board_ranks(entity_id, pid, board)
    at = str(standing[GSI2SK])
    above = table.query(partition, index=GSI2, before=at, forward=False, limit=count).items
    below = table.query(partition, index=GSI2, after=at, limit=count).items
    window = [*reversed(above), standing, *below]
    scores = sorted({str(recurring.rank_key(str(item["board_key"]))) for item in window})
    ranks = dict(zip(scores, ranks_of(entity_id, pid, scores, board), strict=True))
    return [_entry(item, ranks[str(recurring.rank_key(str(item["board_key"])))]) for item in window]


def view(
    entity_id: str,
    pid: str,
    identity_id: str | None,
    *,
    limit: int | None = None,
    after: str | None = None,
    around_count: int | None = None,
    user_named: bool = False,
    period: str | None = None,
    at: str | None = None,
    season: int | None = None,
) -> dict[str, Any]:
    """`GET /leaderboard`: a page of the board from the top (the campaign's `max_entries` by default), or
    the entries around a user; when a user is named (`user_named`, or `identity_id` known), their rank:
    None when they are not on the board, or not known at all. The all-time board, or the recurring board
    that `period` (with `at`, a past one) or `season` name (`recurring.board_of`)."""
    campaign = store.load(entity_id, pid).campaign
    board = recurring.board_of(campaign, period, at, season)
    standing = standing_of(entity_id, pid, identity_id, board) if identity_id else None
    placed = rank_of(entity_id, pid, str(standing["board_key"]), board) if standing else None
    answer: dict[str, Any] = {"live": True}
    if around_count:
        if identity_id is None and not user_named:
            raise BadRequest("around needs the user's account and platform", field="around")
        entries = around(entity_id, pid, standing, around_count, board) if standing else []
        answer.update(leaderboard=entries, next=None)
    else:
        found = page(entity_id, pid, min(limit or campaign.leaderboard.max_entries, MAX_PAGE), after, board)
        answer.update(leaderboard=found.entries, next=found.next)
    if identity_id is not None or user_named:
        answer["rank"] = placed.rank if placed else None
    answer["total"] = placed.size if placed else size_of(entity_id, pid, board)
    return answer
