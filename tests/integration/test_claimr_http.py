"""claimr's API and campaign management through the local stack over real HTTP: the seed document's own
example requests as written (our key and ids substituted), event tasks completed by the table's stream,
and campaign management by an entity's platform user."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from tests.integration.conftest import Api
from tests.support import eventually

PID = "campaign_abc123"  # the local stack's demo campaign, published at start


def claimr(api: Api, method: str, path: str, **kwargs: Any) -> requests.Response:
    return api.request(method, path, headers=api.bearer(api.state["secret_key"]), **kwargs)


def ok(response: requests.Response) -> Any:
    assert response.status_code == 200, (response.status_code, response.text)
    body = response.json()
    assert body["success"] is True, body
    return body


def balance(api: Api, account: str, platform: str) -> dict[str, int]:
    data = ok(
        claimr(api, "GET", "/user/balance", params={"account": account, "platform": platform, "pid": PID})
    )["data"]
    return {bucket: data[bucket] for bucket in ("xp", "ref_xp", "ugc_xp")}  # (and `rank`)


def fresh(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def test_user_token_referrals_and_ledger_seed_examples(api: Api) -> None:
    user, friend, other = fresh("user123"), fresh("user456"), fresh("user789")
    token = ok(
        claimr(api, "GET", "/token", params={"account": user, "platform": "discord", "name": "PlayerOne"})
    )
    ref_id = ok(
        claimr(api, "GET", "/user/ref_id", params={"account": user, "platform": "discord", "pid": PID})
    )["data"]["ref_id"]
    ok(
        claimr(
            api,
            "POST",
            "/user/ref_id",
            json={"account": friend, "platform": "discord", "pid": PID, "ref_id": ref_id},
        )
    )
    ok(
        claimr(
            api,
            "POST",
            "/user/referrer",
            json={
                "account": other,
                "platform": "discord",
                "pid": PID,
                "ref_account": user,
                "ref_platform": "discord",
            },
        )
    )
    ok(
        claimr(
            api,
            "POST",
            "/user/reward",
            json={"account": user, "platform": "discord", "pid": PID, "id": fresh("reward"), "xp": 100},
        )
    )
    ok(
        claimr(
            api,
            "POST",
            "/user/withdraw",
            json={
                "account": user,
                "platform": "discord",
                "pid": PID,
                "id": fresh("w"),
                "xp": 50,
                "strict": True,
            },
        )
    )

    assert token["data"]["token"].startswith("wt_")
    assert balance(api, user, "discord") == {"xp": 50, "ref_xp": 0, "ugc_xp": 0}
    referrals = ok(
        claimr(api, "GET", "/user/referrals", params={"account": user, "platform": "discord", "pid": PID})
    )
    assert sorted(r["account"] for r in referrals["data"]["referrals"]) == sorted([friend, other])
    assert referrals["data"]["next"] is None
    named = {"account": user, "platform": "discord", "pid": PID}
    first = ok(claimr(api, "GET", "/user/referrals", params={**named, "limit": 1}))["data"]
    rest = ok(claimr(api, "GET", "/user/referrals", params={**named, "limit": 1, "after": first["next"]}))
    paged = [r["account"] for r in first["referrals"] + rest["data"]["referrals"]]
    assert sorted(paged) == sorted([friend, other]) and len(first["referrals"]) == 1
    refused = claimr(api, "GET", "/user/referrals", params={**named, "limit": 0})
    assert refused.status_code == 400 and refused.json()["success"] is False
    activity = ok(
        claimr(api, "GET", "/user/activity", params={"account": user, "platform": "discord", "pid": PID})
    )
    assert {r["kind"] for r in activity["data"]["rewards"]} == {"reward", "withdraw"} and activity["data"][
        "xp"
    ] == 50
    progress = ok(
        claimr(api, "GET", "/user/progress", params={"account": user, "platform": "discord", "pid": PID})
    )
    assert {a["id"] for a in progress["data"]["actions"]} >= {"daily_login", "three_levels", "score_update"}
    widget = api.get("/user/balance", params={"pid": PID}, headers=api.bearer(token["data"]["token"]))
    assert widget.status_code == 200 and widget.json()["data"]["xp"] == 50


def test_task_seed_examples_and_event_tasks_through_the_stream(api: Api) -> None:
    user = fresh("user123")
    ok(
        claimr(
            api,
            "POST",
            "/action/value",
            json={
                "account": user,
                "platform": "steam",
                "pid": PID,
                "cid": PID,
                "aid": "daily_login",
                "value": 1,
            },
        )
    )
    ok(
        claimr(
            api,
            "POST",
            "/action/value",
            json={
                "account": user,
                "platform": "steam",
                "pid": PID,
                "cid": "quest_xyz789",
                "aid": "score_update",
                "value": 150,
                "env": "string",
            },
        )
    )
    ok(
        claimr(
            api,
            "POST",
            "/stream/value",
            json={
                "account": user,
                "platform": "steam",
                "pid": PID,
                "stream": "player_score",
                "value": 250,
                "env": "string",
            },
        )
    )
    for n in range(3):
        ok(
            claimr(
                api,
                "POST",
                "/event",
                json={
                    "account": user,
                    "platform": "steam",
                    "pid": PID,
                    "name": "level_completed",
                    "id": f"evt_xyz789-{n}",
                    "category": "gameplay",
                    "data": {"level": 5, "score": 1250, "completion_time": 180},
                    "ts": 1672531200,
                },
            )
        )

    # 50 (daily_login) + 32 (score_update) + 25 (quest bonus) now, + 100 (three_levels) after the stream
    eventually(lambda: balance(api, user, "steam")["xp"] == 207)
    events = claimr(
        api,
        "GET",
        "/events",
        params={
            "account": user,
            "platform": "steam",
            "pid": PID,
            "name": "level_completed",
            "category": "gameplay",
        },
    )
    assert events.status_code == 200 and len(events.json()["events"]) == 3


def test_campaign_and_invite_code_seed_examples(api: Api) -> None:
    entity, wallet = api.state["entity_id"], "0x1234567890abcdef1234567890abcdef" + uuid.uuid4().hex[:8]
    code = fresh("ABC123").upper()
    made = api.post(
        f"/api/entities/{entity}/campaigns/{PID}/codes",
        json={"codes": [code], "max_uses": 5},
        headers=api.bearer(api.state["secret_key"]),
    )
    assert made.status_code == 201, made.text

    info = ok(claimr(api, "GET", "/campaign/info", params={"pid": PID}))
    ok(claimr(api, "GET", "/campaign/points", params={"pid": PID}))
    ok(claimr(api, "GET", "/campaign/stats", params={"pid": PID}))
    ok(claimr(api, "POST", "/code", json={"code": code, "pid": PID, "used_by": wallet}))
    used = ok(claimr(api, "GET", "/code", params={"code": code, "pid": PID}))
    held = ok(claimr(api, "GET", "/wallet/code", params={"address": wallet, "pid": PID}))
    ok(claimr(api, "DELETE", "/code", json={"code": code, "pid": PID, "used_by": wallet}))
    ok(
        claimr(
            api,
            "POST",
            "/wallet/reward",
            json={"address": wallet, "pid": PID, "id": fresh("reward_task_001"), "xp": 100, "env": "string"},
        )
    )
    ok(
        claimr(
            api,
            "POST",
            "/wallet/withdraw",
            json={
                "address": wallet,
                "pid": PID,
                "id": fresh("withdraw_payout_001"),
                "xp": 100,
                "strict": True,
                "env": "string",
            },
        )
    )
    no_ref = claimr(api, "GET", "/wallet/ref_id", params={"address": wallet, "pid": PID})
    ok(claimr(api, "GET", "/wallet/referrals", params={"address": wallet, "pid": PID}))

    assert info["data"]["name"] == "Summer Gaming Challenge"
    assert used["data"]["used_by"] == [wallet] and held["data"] == {"code": code}
    assert no_ref.status_code == 404 and no_ref.json()["success"] is False
    assert balance(api, wallet, "web3")["xp"] == 0


def test_points_and_stats_are_kept_by_the_stream(api: Api) -> None:
    entity, pid = api.state["entity_id"], fresh("stats")
    campaign = {"name": "Stats", "seasons": [{"name": "One", "max_xp": 100}, {"name": "Two", "max_xp": 100}]}
    owner = api.bearer(api.state["secret_key"])
    assert (
        api.request(
            "PUT", f"/api/entities/{entity}/campaigns/{pid}", json=campaign, headers=owner
        ).status_code
        == 200
    )
    assert api.post(f"/api/entities/{entity}/campaigns/{pid}/publish", headers=owner).status_code == 200
    for n, xp in enumerate((70, 80)):
        reward = {"account": fresh("stats"), "platform": "discord", "pid": pid, "id": f"r{n}", "xp": xp}
        ok(claimr(api, "POST", "/user/reward", json=reward))

    def settled() -> Any:
        stats = ok(claimr(api, "GET", "/campaign/stats", params={"pid": pid}))["data"]
        return stats if stats["total_points"] == 150 else None

    stats = eventually(settled)
    points = ok(claimr(api, "GET", "/campaign/points", params={"pid": pid}))["data"]
    assert (stats["total_users"], stats["active_users"]) == (2, 2)
    assert (points["season_index"], points["season_points"], points["season"]["name"]) == (1, 50, "Two")


def test_an_admin_manages_campaigns_and_other_tenants_cannot(api: Api, other_entity: dict[str, Any]) -> None:
    entity, pid = api.state["entity_id"], fresh("spring")
    as_owner = {"userid": api.state["user_id"], "token": api.state["user_token"]}
    campaign = {
        "name": "Spring",
        "actions": [{"id": "hello", "name": "Say hello", "type": "api_call", "xp": 5}],
    }

    drafted = api.request("PUT", f"/api/entities/{entity}/campaigns/{pid}", json=campaign, headers=as_owner)
    published = api.post(f"/api/entities/{entity}/campaigns/{pid}/publish", headers=as_owner)
    listed = api.get(f"/api/entities/{entity}/campaigns", headers=as_owner)
    intruder = api.request(
        "PUT",
        f"/api/entities/{entity}/campaigns/{pid}",
        json=campaign,
        headers=api.bearer(other_entity["secret_key"]),
    )
    their_view = requests.get(
        f"{api.url}/campaign/info",
        params={"pid": pid},
        headers=api.bearer(other_entity["secret_key"]),
        timeout=30,
    )

    assert drafted.status_code == 200 and published.status_code == 200
    assert pid in {c["pid"] for c in listed.json()["data"]}
    assert intruder.status_code == 403
    assert their_view.status_code == 404


def test_the_leaderboard_is_kept_by_the_stream(api: Api) -> None:
    entity, pid = api.state["entity_id"], fresh("board")
    owner = api.bearer(api.state["secret_key"])
    path = f"/api/entities/{entity}/campaigns/{pid}"
    assert api.request("PUT", path, json={"name": "Board"}, headers=owner).status_code == 200
    assert api.post(f"{path}/publish", headers=owner).status_code == 200
    players = [fresh("player") for _ in range(5)]
    widget = ok(claimr(api, "GET", "/token", params={"account": players[1], "platform": "discord"}))
    for n, (player, xp) in enumerate(zip(players, (30, 50, 10, 40, 20), strict=True)):
        reward = {"account": player, "platform": "discord", "pid": pid, "id": f"r{n}", "xp": xp}
        ok(claimr(api, "POST", "/user/reward", json=reward))
    # the third player overtakes everybody with a second reward
    ok(
        claimr(
            api,
            "POST",
            "/user/reward",
            json={"account": players[2], "platform": "discord", "pid": pid, "id": "late", "xp": 60},
        )
    )

    def settled() -> Any:
        board = ok(claimr(api, "GET", "/leaderboard", params={"pid": pid}))["data"]
        return board if [e["score"] for e in board["leaderboard"]] == [70, 50, 40, 30, 20] else None

    board = eventually(settled)
    mine = ok(
        claimr(api, "GET", "/leaderboard", params={"pid": pid, "account": players[0], "platform": "discord"})
    )["data"]
    around = ok(
        claimr(
            api,
            "GET",
            "/leaderboard",
            params={"pid": pid, "account": players[3], "platform": "discord", "around": 1},
        )
    )["data"]
    first = ok(claimr(api, "GET", "/leaderboard", params={"pid": pid, "limit": 2}))["data"]
    rest = ok(claimr(api, "GET", "/leaderboard", params={"pid": pid, "limit": 10, "after": first["next"]}))
    as_widget = api.get(
        "/leaderboard",
        params={"pid": pid, "account": players[1], "platform": "discord"},
        headers=api.bearer(widget["data"]["token"]),
    )

    assert board["live"] is True and board["total"] == 5
    assert [e["rank"] for e in board["leaderboard"]] == [1, 2, 3, 4, 5]
    assert mine["rank"] == 4 and mine["total"] == 5
    assert [(e["rank"], e["score"]) for e in around["leaderboard"]] == [(2, 50), (3, 40), (4, 30)]
    assert [e["rank"] for e in first["leaderboard"] + rest["data"]["leaderboard"]] == [1, 2, 3, 4, 5]
    assert rest["data"]["next"] is None
    assert as_widget.status_code == 200 and as_widget.json()["data"]["rank"] == 2


def test_a_daily_board_answers_beside_the_all_time_one(api: Api) -> None:
    entity, pid = api.state["entity_id"], fresh("daily")
    owner = api.bearer(api.state["secret_key"])
    path = f"/api/entities/{entity}/campaigns/{pid}"
    campaign = {"name": "Daily board", "leaderboard": {"periods": ["daily"]}}
    assert api.request("PUT", path, json=campaign, headers=owner).status_code == 200
    assert api.post(f"{path}/publish", headers=owner).status_code == 200
    players = [fresh("day") for _ in range(3)]
    for n, (player, xp) in enumerate(zip(players, (30, 50, 10), strict=True)):
        reward = {"account": player, "platform": "discord", "pid": pid, "id": f"d{n}", "xp": xp}
        ok(claimr(api, "POST", "/user/reward", json=reward))

    def settled() -> Any:
        board = ok(claimr(api, "GET", "/leaderboard", params={"pid": pid, "period": "daily"}))["data"]
        return board if [e["score"] for e in board["leaderboard"]] == [50, 30, 10] else None

    daily = eventually(settled)
    all_time = ok(claimr(api, "GET", "/leaderboard", params={"pid": pid}))["data"]
    assert set(daily) == set(all_time) and daily["total"] == 3
    assert [e["rank"] for e in daily["leaderboard"]] == [1, 2, 3]
    for params, field in (({"period": "weekly"}, "period"), ({"season": 0}, "season")):
        refused = claimr(api, "GET", "/leaderboard", params={"pid": pid, **params})
        assert refused.status_code == 400 and field in refused.json()["error"], refused.text
