"""Previews (`env=dev`): a draft tried out never touches live data. The campaign of DESIGN.md §4 is
published; a draft adds `draftonly` (api_call, 777 XP), a stream task and an event task. Every write route
with `env=dev` (`/action/value`, `/stream/value`, `/event`, `/user/*`, `/wallet/*`) changes the preview
only, every read route with `env=dev` reads it, and nothing live moves: balances, progress, leaderboards,
statistics, monthly active users, webhooks, event listings."""

from __future__ import annotations

from typing import Any

import pytest

from questline import clock
from questline.storage import keys
from tests.support import api_event
from tests.unit.conftest import Aws
from tests.unit.test_claimr import P, admin, call, design, live_campaign, q
from tests.unit.test_webhooks import queued, register_hook

__all__ = ["live_campaign"]  # a fixture these tests use

WALLET = "0x" + "d" * 40


def draft_with_extras() -> dict[str, Any]:
    campaign = design()
    campaign["actions"] += [
        {"id": "draftonly", "name": "Draft only", "type": "api_call", "recurrence": "once", "xp": 777},
        {
            "id": "draft_stream",
            "name": "Stream 100",
            "type": "stream_value",
            "recurrence": "once",
            "xp": 55,
            "meta": {"stream": "draft_score", "target": 100},
        },
        {
            "id": "draft_event",
            "name": "Open the shop",
            "type": "events_count",
            "recurrence": "once",
            "xp": 11,
            "meta": {"event": {"name": "shop_opened"}, "target": 1},
        },
    ]
    return campaign


@pytest.fixture
def previewed(aws: Aws, live_campaign: dict[str, Any]) -> None:
    register_hook(aws.values["ENTITY_ID"], "http://127.0.0.1:9/hook", scope="user_reward")
    register_hook(aws.values["ENTITY_ID"], "http://127.0.0.1:9/hook", scope="user_activity", hook_id="acts")
    assert admin(aws, "PUT", f"/{P}", draft_with_extras())[0] == 200


def ok(answer: tuple[int, Any]) -> Any:
    status, body = answer
    assert status == 200 and body["success"] is True, answer
    return body


def user(account: str, **extra: Any) -> dict[str, Any]:
    return {"account": account, "platform": "discord", "pid": P, **extra}


def live_state(aws: Aws) -> list[dict[str, Any]]:
    """Every item that is not a preview's, an identity, or the draft: what a preview must leave alone (a
    person a preview names is created, as any request creates them, and counts in the plan's daily quota
    of new people)."""
    return [
        i
        for i in aws.table_items()
        if "~preview" not in str(i.get("pid", ""))
        and i["type"] not in ("identity", "identifier", "identity_quota")
        and i["SK"] != f"{P}#DRAFT"
    ]


def test_every_write_with_env_dev_stays_in_the_preview(aws: Aws, previewed: None) -> None:
    before = live_state(aws)

    reported = ok(
        call(aws, "POST", "/action/value", body=user("u1", cid=P, aid="draftonly", value=1, env="dev"))
    )
    streamed = ok(
        call(aws, "POST", "/stream/value", body=user("u1", stream="draft_score", value=150, env="dev"))
    )
    ok(call(aws, "POST", "/user/reward", body=user("u1", id="r1", xp=5, env="dev")))
    ok(call(aws, "POST", "/user/withdraw", body=user("u1", id="w1", xp=2, strict=True, env="dev")))
    ok(
        call(
            aws,
            "POST",
            "/wallet/reward",
            body={"address": WALLET, "pid": P, "id": "wr", "xp": 9, "env": "dev"},
        )
    )
    ok(call(aws, "POST", "/event", body=user("u1", name="shop_opened", id="e1", env="dev")))
    aws.pump_stream()
    aws.pump_stream()

    # nothing live moved
    assert ok(call(aws, "GET", "/user/balance", query=q("u1")))["data"] == {
        "xp": 0,
        "ref_xp": 0,
        "ugc_xp": 0,
        "rank": None,
        "level": None,  # (the campaign has no levels)
    }
    assert ok(call(aws, "GET", "/user/balance", query=q(WALLET, "web3")))["data"]["xp"] == 0
    live_progress = ok(call(aws, "GET", "/user/progress", query=q("u1")))["data"]["actions"]
    assert "draftonly" not in {a["id"] for a in live_progress}
    board = ok(call(aws, "GET", "/leaderboard", query=f"pid={P}"))["data"]
    assert board["leaderboard"] == [] and board["total"] == 0
    stats = ok(call(aws, "GET", "/campaign/stats", query=f"pid={P}"))["data"]
    assert (stats["total_points"], stats["total_users"]) == (0, 0)
    assert ok(call(aws, "GET", "/events", query=q("u1")))["events"] == []
    assert queued(aws) == []  # no webhook
    assert live_state(aws) == before  # and no live item at all: no MAU marker, no balance, no log
    assert [i for i in aws.table_items() if i["type"] in ("mau_marker", "mau_counter")] == []

    # the preview holds it all
    assert reported["data"]["completed"] == ["draftonly"] and reported["data"]["preview"] is True
    assert streamed["data"]["completed"] == ["draft_stream"]
    preview = ok(call(aws, "GET", "/user/balance", query=q("u1", env="dev")))["data"]
    assert preview == {
        "xp": 777 + 55 + 11 + 5 - 2,
        "ref_xp": 0,
        "ugc_xp": 0,
        "rank": None,
        "level": None,  # (the campaign has no levels)
    }  # no board in a preview
    done = {
        a["id"]: a["done"]
        for a in ok(call(aws, "GET", "/user/progress", query=q("u1", env="dev")))["data"]["actions"]
    }
    assert done["draftonly"] and done["draft_stream"] and done["draft_event"]
    wallet = ok(call(aws, "GET", "/user/balance", query=q(WALLET, "web3", env="dev")))["data"]
    assert wallet["xp"] == 9


def test_preview_items_expire_and_answer_only_with_env_dev(aws: Aws, previewed: None) -> None:
    ok(call(aws, "POST", "/event", body=user("u2", name="shop_opened", id="e9", env="dev", ts=1672531200)))
    ok(call(aws, "POST", "/event", body=user("u2", name="shop_opened", id="e9", env="dev", ts=1672531200)))
    ok(call(aws, "POST", "/action/value", body=user("u2", cid=P, aid="draftonly", value=1, env="dev")))
    ref_id = ok(call(aws, "GET", "/user/ref_id", query=q("u2", env="dev")))["data"]["ref_id"]
    ok(call(aws, "POST", "/user/ref_id", body=user("u3", ref_id=ref_id, env="dev")))
    aws.pump_stream()

    listed = ok(call(aws, "GET", "/events", query=q("u2", env="dev")))["events"]
    assert [(e["id"], e["name"], e["ts"]) for e in listed] == [("e9", "shop_opened", 1672531200)]
    assert [
        r["account"]
        for r in ok(call(aws, "GET", "/user/referrals", query=q("u2", env="dev")))["data"]["referrals"]
    ] == ["u3"]
    assert ok(call(aws, "GET", "/user/referrals", query=q("u2")))["data"]["referrals"] == []
    assert call(aws, "GET", "/user/ref_id", query=q("u2"))[1]["data"]["ref_id"] != ref_id
    activity = ok(call(aws, "GET", "/user/activity", query=q("u2", env="dev")))["data"]
    assert {t["id"] for t in activity["tasks"]} == {"draftonly", "draft_event"}
    headers = {"x-api-key": aws.values["SECRET_KEY"]}
    heymint = aws.call("HeyMintFunction", api_event("GET", "/v1/events/logs", headers=headers))
    assert heymint[1]["logs"] == []  # a preview's events are listed nowhere live
    previews = [i for i in aws.table_items() if "~preview" in str(i.get("pid", ""))]
    assert previews and all(i.get("ttl", 0) > clock.now() for i in previews), previews
    assert {i["type"] for i in previews} >= {
        "participant",
        "balance",
        "completion",
        "ledger_entry",
        "event_log",
    }


def test_a_never_published_campaign_previews_and_publishing_starts_the_preview_afresh(
    aws: Aws, entity: dict[str, str]
) -> None:
    assert admin(aws, "PUT", f"/{P}", draft_with_extras())[0] == 200

    first = call(aws, "POST", "/action/value", body=user("u4", cid=P, aid="draftonly", value=1, env="dev"))
    live = call(aws, "POST", "/action/value", body=user("u4", cid=P, aid="draftonly", value=1))
    before_publish = ok(call(aws, "GET", "/user/balance", query=q("u4", env="dev")))["data"]["xp"]
    assert admin(aws, "POST", f"/{P}/publish")[0] == 200
    after_publish = ok(call(aws, "GET", "/user/balance", query=q("u4", env="dev")))["data"]["xp"]

    assert ok(first)["data"]["completed"] == ["draftonly"]
    assert live[0] == 404 and live[1]["error"].startswith("there is no published campaign")
    assert (before_publish, after_publish) == (777, 0)
    assert ok(call(aws, "GET", "/user/balance", query=q("u4")))["data"]["xp"] == 0
    assert aws.table_items()  # sanity: the table is the moto table this test wrote to
    assert keys.campaign(aws.values["ENTITY_ID"], P, live=False)["SK"] == f"{P}#DRAFT"
