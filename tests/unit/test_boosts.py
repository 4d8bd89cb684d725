"""Boosts: time-boxed XP multipliers on a campaign or on some of its actions, multiplied when they overlap,
shown in /campaign/info, /user/progress and the answer of the report that completes an action."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.events import load_event
from questline import clock
from tests.unit.conftest import Aws
from tests.unit.test_claimr import ADMIN, P, balance, call, design, q

NOW = 1_800_000_000


def put(aws: Aws, campaign: dict[str, Any]) -> tuple[int, Any]:
    event = load_event("campaign_admin_put", aws.values)
    event["body"] = json.dumps(campaign)
    return aws.call(ADMIN, event)


@pytest.fixture
def boosted(aws: Aws, entity: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(clock, "now", lambda: NOW)
    campaign = design()
    campaign["boosts"] = [
        {"id": "weekend", "multiplier": 2, "starts_at": NOW - 60, "ends_at": NOW + 3600},
        {"id": "login_week", "multiplier": 1.5, "starts_at": NOW - 60, "ends_at": NOW + 3600,
         "actions": ["daily_login"]},
        {"id": "later", "multiplier": 3, "starts_at": NOW + 7200, "ends_at": NOW + 9000},
    ]  # fmt: skip
    assert put(aws, campaign)[0] == 200
    assert aws.call(ADMIN, "campaign_admin_publish")[0] == 200
    return campaign


def test_overlapping_boosts_multiply_on_the_actions_they_name(aws: Aws, boosted: dict[str, Any]) -> None:
    daily = next(a for a in boosted["actions"] if a["id"] == "daily_login")
    body = {"account": "u1", "platform": "discord", "pid": P, "cid": P, "aid": "daily_login", "value": 1}
    status, answer = call(aws, "POST", "/action/value", body=body)
    assert status == 200, answer
    assert answer["data"]["awarded"] == [{"id": "daily_login", "xp": daily["xp"] * 3, "boost": 3.0}]
    aws.pump_stream()
    assert balance(aws, "u1")["xp"] == daily["xp"] * 3

    info = call(aws, "GET", "/campaign/info", query=f"pid={P}")[1]["data"]
    assert [b["id"] for b in info["boosts"]] == ["weekend", "login_week", "later"]
    progress = call(aws, "GET", "/user/progress", query=q("u1"))[1]["data"]["actions"]
    boosts = {a["id"]: a["boost"] for a in progress}
    assert boosts["daily_login"] == 3.0 and all(b == 2.0 for k, b in boosts.items() if k != "daily_login")


@pytest.mark.parametrize(
    ("boost", "field"),
    [
        ({"id": "b", "multiplier": 0, "starts_at": 1, "ends_at": 2}, "multiplier"),
        ({"id": "b", "multiplier": 11, "starts_at": 1, "ends_at": 2}, "multiplier"),
        ({"id": "b", "multiplier": 2, "starts_at": 5, "ends_at": 5}, "boosts.0.ends_at"),
        ({"id": "b", "multiplier": 2, "starts_at": 1, "ends_at": 2, "actions": ["nope"]}, "boosts.0.actions"),
    ],
)
def test_bad_boosts_are_400_naming_the_field(
    aws: Aws, entity: dict[str, str], boost: Any, field: str
) -> None:
    campaign = {**design(), "boosts": [boost]}
    status, body = put(aws, campaign)
    assert status == 400 and field in json.dumps(body), body
