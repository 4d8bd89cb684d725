"""`POST /campaign/dry-run`: what an action, a stream value, an event or a reward would do (completions,
XP with multipliers and quest bonuses, balance, level, streaks, webhooks), computed by the task engine
against the person's stored state, writing nothing and queueing nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.conftest import Aws
from tests.unit.test_claimr import P, call, design
from tests.unit.test_levels import LEVELS, publish
from tests.unit.test_webhooks import queued, register_hook

ROUTE = "/campaign/dry-run"


def who(account: str = "dry", **extra: Any) -> dict[str, Any]:
    return {"account": account, "platform": "steam", "pid": P, **extra}


def leveled() -> dict[str, Any]:
    raw = design()
    raw["levels"] = LEVELS
    return raw


def login(aws: Aws, account: str = "dry") -> None:
    body = who(account, cid=P, aid="daily_login", value=1)
    assert call(aws, "POST", "/action/value", body=body)[0] == 200


@pytest.fixture
def hooked(aws: Aws, entity: dict[str, str]) -> dict[str, str]:
    for scope in ("user_activity", "user_reward", "progress"):
        register_hook(entity["ENTITY_ID"], "https://hooks.example.test/in", scope=scope, hook_id=scope)
    publish(aws, leveled())
    return entity


def test_an_action_that_completes_a_task_and_a_quest_writes_nothing(aws: Aws, hooked: dict[str, str]) -> None:
    login(aws)
    aws.pump_stream()
    for _ in range(3):  # drain what the real report queued
        queued(aws)
    before = aws.table_items()
    messages_before = len(queued(aws))

    status, answer = call(
        aws, "POST", ROUTE, body=who(action={"cid": P, "aid": "score_update", "value": 150})
    )
    aws.pump_stream()

    assert status == 200, answer
    data = answer["data"]
    assert data["completed"] == [{"id": "score_update", "xp": 32}]  # 30 with xp_mul 5 %
    assert data["quests_completed"] == [{"id": "quest_xyz789", "xp": 25}]
    assert data["xp"] == 57 and data["counted"] is True
    assert data["balance"]["xp"] == 107 and data["balance_before"]["xp"] == 50
    assert data["level"]["name"] == "silver" and data["level_before"]["name"] == "bronze"
    assert data["webhooks"] == [
        "user_activity",
        "user_reward",
        "user_activity",
        "user_reward",
        "level.changed",
    ]
    assert aws.table_items() == before
    assert len(queued(aws)) == messages_before
    # and the real report does what the dry run said
    real = call(aws, "POST", "/action/value", body=who(cid=P, aid="score_update", value=150))[1]["data"]
    assert real["completed"] == ["score_update"] and real["quests_completed"] == ["quest_xyz789"]


def test_a_reward_and_an_event(aws: Aws, hooked: dict[str, str]) -> None:
    before = aws.table_items()
    reward = call(aws, "POST", ROUTE, body=who("newcomer", reward={"xp": 120}))
    event = call(
        aws,
        "POST",
        ROUTE,
        body=who("newcomer", event={"name": "purchase", "category": None, "data": {"amount": 600}}),
    )

    assert reward[0] == 200 and event[0] == 200, (reward, event)
    assert reward[1]["data"]["new_user"] is True
    assert reward[1]["data"]["balance"]["xp"] == 120 and reward[1]["data"]["level"]["name"] == "silver"
    assert reward[1]["data"]["webhooks"] == ["user_reward", "level.changed"]
    assert event[1]["data"]["completed"] == [{"id": "big_spender", "xp": 80}] and event[1]["data"]["counted"]
    unmatched = call(aws, "POST", ROUTE, body=who("newcomer", event={"name": "nothing", "data": {}}))
    assert unmatched[1]["data"]["counted"] is False and unmatched[1]["data"]["webhooks"] == []
    assert event[1]["data"]["balance"]["xp"] == 80
    assert aws.table_items() == before  # nobody was registered either
    assert queued(aws) == []


def test_a_done_once_action_would_not_count(aws: Aws, hooked: dict[str, str]) -> None:
    login(aws)
    call(aws, "POST", "/action/value", body=who(cid=P, aid="score_update", value=150))
    status, answer = call(
        aws, "POST", ROUTE, body=who(action={"cid": P, "aid": "score_update", "value": 200})
    )

    assert status == 200
    assert answer["data"]["counted"] is False and answer["data"]["completed"] == []
    assert answer["data"]["skipped"] == [{"id": "score_update", "reason": "done", "next_available_at": None}]
    assert answer["data"]["xp"] == 0 and answer["data"]["webhooks"] == []


def test_a_locked_action_says_it_would_be_refused(aws: Aws, hooked: dict[str, str]) -> None:
    status, answer = call(
        aws, "POST", ROUTE, body=who(action={"cid": P, "aid": "score_update", "value": 200})
    )
    assert status == 200
    assert answer["data"]["refused"]["status"] == 422 and "daily_login" in answer["data"]["refused"]["error"]


@pytest.mark.parametrize(
    ("body", "status", "named"),
    [
        ({}, 400, "action"),
        ({"action": {"cid": P, "aid": "daily_login", "value": 1}, "reward": {"xp": 5}}, 400, "action"),
        ({"action": {"cid": "ghost", "aid": "daily_login", "value": 1}}, 404, "ghost"),
        ({"action": {"cid": P, "aid": "ghost", "value": 1}}, 404, "ghost"),
        ({"stream": {"stream": "nowhere", "value": 1}}, 404, "nowhere"),
        ({"reward": {"xp": 0}}, 400, "xp"),
        ({"inputs": []}, 400, "inputs"),
        ({"inputs": [{}]}, 400, "in inputs.0"),
        ({"inputs": [{"reward": {"xp": 1}}], "reward": {"xp": 1}}, 400, "inputs"),
        ({"campaign": {"name": "x", "actions": "none"}, "reward": {"xp": 1}}, 400, "actions"),
    ],
)
def test_bad_input_is_refused_in_claimrs_envelope(
    aws: Aws, hooked: dict[str, str], body: dict[str, Any], status: int, named: str
) -> None:
    before = aws.table_items()
    got, answer = call(aws, "POST", ROUTE, body=who(**body))
    assert got == status, answer
    assert answer["success"] is False and named in answer["error"]
    assert aws.table_items() == before


def test_a_publishable_key_is_refused(aws: Aws, hooked: dict[str, str]) -> None:
    got, answer = call(aws, "POST", ROUTE, key=hooked["PUBLIC_KEY"], body=who(reward={"xp": 5}))
    assert got in (401, 403) and answer["success"] is False


def test_a_list_of_inputs_against_a_draft_campaign(aws: Aws, hooked: dict[str, str]) -> None:
    draft = leveled()
    draft["actions"][0]["xp"] = 200  # daily_login worth more in the draft
    before = aws.table_items()
    status, answer = call(
        aws,
        "POST",
        ROUTE,
        body=who(
            campaign=draft,
            inputs=[
                {"action": {"cid": P, "aid": "daily_login", "value": 1}},
                {"action": {"cid": P, "aid": "daily_login", "value": 1}},
                {"reward": {"xp": 10}},
            ],
        ),
    )
    assert status == 200, answer
    data = answer["data"]
    assert data["draft"] is True and len(data["steps"]) == 3
    assert data["steps"][0]["completed"] == [{"id": "daily_login", "xp": 200}]
    assert (
        data["steps"][1]["counted"] is False and data["steps"][1]["skipped"][0]["reason"] == "window_not_open"
    )
    assert data["balance"]["xp"] == 210 and data["level"]["name"] == "silver"
    assert aws.table_items() == before

    broken = {**draft, "actions": [*draft["actions"], draft["actions"][0]]}
    refused = call(aws, "POST", ROUTE, body=who(campaign=broken, reward={"xp": 1}))
    assert refused[0] == 400 and "used twice" in refused[1]["error"]


def test_streaks_and_achievements_it_would_extend_and_award(
    aws: Aws, entity: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.unit.test_achievements import with_achievements
    from tests.unit.test_streaks import at

    moment = [at("2026-12-01T12:00")]
    monkeypatch.setattr("questline.clock.now", lambda: moment[0])
    first_login = {
        "id": "first_login",
        "name": "First login",
        "xp": 15,
        "rule": {"all": [{"type": "completions", "actions": ["daily_login"]}]},
    }
    publish(aws, with_achievements(first_login))
    login(aws, "streaker")
    moment[0] = at("2026-12-02T12:00")
    before = aws.table_items()

    status, answer = call(
        aws, "POST", ROUTE, body=who("streaker", action={"cid": P, "aid": "daily_login", "value": 1})
    )

    assert status == 200, answer
    data = answer["data"]
    assert data["completed"] == [{"id": "daily_login", "xp": 50}]
    assert [(s["streak_id"], s["current"]) for s in data["streaks_extended"]] == [("login", 2)]
    assert data["achievements"] == []  # first_login was awarded by the first login already
    assert data["webhooks"] == ["user_activity", "user_reward", "streak.extended"]
    assert data["balance"]["xp"] == 50 + 15 + 50
    assert aws.table_items() == before

    fresh = call(aws, "POST", ROUTE, body=who("nobody", action={"cid": P, "aid": "daily_login", "value": 1}))
    assert fresh[1]["data"]["achievements"] == [{"id": "first_login", "xp": 15}]
    assert fresh[1]["data"]["xp"] == 65 and "achievement.completed" in fresh[1]["data"]["webhooks"]
    assert aws.table_items() == before


def test_a_referral_it_would_make_valid_and_the_referrers_share(aws: Aws, hooked: dict[str, str]) -> None:
    reward = {"account": "referrer", "platform": "steam", "pid": P, "id": "r1", "xp": 5}
    assert call(aws, "POST", "/user/reward", body=reward)[0] == 200
    link = {**who("referee"), "ref_account": "referrer", "ref_platform": "steam"}
    assert call(aws, "POST", "/user/referrer", body=link)[0] == 200
    before = aws.table_items()

    status, answer = call(
        aws, "POST", ROUTE, body=who("referee", action={"cid": P, "aid": "daily_login", "value": 1})
    )

    assert status == 200, answer
    referral = answer["data"]["referral"]
    assert referral["becomes_valid"] is True and referral["referrer_xp"] == 10  # daily_login's ref_xp
    assert answer["data"]["webhooks"][-1] == "referral"
    assert aws.table_items() == before
