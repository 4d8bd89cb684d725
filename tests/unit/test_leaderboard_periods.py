"""Recurring leaderboards (decision 10): boards that start again every local day, ISO week and month in the
campaign's timezone (across a DST change), season boards, previous periods kept and readable, a batch and
its replays leaving what counting record by record leaves, and what they add to a change's writes."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from questline import clock
from questline.campaigns import leaderboard, projection, store
from questline.campaigns.definition import Campaign
from questline.errors import BadRequest
from questline.identity.public_ids import public_user_id
from questline.storage import get_table, keys
from questline.storage.keys import PK, SK
from questline.storage.table import Table, Update
from tests.unit.conftest import Aws

ENTITY = "e-" + "2" * 32
NEW_YORK = ZoneInfo("America/New_York")


def _campaign(pid: str, **board: Any) -> None:
    definition = {
        "name": "Recurring",
        "timezone": "America/New_York",
        "seasons": [{"name": "Rookies", "max_xp": 100}, {"name": "Masters", "max_xp": 1000}],
        "leaderboard": board,
    }
    store.save_draft(ENTITY, pid, Campaign.model_validate(definition))
    store.publish(ENTITY, pid)
    store.forget(ENTITY)


def _ms(local: str) -> int:
    """Epoch milliseconds of a wall-clock time in New York (fold 0: the first of a repeated hour)."""
    return int(datetime.fromisoformat(local).replace(tzinfo=NEW_YORK).timestamp() * 1000)


def _image(pid: str, who: str, rev: int, total: int, at: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "balance",
        "entity_id": ENTITY,
        "pid": pid,
        "identity_id": who,
        "rev": rev,
        "total": total,
        "at": at,
        **extra,
    }


def _board(pid: str, who: str | None = None, **query: Any) -> tuple[list[tuple[str, int, int]], Any, int]:
    """(identity, rank, score) in board order, the rank of `who`, the board's size."""
    answer = leaderboard.view(ENTITY, pid, who, user_named=who is not None, **query)
    by_public = {public_user_id(ENTITY, pid, f"u{n}"): f"u{n}" for n in range(60)}  # as answers name them
    entries = [(by_public[e["user"]["id"]], e["rank"], e["score"]) for e in answer["leaderboard"]]
    return entries, answer.get("rank"), answer["total"]


def test_the_day_board_starts_again_each_local_day_across_a_dst_change(aws: Aws, monkeypatch: Any) -> None:
    aws.use_function_env("StreamFunction")
    pid = "daily"
    _campaign(pid, periods=["daily"])
    # 2026-11-01 is 25 hours long in New York (EDT -> EST at 02:00)
    records = [
        _image(pid, "u1", 1, 10, _ms("2026-10-31T23:30")),
        _image(pid, "u1", 2, 30, _ms("2026-11-01T00:30")),
        _image(pid, "u2", 1, 50, _ms("2026-11-01T12:00")),
        _image(pid, "u1", 3, 35, _ms("2026-11-01T23:30")),  # 04:30 UTC on 11-02: still 11-01 in New York
        _image(pid, "u1", 4, 100, _ms("2026-11-02T00:30")),
        _image(pid, "u3", 1, 65, _ms("2026-11-02T08:00")),
    ]
    for record in records:
        assert projection.apply_balance(record)

    monkeypatch.setattr(clock, "now", lambda: _ms("2026-11-02T20:00") / 1000)
    assert _board(pid, "u2", period="daily") == ([("u1", 1, 65), ("u3", 1, 65)], None, 2)  # a tie
    assert _board(pid, "u2", period="daily", at="2026-11-01") == ([("u2", 1, 50), ("u1", 2, 25)], 1, 2)
    assert _board(pid, "u1", period="daily", at="2026-10-31") == ([("u1", 1, 10)], 1, 1)
    assert _board(pid, None, period="daily", at="2026-10-30") == ([], None, 0)
    # the all-time board as before
    assert _board(pid, "u2") == ([("u1", 1, 100), ("u3", 2, 65), ("u2", 3, 50)], 3, 3)
    monkeypatch.setattr(clock, "now", lambda: _ms("2026-11-03T00:01") / 1000)
    assert _board(pid, "u1", period="daily") == ([], None, 0)  # a new local day: an empty board

    # what is stored: one entry per board a participant stood on, beside its projection
    entries = (
        get_table()
        .query(keys.stats_projection(ENTITY, pid, "u1")[PK], begins_with=keys.BOARD_ENTRY_PREFIX)
        .items
    )
    assert sorted((str(e[SK]), int(e["score"])) for e in entries) == [
        ("#PROJ#day#2026-10-31", 10),
        ("#PROJ#day#2026-11-01", 25),
        ("#PROJ#day#2026-11-02", 65),
    ]
    stored = get_table().get(keys.stats_projection(ENTITY, pid, "u1")) or {}
    assert stored["periods"]["day"]["id"] == "2026-11-02" and int(stored["periods"]["day"]["base"]) == 35


def test_week_month_and_season_boards(aws: Aws) -> None:
    aws.use_function_env("StreamFunction")
    pid = "weekly"
    _campaign(pid, periods=["weekly", "monthly"], seasons=True)
    records = [
        _image(pid, "u2", 1, 30, _ms("2026-11-30T10:00")),  # Monday of 2026-W49, in November
        _image(pid, "u1", 1, 60, _ms("2026-12-01T10:00")),  # W49, December, season 0
        _image(pid, "u1", 2, 120, _ms("2026-12-08T10:00")),  # W50: into season 1 (100 XP in season 0)
        _image(pid, "u2", 2, 90, _ms("2026-12-08T11:00")),  # still season 0
    ]
    projection.apply_batch(records)

    assert _board(pid, "u1", period="weekly", at="2026-12-01")[0] == [("u1", 1, 60), ("u2", 2, 30)]
    assert _board(pid, "u1", period="weekly", at="2026-12-13")[0] == [("u1", 1, 60), ("u2", 1, 60)]
    assert _board(pid, "u1", period="monthly", at="2026-11-05")[0] == [("u2", 1, 30)]
    assert _board(pid, "u1", period="monthly", at="2026-12-31")[0] == [("u1", 1, 120), ("u2", 2, 60)]
    # a season board counts what was earned while it was the participant's season; the change that
    # crosses into the next season counts there
    assert _board(pid, "u2", season=0) == ([("u2", 1, 90), ("u1", 2, 60)], 1, 2)
    assert _board(pid, "u2", season=1) == ([("u1", 1, 60)], None, 1)


def _records(pid: str, count: int, seed: int) -> list[dict[str, Any]]:
    """Balance images over five days (one step every 50 minutes): totals that rise, fall, tie, leave the
    board, and merges."""
    rng = random.Random(seed)
    people = [f"u{n}" for n in range(25)]
    revs = dict.fromkeys(people, 0)
    totals = dict.fromkeys(people, 0)
    merged: set[str] = set()
    found = []
    for step in range(count):
        who = rng.choice(people)
        revs[who] += 1
        totals[who] = max(-5, totals[who] + rng.choice([-20, 0, 10, 10, 20, 50, 150]))
        extra = {}
        if who not in merged and rng.random() < 0.02:
            extra["merged_into"] = "someone-else"
            merged.add(who)
        at = _ms("2026-10-29T00:00") + step * 3_000_000  # the DST change of 2026-11-01 too
        found.append(_image(pid, who, revs[who], totals[who], at, **extra))
    return found


def _stored(aws: Aws, pid: str) -> list[tuple[str, str]]:
    """The campaign's projections and board entries, and every board's tree (its upper shards summed),
    with the campaign's id taken out so that two campaigns compare."""
    items = [i for i in aws.table_items() if i.get("pid") == pid]
    counted = ("rev", "total", "score", "board_key", "merged", "day", "periods")  # as the neighbours compare
    found = [(str(i[PK]) + str(i[SK]), repr(sorted(i.items()))) for i in items if i["type"] == "board_entry"]
    found += [
        (str(i[PK]), repr([(k, i.get(k)) for k in counted])) for i in items if i["type"] == "stats_projection"
    ]
    for board in sorted({str(i.get("board", "all")) for i in items if i["type"] == "board_node"}):
        nodes = leaderboard._summed(get_table().query(keys.board_nodes(ENTITY, pid, board)).items)
        tree = sorted((p, sorted((n, v) for n, v in c.items() if v)) for p, c in nodes.items())
        found.append((f"tree {board}", repr([(p, c) for p, c in tree if c])))
    return sorted(
        (
            a.replace(f"#CMP#{pid}#", "#CMP#-#"),
            b.replace(f"#CMP#{pid}#", "#CMP#-#").replace(f"'{pid}'", "'-'"),
        )
        for a, b in found
    )


@pytest.mark.slow
def test_a_batch_and_its_replays_leave_what_counting_one_by_one_leaves(aws: Aws) -> None:
    aws.use_function_env("StreamFunction")
    board = {"periods": ["daily", "weekly", "monthly"], "seasons": True}
    _campaign("one", **board)
    _campaign("batched", **board)
    records = _records("one", 150, seed=3)
    for record in records:
        projection.apply_balance(record)
    batched = [{**r, "pid": "batched"} for r in records]
    rng = random.Random(4)
    at = 0
    while at < len(batched):
        size = rng.choice([1, 7, 50, 100])
        projection.apply_batch(batched[at : at + size])
        at += size
    once = _stored(aws, "batched")
    assert once == _stored(aws, "one")
    assert len([row for row in once if row[0].startswith("tree ")]) >= 10  # days, weeks, months, seasons

    projection.apply_batch(batched[:100])  # replays, a re-bisected retry, older records after newer
    projection.apply_batch(batched[50:250])
    projection.apply_batch(list(reversed(batched)))
    for record in batched[:30]:
        projection.apply_balance(record)
    assert _stored(aws, "batched") == once


def _writes_per_change(aws: Aws, monkeypatch: Any, pid: str, batch_size: int, changes: int) -> float:
    """`changes` changes of 5,000 people over a day or two, in stream batches: the items written per
    change, counted at the table."""
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
    for step in range(changes):
        who = f"p{rng.randrange(5000):05d}"
        revs[who] += 1
        totals[who] += rng.choice([10, 20, 50, 100])
        batch.append(_image(pid, who, revs[who], totals[who], _ms("2026-12-03T12:00") + step * 170_000))
        if len(batch) == batch_size:
            projection.apply_batch(batch)
            batch = []
    monkeypatch.setattr(Table, "transact_write", transact)
    return sum(writes.values()) / changes


@pytest.mark.slow
def test_the_recurring_boards_add_little_to_a_change(aws: Aws, monkeypatch: Any) -> None:
    aws.use_function_env("StreamFunction")
    _campaign("single")
    _campaign("every", periods=["daily", "weekly", "monthly"], seasons=True)
    measured = {}
    for batch_size, changes in ((1, 200), (100, 600)):
        single = _writes_per_change(aws, monkeypatch, "single", batch_size, changes)
        every = _writes_per_change(aws, monkeypatch, "every", batch_size, changes)
        measured[batch_size] = (single, every)
        # a transactional write of an item under 1 KB bills 2 WCU
        print(
            f"batches of {batch_size}: {single:.2f} items ({2 * single:.1f} WCU) per change on the all-time "
            f"board; {every:.2f} items ({2 * every:.1f} WCU) with daily, weekly, monthly and season boards"
        )
    # each recurring board adds its entry (its own listing) and its share of the score's 5 levels: one by
    # one a first change writes all 5; in the stream's batches of 100 the levels are shared, so each more
    # board adds under 2 items, not another all-time board's share
    (single_alone, every_alone), (single, every) = measured[1], measured[100]
    assert (every - single) / 4 < 2, measured
    assert (every_alone - single_alone) / 4 <= 6, measured


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"period": "weekly"}, "period"),  # not kept by this campaign
        ({"season": 0}, "season"),
        ({"period": "daily", "season": 0}, "season"),
        ({"at": "2026-12-01"}, "at"),
        ({"period": "daily", "at": "2026-13-01"}, "at"),
        ({"period": "daily", "at": "yesterday!"}, "at"),
    ],
)
def test_a_board_the_campaign_does_not_keep_is_refused(aws: Aws, query: dict[str, Any], field: str) -> None:
    _campaign("refusing", periods=["daily"])
    before = aws.table_items()
    with pytest.raises(BadRequest) as refused:
        leaderboard.view(ENTITY, "refusing", None, **query)
    assert refused.value.field == field
    assert aws.table_items() == before


def test_season_boards_need_seasons() -> None:
    from questline.campaigns.definition import check_campaign

    definition = Campaign.model_validate({"name": "No seasons", "leaderboard": {"seasons": True}})
    with pytest.raises(BadRequest) as refused:
        check_campaign(definition, "c")
    assert refused.value.field == "leaderboard.seasons"
    twice = Campaign.model_validate({"name": "Twice", "leaderboard": {"periods": ["daily", "daily"]}})
    with pytest.raises(BadRequest):
        check_campaign(twice, "c")


def test_an_erased_participant_leaves_every_recurring_board(aws: Aws, monkeypatch: Any) -> None:
    from questline.identity import erasure

    aws.use_function_env("StreamFunction")
    pid = "erasing"
    _campaign(pid, periods=["daily", "monthly"])
    for who, total in (("u1", 40), ("u2", 30)):
        projection.apply_balance(_image(pid, who, 1, total, _ms("2026-12-03T10:00")))
    projection.apply_balance(_image(pid, "u1", 2, 70, _ms("2026-12-04T10:00")))

    erasure._leave_board(ENTITY, pid, "u1")
    erasure._leave_recurring_boards(ENTITY, pid, "u1", erasure._Budget(100))
    erasure._leave_recurring_boards(ENTITY, pid, "u1", erasure._Budget(100))  # a sweep that runs again
    projection.apply_balance(_image(pid, "u1", 3, 90, _ms("2026-12-04T11:00")))  # a late record

    assert _board(pid, "u2", period="daily", at="2026-12-03") == ([("u2", 1, 30)], 1, 1)
    assert _board(pid, "u2", period="daily", at="2026-12-04") == ([], None, 0)
    assert _board(pid, "u2", period="monthly", at="2026-12-04") == ([("u2", 1, 30)], 1, 1)
    left = get_table().query(
        keys.stats_projection(ENTITY, pid, "u1")[PK], begins_with=keys.BOARD_ENTRY_PREFIX
    )
    assert left.items == []


def test_get_leaderboard_takes_period_and_season_and_answers_in_the_same_shape(
    aws: Aws, entity: dict[str, str]
) -> None:
    from tests.unit.test_claimr import P, admin, call, design, q
    from tests.unit.test_leaderboard import named, reward

    campaign = design()
    campaign["leaderboard"] = {**campaign.get("leaderboard", {}), "periods": ["daily", "weekly"]}
    assert admin(aws, "PUT", f"/{P}", campaign)[0] == 200
    assert admin(aws, "POST", f"/{P}/publish")[0] == 200
    for n, xp in ((0, 30), (1, 50)):
        named(aws, f"u{n}")
        reward(aws, f"u{n}", xp, f"r{n}")
    aws.pump_stream()

    default = call(aws, "GET", "/leaderboard", query=q("u0"))[1]["data"]
    daily = call(aws, "GET", "/leaderboard", query=q("u0", period="daily"))[1]["data"]
    weekly = call(aws, "GET", "/leaderboard", query=q("u0", period="weekly", around="1"))[1]["data"]
    assert set(daily) == set(default) == {"live", "leaderboard", "next", "rank", "total"}
    assert [(e["rank"], e["score"]) for e in default["leaderboard"]] == [(1, 50), (2, 30)]
    assert daily["leaderboard"] == default["leaderboard"] and daily["rank"] == 2 and daily["total"] == 2
    assert [e["score"] for e in weekly["leaderboard"]] == [50, 30] and weekly["rank"] == 2
    before = aws.table_items()
    for query, field in (("period=monthly", "period"), ("period=hourly", "period"), ("season=0", "season")):
        status, body = call(aws, "GET", "/leaderboard", query=f"pid={P}&{query}")
        assert status == 400 and field in body["error"], body
    assert aws.table_items() == before


def test_a_finished_day_sends_its_final_top_once(aws: Aws) -> None:
    from tests.unit.test_webhooks import queued, register_hook

    aws.use_function_env("StreamFunction")
    pid = "finishing"
    _campaign(pid, periods=["daily", "monthly"])
    register_hook(ENTITY, "https://93.184.216.34/hook", scope="leaderboard", hook_id="boards")
    hook = keys.webhook(ENTITY, "leaderboard", "boards")
    get_table().update(hook, Update(set={"top": 2}), return_values="NONE")  # the hook's top places
    first = [
        _image(pid, "u1", 1, 40, _ms("2026-12-03T10:00")),
        _image(pid, "u2", 1, 60, _ms("2026-12-03T11:00")),
        _image(pid, "u3", 1, 10, _ms("2026-12-03T23:59")),
    ]
    second = [_image(pid, "u1", 2, 45, _ms("2026-12-04T00:01"))]
    projection.apply_batch(first)
    assert queued(aws) == []  # the day is not over
    projection.apply_batch(second)
    for batch in (first, second, second):  # replays
        projection.apply_batch(batch)

    messages = queued(aws)
    assert [(m["scope"], m["payload"]["type"]) for m in messages] == [("leaderboard", "leaderboard.finished")]
    data = messages[0]["payload"]["data"]
    assert (data["board"], data["period"], data["key"], data["total"]) == (
        "day#2026-12-03",
        "daily",
        "2026-12-03",
        3,
    )
    assert [(e["rank"], e["score"]) for e in data["leaderboard"]] == [(1, 60), (2, 40)]  # the hook's top
    assert data["ended_at"] == messages[0]["payload"]["timestamp"] == "2026-12-04T05:00:00.000Z"
    stored = get_table().get(keys.board_periods(ENTITY, pid)) or {}
    assert (stored["day"], stored["month"]) == ("2026-12-04", "2026-12")
