"""Leaderboards: the count tree against a brute-force ranking, replays and out-of-order records, and
`GET /leaderboard` through the claimr function with the table's stream pumped."""

from __future__ import annotations

import random
from typing import Any

import pytest

from questline.campaigns import leaderboard, projection
from questline.identity.public_ids import public_user_id
from questline.storage import get_table, keys
from tests.unit.conftest import Aws
from tests.unit.test_claimr import CAMPAIGNS, P, admin, call, design, link_wallet, live_campaign, q

__all__ = ["live_campaign"]  # the fixture, shared with the claimr tests

ENTITY = "e-" + "0" * 32
STEPS = int(__import__("os").environ.get("STEPS", "250"))


def public(identity_id: str) -> str:
    """How a leaderboard names a participant: an opaque per-campaign id, never the identity id."""
    return public_user_id(ENTITY, P, identity_id)


def _image(identity_id: str, rev: int, total: int, at: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "balance",
        "entity_id": ENTITY,
        "pid": P,
        "identity_id": identity_id,
        "rev": rev,
        "total": total,
        "at": at,
        **extra,
    }


def _board_items() -> list[dict[str, Any]]:
    items = get_table().query(keys.board_nodes(ENTITY, P)).items
    items += [i for i in _projections()]
    return sorted(items, key=lambda i: (i["PK"], i["SK"]))


def _projections() -> list[dict[str, Any]]:
    client = get_table()
    return [
        client.get(keys.stats_projection(ENTITY, P, f"u{n:03d}")) or {}
        for n in range(60)
        if client.get(keys.stats_projection(ENTITY, P, f"u{n:03d}"))
    ]


def _whole_board(limit: int) -> list[dict[str, Any]]:
    entries, cursor = [], None
    while True:
        page = leaderboard.page(ENTITY, P, limit, cursor)
        entries += page.entries
        if page.next is None:
            return entries
        cursor = page.next


@pytest.mark.slow
def test_ranks_from_the_count_tree_match_a_brute_force_ranking(aws: Aws) -> None:
    aws.use_function_env("StreamFunction")
    rng = random.Random(7)
    people = [f"u{n:03d}" for n in range(60)]
    revs = dict.fromkeys(people, 0)
    held: dict[str, tuple[int, int]] = {}  # identity -> (score, reached_ms) as a user would expect
    for step in range(STEPS):
        who = rng.choice(people)
        revs[who] += 1
        # small scores so that many tie; some drop to zero or below and leave the board
        total = rng.choice([-5, 0, 10, 20, 20, 30, 40, 50, 50, 50, 70, 100, 10**11])
        at = 1_795_000_000_000 + step // 3 * 1000  # every three changes share a millisecond
        assert projection.apply_balance(_image(who, revs[who], total, at))
        if total <= 0:
            held.pop(who, None)
        elif held.get(who, (None,))[0] != total:
            held[who] = (total, at)

    def order(identity: str) -> tuple[int, int]:
        score, at = held[identity]
        return (-min(score, leaderboard.MAX_SCORE), at)

    def ranked(identity: str) -> int:  # ties share a rank: one plus the participants with a higher score
        return 1 + sum(order(other)[0] < order(identity)[0] for other in held)

    expected = sorted(held, key=lambda i: (order(i), i))
    for identity in expected:
        standing = leaderboard.standing_of(ENTITY, P, identity)
        assert standing is not None
        rank = leaderboard.rank_of(ENTITY, P, str(standing["board_key"]))
        assert rank.rank == ranked(identity)
        assert rank.size == len(held)
    for gone in set(people) - set(held):
        assert leaderboard.standing_of(ENTITY, P, gone) is None

    board = _whole_board(limit=7)
    assert [e["user"]["id"] for e in board] == [public(i) for i in expected]
    assert [e["rank"] for e in board] == [ranked(i) for i in expected]
    assert [e["score"] for e in board] == [held[i][0] for i in expected]

    me = expected[len(expected) // 2]
    standing = leaderboard.standing_of(ENTITY, P, me)
    assert standing is not None
    window = leaderboard.around(ENTITY, P, standing, 3)
    at = expected.index(me)
    assert [e["user"]["id"] for e in window] == [public(i) for i in expected[max(at - 3, 0) : at + 4]]
    assert [e["rank"] for e in window] == [ranked(i) for i in expected[max(at - 3, 0) : at + 4]]


def test_a_replayed_or_older_record_changes_nothing(aws: Aws) -> None:
    aws.use_function_env("StreamFunction")
    assert projection.apply_balance(_image("u001", 1, 50, 1_795_000_000_000))
    assert projection.apply_balance(_image("u002", 1, 80, 1_795_000_000_100))
    assert projection.apply_balance(_image("u001", 2, 90, 1_795_000_000_200))
    settled = _board_items()

    assert not projection.apply_balance(_image("u001", 2, 90, 1_795_000_000_200))  # the same record again
    assert not projection.apply_balance(_image("u001", 1, 50, 1_795_000_000_000))  # an older one
    assert _board_items() == settled
    assert [e["user"]["id"] for e in leaderboard.page(ENTITY, P, 10, None).entries] == [
        public("u001"),
        public("u002"),
    ]


def test_ties_share_a_rank_listed_in_the_order_they_reached_the_score(aws: Aws) -> None:
    aws.use_function_env("StreamFunction")
    projection.apply_balance(_image("u001", 1, 40, 1_795_000_000_000))
    projection.apply_balance(_image("u002", 1, 50, 1_795_000_001_000))
    projection.apply_balance(_image("u001", 2, 50, 1_795_000_002_000))  # reaches 50 after u002
    projection.apply_balance(_image("u002", 2, 50, 1_795_000_003_000, xp=1))  # same score: keeps its time
    projection.apply_balance(_image("u003", 1, 70, 1_795_000_004_000))
    projection.apply_balance(_image("u004", 1, 30, 1_795_000_005_000))

    entries = leaderboard.page(ENTITY, P, 10, None).entries
    assert [(e["user"]["id"], e["rank"]) for e in entries] == [
        (public("u003"), 1),
        (public("u002"), 2),
        (public("u001"), 2),
        (public("u004"), 4),
    ]
    second = leaderboard.page(ENTITY, P, 2, leaderboard.page(ENTITY, P, 2, None).next).entries
    assert [e["rank"] for e in second] == [2, 4]  # a page starting inside a tie keeps its rank
    standing = leaderboard.standing_of(ENTITY, P, "u001")
    assert standing is not None
    assert leaderboard.rank_of(ENTITY, P, str(standing["board_key"])).rank == 2
    window = leaderboard.around(ENTITY, P, standing, 2)
    assert [(e["user"]["id"], e["rank"]) for e in window] == [
        (public("u003"), 1),
        (public("u002"), 2),
        (public("u001"), 2),
        (public("u004"), 4),
    ]


# --- GET /leaderboard -------------------------------------------------------------------------------


def reward(aws: Aws, account: str, xp: int, entry_id: str) -> None:
    body = {"account": account, "platform": "discord", "pid": P, "id": entry_id, "xp": xp}
    status, answer = call(aws, "POST", "/user/reward", body=body)
    assert status == 200, answer


def named(aws: Aws, account: str) -> str:
    """Register the user with a display name (as a widget does); returns their widget token."""
    status, body = call(aws, "GET", "/token", query=f"account={account}&platform=discord&name={account}")
    assert status == 200, body
    return str(body["data"]["token"])


@pytest.fixture
def board(aws: Aws, live_campaign: dict[str, Any]) -> list[str]:
    """Five users with 50…250 XP (u4 first), the stream pumped."""
    for n in range(5):
        named(aws, f"u{n}")
        reward(aws, f"u{n}", 50 * (n + 1), f"r{n}")
    aws.pump_stream()
    return [f"u{n}" for n in reversed(range(5))]


def test_the_leaderboard_in_claimrs_shape_with_the_callers_rank(aws: Aws, board: list[str]) -> None:
    status, body = aws.call(CAMPAIGNS, "claimr_campaigns_leaderboard")  # account user123: not on it
    mine = call(aws, "GET", "/leaderboard", query=q("u2"))[1]["data"]
    anonymous = call(aws, "GET", "/leaderboard", query=f"pid={P}")[1]["data"]

    assert status == 200 and body["success"] is True
    data = body["data"]
    assert data["live"] is True and data["rank"] is None and data["total"] == 5
    top = data["leaderboard"][0]
    assert set(top) == {"rank", "score", "user"} and set(top["user"]) == {"id", "name", "avatar"}
    assert [(e["rank"], e["score"]) for e in data["leaderboard"]] == [
        (1, 250),
        (2, 200),
        (3, 150),
        (4, 100),
        (5, 50),
    ]
    assert top["user"]["name"] == "u4" and top["user"]["avatar"] is None
    assert mine["rank"] == 3 and "rank" not in anonymous


def test_paging_and_around(aws: Aws, board: list[str]) -> None:
    first = call(aws, "GET", "/leaderboard", query=f"pid={P}&limit=2")[1]["data"]
    second = call(aws, "GET", "/leaderboard", query=f"pid={P}&limit=2&after={first['next']}")[1]["data"]
    third = call(aws, "GET", "/leaderboard", query=f"pid={P}&limit=2&after={second['next']}")[1]["data"]
    around = call(aws, "GET", "/leaderboard", query=q("u1", around="1"))[1]["data"]
    edge = call(aws, "GET", "/leaderboard", query=q("u4", around="2"))[1]["data"]
    stranger = call(aws, "GET", "/leaderboard", query=q("nobody", around="2"))[1]["data"]

    names = [e["user"]["name"] for page in (first, second, third) for e in page["leaderboard"]]
    assert names == board and third["next"] is None
    assert [e["rank"] for e in second["leaderboard"]] == [3, 4]
    assert [(e["rank"], e["user"]["name"]) for e in around["leaderboard"]] == [
        (3, "u2"),
        (4, "u1"),
        (5, "u0"),
    ]
    assert around["rank"] == 4
    assert [e["rank"] for e in edge["leaderboard"]] == [1, 2, 3]
    assert stranger["leaderboard"] == [] and stranger["rank"] is None and stranger["total"] == 5


def test_scores_move_and_a_user_at_zero_leaves_the_board(aws: Aws, board: list[str]) -> None:
    reward(aws, "u0", 1000, "boost")
    withdraw = {"account": "u3", "platform": "discord", "pid": P, "id": "all", "xp": 200}
    assert call(aws, "POST", "/user/withdraw", body=withdraw)[0] == 200
    aws.pump_stream()

    data = call(aws, "GET", "/leaderboard", query=q("u3"))[1]["data"]
    assert [e["user"]["name"] for e in data["leaderboard"]] == ["u0", "u4", "u2", "u1"]
    assert data["rank"] is None and data["total"] == 4


def test_widget_tokens_see_the_board_and_only_their_own_rank(aws: Aws, board: list[str]) -> None:
    token = named(aws, "u1")
    own = call(aws, "GET", "/leaderboard", key=token, query=f"pid={P}")
    other = call(aws, "GET", "/leaderboard", key=token, query=q("u2"))

    assert own[0] == 200 and own[1]["data"]["rank"] == 4 and len(own[1]["data"]["leaderboard"]) == 5
    assert other[0] == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("around=51", "around"),
        ("around=2", "around"),  # around needs a user
        ("after=bm90LWEtY3Vyc29y", "after"),
        ("after=" + "x" * 3000, "after"),
    ],
)
def test_bad_leaderboard_requests_are_400_naming_the_field(
    aws: Aws, board: list[str], query: str, field: str
) -> None:
    status, body = call(aws, "GET", "/leaderboard", query=f"pid={P}&{query}")
    assert status == 400 and field in body["error"], body


def test_a_cursor_of_another_campaign_is_refused(aws: Aws, board: list[str]) -> None:
    entity_id = aws.values["ENTITY_ID"]
    for method, tail, body in (("PUT", "", design()), ("POST", "/publish", None)):
        status, answer = call(
            aws,
            method,
            "/api/entities/{entityId}/campaigns/{pid}" + tail,
            path=f"/api/entities/{entity_id}/campaigns/other{tail}",
            params={"entityId": entity_id, "pid": "other"},
            body=body,
        )
        assert status == 200, answer
    first = call(aws, "GET", "/leaderboard", query=f"pid={P}&limit=2")[1]["data"]

    status, body = call(aws, "GET", "/leaderboard", query=f"pid=other&limit=2&after={first['next']}")

    assert status == 400 and "after" in body["error"]


def test_unknown_campaign_is_404(aws: Aws, board: list[str]) -> None:
    assert call(aws, "GET", "/leaderboard", query="pid=nope")[0] == 404


def test_the_board_can_count_only_some_tasks(aws: Aws, entity: dict[str, str]) -> None:
    campaign = design()
    campaign["leaderboard"] = {"tasks": ["daily_login"], "max_entries": 10}
    assert admin(aws, "PUT", f"/{P}", campaign)[0] == 200
    assert admin(aws, "POST", f"/{P}/publish")[0] == 200
    named(aws, "rich")
    named(aws, "player")
    reward(aws, "rich", 500, "gift")  # a reward is not a daily_login completion
    done = {"account": "player", "platform": "discord", "pid": P, "cid": P, "aid": "daily_login", "value": 1}
    assert call(aws, "POST", "/action/value", body=done)[0] == 200
    aws.pump_stream()

    data = call(aws, "GET", "/leaderboard", query=q("rich"))[1]["data"]
    assert [(e["user"]["name"], e["score"]) for e in data["leaderboard"]] == [("player", 50)]
    assert data["rank"] is None


def test_a_merge_moves_the_score_to_the_survivor(aws: Aws, live_campaign: dict[str, Any]) -> None:
    wallet = "0x00000000000000000000000000000000000000bb"
    reward(aws, "gamer", 30, "a")
    body = {"address": wallet, "pid": P, "id": "b", "xp": 12}
    assert call(aws, "POST", "/wallet/reward", body=body)[0] == 200
    aws.pump_stream()
    link_wallet(aws, "gamer", wallet)
    aws.pump_stream()
    aws.pump_stream()

    data = call(aws, "GET", "/leaderboard", query=q("gamer"))[1]["data"]
    assert [e["score"] for e in data["leaderboard"]] == [42] and data["rank"] == 1 and data["total"] == 1


def test_another_tenants_key_never_reads_this_board(aws: Aws, board: list[str]) -> None:
    from questline.tenancy.entities import create_enabled_entity

    other = create_enabled_entity("Other").secret_key.plain
    status, body = call(aws, "GET", "/leaderboard", key=other, query=f"pid={P}")
    assert status == 404 and "leaderboard" not in str(body.get("data", ""))


def test_replaying_the_stream_changes_no_board_statistics_or_deliveries(
    aws: Aws, live_campaign: dict[str, Any]
) -> None:
    from tests.unit.test_webhooks import delivery_records, queued, register_hook

    register_hook(aws.values["ENTITY_ID"], "https://93.184.216.34/hook", hook_id="rewards")
    for n in range(4):
        named(aws, f"u{n}")
        reward(aws, f"u{n}", 40 * (n + 1), f"r{n}")
    reward(aws, "u0", 500, "late")  # u0 moves from the bottom to the top
    aws.pump_stream()

    def observed() -> tuple[Any, ...]:
        board = call(aws, "GET", "/leaderboard", query=q("u1"))[1]["data"]
        stats = call(aws, "GET", "/campaign/stats", query=f"pid={P}")[1]["data"]
        stored = sorted(
            (str(i["type"]), str(i["PK"]), str(i["SK"]), repr(sorted(i.items())))
            for i in aws.table_items()
            if i["type"]
            in {"board_node", "stats_projection", "campaign_stats", "campaign_day", "webhook_delivery"}
        )
        return board, stats, stored, sorted(m["message_id"] for m in queued(aws))

    before = observed()
    batches = list(aws.stream_batches)
    for records in batches * 2:  # the whole stream, replayed twice
        assert aws.invoke("StreamFunction", {"Records": records}) == {"batchItemFailures": []}

    assert observed() == before
    board, stats, stored, messages = before
    assert {row[0] for row in stored} == {
        "board_node",
        "stats_projection",
        "campaign_stats",
        "campaign_day",
        "webhook_delivery",
    }
    assert [(e["rank"], e["score"]) for e in board["leaderboard"]] == [(1, 540), (2, 160), (3, 120), (4, 80)]
    assert board["rank"] == 4 and stats["total_users"] == 4 and stats["total_points"] == 900
    assert len(messages) == 5 == len(delivery_records(aws))  # one message per ledger entry, each once
