"""A stream batch's balance changes counted together (`projection.apply_batch`, decision 8): the same board,
statistics and projections as counting them record by record, replays and overlapping batches changing
nothing, a transaction that loses a race counted again record by record, and the writes on the hottest item
per 1,000 changes."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from questline.campaigns import leaderboard, projection
from questline.storage import get_table, keys
from questline.storage.keys import PK, SK
from questline.storage.table import Table
from tests.unit.conftest import Aws

ENTITY = "e-" + "1" * 32
ONE_BY_ONE, BATCHED = "cmp-one-by-one", "cmp-batched"
PEOPLE = [f"u{n:03d}" for n in range(40)]


def _records(count: int, seed: int) -> list[dict[str, Any]]:
    """Balance images as the stream carries them: revisions rising per user, scores that tie, leave the
    board (zero or less) and come back, and a few participants merged away."""
    rng = random.Random(seed)
    revs = dict.fromkeys(PEOPLE, 0)
    merged: set[str] = set()
    found = []
    for step in range(count):
        who = rng.choice(PEOPLE)
        revs[who] += 1
        image: dict[str, Any] = {
            "type": "balance",
            "entity_id": ENTITY,
            "identity_id": who,
            "rev": revs[who],
            "total": rng.choice([-5, 0, 10, 20, 20, 30, 50, 50, 70, 100, 250, 10**11]),
            "at": 1_795_000_000_000 + step // 3 * 1000,
        }
        if who not in merged and rng.random() < 0.02:
            image["merged_into"] = "someone-else"
            merged.add(who)
        found.append(image)
    return found


def _as(pid: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "pid": pid} for r in records]


def _state(pid: str) -> dict[str, Any]:
    """What the campaign's projection keeps, with the upper levels' shards summed: the count tree, the
    projections, the statistics."""
    table = get_table()
    nodes = leaderboard._summed(table.query(keys.board_nodes(ENTITY, pid)).items)
    tree = {prefix: {n: v for n, v in c.items() if v} for prefix, c in nodes.items()}
    projections = {}
    for who in PEOPLE:
        item = table.get(keys.stats_projection(ENTITY, pid, who))
        if item:
            projections[who] = {
                k: item.get(k) for k in ("rev", "total", "score", "board_key", "merged", "day")
            }
    stats = {
        str(i[SK]): {k: int(v) for k, v in i.items() if k in ("total_points", "total_users", "users")}
        for i in table.query(keys.campaign_stats_partition(ENTITY, pid)).items
    }
    return {"tree": {p: c for p, c in tree.items() if c}, "projections": projections, "stats": stats}


def _batched(records: list[dict[str, Any]], seed: int) -> None:
    rng = random.Random(seed)
    at = 0
    while at < len(records):
        size = rng.choice([1, 3, 10, 50, 100])
        projection.apply_batch(records[at : at + size])
        at += size


@pytest.mark.slow
def test_a_batch_counts_what_its_records_count_one_by_one(aws: Aws) -> None:
    aws.use_function_env("StreamFunction")
    records = _records(600, seed=3)
    for record in _as(ONE_BY_ONE, records):
        projection.apply_balance(record)
    _batched(_as(BATCHED, records), seed=4)
    one_by_one, batched = _state(ONE_BY_ONE), _state(BATCHED)
    assert batched["tree"] == one_by_one["tree"]
    assert batched["projections"] == one_by_one["projections"]
    assert batched["stats"] == one_by_one["stats"]
    assert batched["projections"]  # the check compared a board, not two empty ones
    # every rank on the sharded board is the brute-force rank: one plus those with a higher score
    scores = [
        min(int(p["score"]), leaderboard.MAX_SCORE) for p in batched["projections"].values() if p["board_key"]
    ]
    for p in batched["projections"].values():
        if p["board_key"]:
            placed = leaderboard.rank_of(ENTITY, BATCHED, str(p["board_key"]))
            higher = sum(other > min(int(p["score"]), leaderboard.MAX_SCORE) for other in scores)
            assert placed == (1 + higher, len(scores))


@pytest.mark.slow
def test_replayed_and_overlapping_batches_change_nothing(aws: Aws) -> None:
    aws.use_function_env("StreamFunction")
    records = _records(300, seed=5)
    for record in _as(ONE_BY_ONE, records):
        projection.apply_balance(record)
    batched = _as(BATCHED, records)
    projection.apply_batch(batched[:200])
    projection.apply_batch(batched[:200])  # the same batch again
    projection.apply_batch(batched[150:250])  # a retry that bisected differently: half counted already
    projection.apply_batch(batched[100:300])
    projection.apply_batch(list(reversed(batched[:300])))  # older records after newer ones
    assert _state(BATCHED) == {**_state(ONE_BY_ONE)}


@pytest.mark.slow
def test_a_transaction_that_loses_a_race_is_counted_record_by_record(aws: Aws, monkeypatch: Any) -> None:
    aws.use_function_env("StreamFunction")
    records = _records(120, seed=9)
    for record in _as(ONE_BY_ONE, records):
        projection.apply_balance(record)
    batched = _as(BATCHED, records)
    chunks = projection._chunks
    raced: list[str] = []

    def racing(entity_id: str, pid: str, changes: list[Any]) -> list[list[Any]]:
        # another consumer counts the last record of the first participant between our read and write
        if not raced and changes:
            who = changes[0].identity_id
            raced.append(who)
            projection.apply_balance([r for r in batched if r["identity_id"] == who][-1])
        return chunks(entity_id, pid, changes)

    monkeypatch.setattr(projection, "_chunks", racing)
    projection.apply_batch(batched)
    assert raced
    assert _state(BATCHED) == _state(ONE_BY_ONE)


@pytest.mark.slow
def test_no_item_is_written_by_every_change(aws: Aws, monkeypatch: Any) -> None:
    """1,000 changes in stream batches of 100: the writes each item takes, counted at the table."""
    aws.use_function_env("StreamFunction")
    writes: Counter[tuple[str, str]] = Counter()
    transact = Table.transact_write

    def counting(self: Table, operations: Any, **kw: Any) -> None:
        transact(self, operations, **kw)
        writes.update((str(op.key[PK]), str(op.key[SK])) for op in operations)

    monkeypatch.setattr(Table, "transact_write", counting)
    rng = random.Random(11)
    revs: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    batch: list[dict[str, Any]] = []
    for step in range(1000):
        who = f"p{rng.randrange(5000):05d}"
        revs[who] += 1
        totals[who] += rng.choice([10, 20, 50, 100])
        batch.append(
            {
                "type": "balance",
                "entity_id": ENTITY,
                "pid": BATCHED,
                "identity_id": who,
                "rev": revs[who],
                "total": totals[who],
                "at": 1_795_000_000_000 + step * 7,
            }
        )
        if len(batch) == 100:
            projection.apply_batch(batch)
            batch = []
    hottest, count = writes.most_common(1)[0]
    assert count <= 100, (hottest, count)
    units = 2 * sum(writes.values()) / 1000  # a transactional write of an item under 1 KB: 2 WCU
    print(f"hottest item {hottest}: {count} writes per 1,000 changes; {units:.1f} WCU per change")


@pytest.mark.slow
def test_a_score_change_of_a_user_on_the_board_bills_at_most_six_write_units(
    aws: Aws, monkeypatch: Any
) -> None:
    """500 users on the board (0 to 5,000 points), then 300 changes of 10 to 500 points in stream batches
    of 100: the items each batch's transactions write, billed at 2 write units each, per change."""
    aws.use_function_env("StreamFunction")
    rng = random.Random(5)
    people = [f"p{n:03d}" for n in range(500)]
    totals = {who: rng.randrange(1, 5000) for who in people}
    revs = dict.fromkeys(people, 1)
    joining = [
        {
            "type": "balance",
            "entity_id": ENTITY,
            "pid": BATCHED,
            "identity_id": who,
            "rev": 1,
            "total": totals[who],
            "at": 1_795_000_000_000 + n,
        }
        for n, who in enumerate(people)
    ]
    for at in range(0, len(joining), 100):
        projection.apply_batch(joining[at : at + 100])

    written: list[int] = []
    transact = Table.transact_write

    def counting(self: Table, operations: Any, **kw: Any) -> None:
        transact(self, operations, **kw)
        written.append(len(operations))

    monkeypatch.setattr(Table, "transact_write", counting)
    for batch in range(3):
        records = []
        for who in rng.sample(people, 100):
            revs[who] += 1
            totals[who] += rng.randrange(10, 501)
            records.append(
                {
                    "type": "balance",
                    "entity_id": ENTITY,
                    "pid": BATCHED,
                    "identity_id": who,
                    "rev": revs[who],
                    "total": totals[who],
                    "at": 1_796_000_000_000 + batch * 1000,
                }
            )
        projection.apply_batch(records)
    units = 2 * sum(written) / 300
    print(f"{units:.2f} WCU per change")
    assert units <= 6, f"{units:.2f} WCU per change ({sum(written)} items in {len(written)} transactions)"
    ranked = sorted(people, key=lambda who: -totals[who])
    for who in ranked[:20]:
        standing = leaderboard.standing_of(ENTITY, BATCHED, who)
        assert standing is not None
        higher = sum(totals[other] > totals[who] for other in people)
        assert leaderboard.rank_of(ENTITY, BATCHED, str(standing["board_key"])).rank == higher + 1
