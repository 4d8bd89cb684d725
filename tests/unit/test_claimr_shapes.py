"""claimr's answers in the seed's shapes: `/campaign/stats` nests its counters in `stats.stats`, integers stay
integers in every answer (a `ts` sent as 1672531200 comes back as 1672531200, not 1672531200.0), a
leaderboard name defaults to the account, and `account` and `platform` go together (one without the other
is a 400 naming the missing one)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import api_event
from tests.unit.conftest import Aws
from tests.unit.test_claimr import CAMPAIGNS, TASKS, P, call, live_campaign, q

__all__ = ["live_campaign"]  # a fixture these tests use


def reward(aws: Aws, account: str, xp: int, entry_id: str, platform: str = "discord") -> None:
    body = {"account": account, "platform": platform, "pid": P, "id": entry_id, "xp": xp}
    status, answer = call(aws, "POST", "/user/reward", body=body)
    assert status == 200, answer


def raw(aws: Aws, function: str, route: str, query: str) -> str:
    headers = {"authorization": f"Bearer {aws.values['SECRET_KEY']}"}
    response = aws.invoke(function, api_event("GET", route, query=query, headers=headers))
    assert response["statusCode"] == 200, response
    return str(response["body"])


def test_campaign_stats_nest_their_counters_as_the_seed_does(aws: Aws, live_campaign: dict[str, Any]) -> None:
    reward(aws, "p0", 600, "r0")
    reward(aws, "p1", 700, "r1")
    aws.pump_stream()

    data = call(aws, "GET", "/campaign/stats", query=f"pid={P}")[1]["data"]

    assert (data["id"], data["name"]) == (P, "Summer Gaming Challenge")
    assert (data["total_points"], data["total_users"], data["active_users"]) == (1300, 2, 2)
    assert data["stats"]["stats"] == {"pcn": 1300, "ecn": 2, "acn": 2}


def test_integers_stay_integers(aws: Aws, live_campaign: dict[str, Any]) -> None:
    event = {
        "account": "user123",
        "platform": "steam",
        "pid": P,
        "name": "level_completed",
        "id": "evt_xyz789",
        "category": "gameplay",
        "data": {"level": 5, "score": 1250, "completion_time": 180, "ratio": 0.5},
        "ts": 1672531200,
    }
    assert call(aws, "POST", "/event", body=event)[0] == 200
    stream = {"account": "user123", "platform": "steam", "pid": P, "stream": "player_score", "value": 250}
    assert call(aws, "POST", "/stream/value", body=stream)[0] == 200

    events = raw(aws, TASKS, "/events", "account=user123&platform=steam&pid=" + P)
    progress = json.loads(raw(aws, "ClaimrUsersFunction", "/user/progress", q("user123", "steam")))

    assert '"ts":1672531200,' in events.replace(" ", ""), events
    listed = json.loads(events)["events"][0]
    assert listed["data"] == {"level": 5, "score": 1250, "completion_time": 180, "ratio": 0.5}
    assert all(type(v) is int for k, v in listed["data"].items() if k != "ratio")
    score = next(a for a in progress["data"]["actions"] if a["id"] == "score_stream")["progress"]
    assert score == {"count": 0, "value": 250, "target": 1000}
    assert type(score["value"]) is int and type(score["target"]) is int
    levels = next(a for a in progress["data"]["actions"] if a["id"] == "three_levels")["progress"]
    assert type(levels["target"]) is int


def test_a_leaderboard_name_defaults_to_the_account(aws: Aws, live_campaign: dict[str, Any]) -> None:
    wallet = "0x00000000000000000000000000000000000000bb"
    reward(aws, "player_one", 300, "r1")  # never asked for a token: no display name given
    reward(aws, wallet, 200, "r2", platform="web3")
    status, body = call(aws, "GET", "/token", query="account=named&platform=discord&name=Named%20One")
    assert status == 200, body
    reward(aws, "named", 100, "r3")
    aws.pump_stream()

    board = call(aws, "GET", "/leaderboard", query=f"pid={P}")[1]["data"]["leaderboard"]

    assert [(e["score"], e["user"]["name"]) for e in board] == [
        (300, "player_one"),
        (200, wallet),
        (100, "Named One"),
    ]


@pytest.mark.parametrize(
    ("route", "function", "named", "missing"),
    [
        ("/user/balance", "ClaimrUsersFunction", "account=u1", "platform"),
        ("/user/balance", "ClaimrUsersFunction", "platform=discord", "account"),
        ("/user/progress", "ClaimrUsersFunction", "account=u1", "platform"),
        ("/user/referrals", "ClaimrUsersFunction", "platform=discord", "account"),
        ("/user/activity", "ClaimrUsersFunction", "account=u1", "platform"),
        ("/user/ref_id", "ClaimrUsersFunction", "account=u1", "platform"),
        ("/leaderboard", CAMPAIGNS, "account=u1", "platform"),
        ("/leaderboard", CAMPAIGNS, "platform=discord", "account"),
    ],
)
def test_account_and_platform_go_together(
    aws: Aws, live_campaign: dict[str, Any], route: str, function: str, named: str, missing: str
) -> None:
    before = aws.table_items()
    headers = {"authorization": f"Bearer {aws.values['SECRET_KEY']}"}

    status, body = aws.call(function, api_event("GET", route, query=f"pid={P}&{named}", headers=headers))

    assert status == 400 and body["error"].startswith(missing), body
    assert aws.table_items() == before


def test_a_widget_token_naming_half_a_user_is_refused(aws: Aws, live_campaign: dict[str, Any]) -> None:
    token = call(aws, "GET", "/token", query="account=u1&platform=discord")[1]["data"]["token"]

    alone = call(aws, "GET", "/user/balance", key=token, query=f"pid={P}")
    half = call(aws, "GET", "/user/balance", key=token, query=f"pid={P}&account=u1")

    assert alone[0] == 200
    assert half[0] == 400 and half[1]["error"].startswith("platform"), half
