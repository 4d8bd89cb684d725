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


# --- one person's boosts (ours: POST /user/boost) ---------------------------------------------------------


def grant(aws: Aws, account: str, key: str | None = None, **terms: Any) -> tuple[int, Any]:
    body = {"account": account, "platform": "discord", "pid": P, **terms}
    return call(aws, "POST", "/user/boost", body=body, key=key)


def stored_boosts(aws: Aws) -> dict[str, Any]:
    """The boosts kept with participants' state items (one person has some in these tests)."""
    kept = [i["boosts"] for i in aws.table_items() if i.get("type") == "participant" and i.get("boosts")]
    assert len(kept) <= 1
    return dict(kept[0]) if kept else {}


def test_a_person_s_boost_multiplies_only_their_completions_and_shows_in_their_progress(
    aws: Aws, boosted: dict[str, Any]
) -> None:
    daily = next(a for a in boosted["actions"] if a["id"] == "daily_login")
    status, answer = grant(aws, "u1", id="comeback", multiplier=2, ends_at=NOW + 600, actions=["daily_login"])
    assert status == 200, answer
    assert answer["data"]["boosts"] == [
        {"id": "comeback", "name": None, "multiplier": 2.0, "starts_at": NOW, "ends_at": NOW + 600,
         "actions": ["daily_login"], "active": True},
    ]  # fmt: skip

    for account in ("u1", "u2"):
        body = {
            "account": account,
            "platform": "discord",
            "pid": P,
            "cid": P,
            "aid": "daily_login",
            "value": 1,
        }
        assert call(aws, "POST", "/action/value", body=body)[0] == 200
    aws.pump_stream()
    assert balance(aws, "u1")["xp"] == daily["xp"] * 6  # 2 (campaign) x 1.5 (action) x 2 (theirs)
    assert balance(aws, "u2")["xp"] == daily["xp"] * 3

    progress = call(aws, "GET", "/user/progress", query=q("u1"))[1]["data"]
    assert [b["id"] for b in progress["boosts"]] == ["comeback"]
    assert {a["id"]: a["boost"] for a in progress["actions"]}["daily_login"] == 6.0
    assert call(aws, "GET", "/user/progress", query=q("u2"))[1]["data"]["boosts"] == []


def test_granting_again_is_idempotent_changes_terms_or_ends_it(aws: Aws, boosted: dict[str, Any]) -> None:
    first = grant(aws, "u1", id="gift", multiplier=1.5, ends_at=NOW + 600)
    again = grant(aws, "u1", id="gift", multiplier=1.5, ends_at=NOW + 600)
    assert first == again and first[0] == 200
    changed = grant(aws, "u1", id="gift", multiplier=3, ends_at=NOW + 900)[1]["data"]["boosts"]
    assert [(b["multiplier"], b["ends_at"]) for b in changed] == [(3.0, NOW + 900)]
    assert set(stored_boosts(aws)) == {"gift"}

    ended = grant(aws, "u1", id="gift", multiplier=3, ends_at=NOW)
    assert ended == (200, {"success": True, "data": {"boosts": []}})
    progress = call(aws, "GET", "/user/progress", query=q("u1"))[1]["data"]
    assert progress["boosts"] == [] and all(a["boost"] <= 3.0 for a in progress["actions"])


def test_stacked_boosts_stop_at_ten(aws: Aws, boosted: dict[str, Any]) -> None:
    assert grant(aws, "u1", id="big", multiplier=10, ends_at=NOW + 600)[0] == 200
    body = {"account": "u1", "platform": "discord", "pid": P, "cid": P, "aid": "daily_login", "value": 1}
    awarded = call(aws, "POST", "/action/value", body=body)[1]["data"]["awarded"]
    assert [a["boost"] for a in awarded] == [10.0]


def test_a_boost_that_starts_later_is_listed_inactive_and_earns_nothing_yet(
    aws: Aws, boosted: dict[str, Any]
) -> None:
    daily = next(a for a in boosted["actions"] if a["id"] == "daily_login")
    listed = grant(aws, "u1", id="soon", multiplier=4, starts_at=NOW + 60, ends_at=NOW + 600)[1]["data"]
    assert [(b["id"], b["active"]) for b in listed["boosts"]] == [("soon", False)]
    body = {"account": "u1", "platform": "discord", "pid": P, "cid": P, "aid": "daily_login", "value": 1}
    assert call(aws, "POST", "/action/value", body=body)[1]["data"]["awarded"][0]["xp"] == daily["xp"] * 3


@pytest.mark.parametrize(
    ("terms", "status", "field"),
    [
        ({"id": "b", "multiplier": 2, "ends_at": NOW + 60, "actions": ["nope"]}, 422, "actions"),
        ({"id": "b", "multiplier": 2, "starts_at": NOW + 60, "ends_at": NOW + 60}, 422, "ends_at"),
        ({"id": "b", "multiplier": 0, "ends_at": NOW + 60}, 400, "multiplier"),
        ({"id": "b", "multiplier": 11, "ends_at": NOW + 60}, 400, "multiplier"),
        ({"id": "has space", "multiplier": 2, "ends_at": NOW + 60}, 400, "id"),
        ({"multiplier": 2, "ends_at": NOW + 60}, 400, "id"),
    ],
)
def test_bad_boost_grants_say_what_is_wrong_and_write_nothing(
    aws: Aws, boosted: dict[str, Any], terms: dict[str, Any], status: int, field: str
) -> None:
    before = aws.table_items()
    answer = grant(aws, "u1", **terms)
    assert answer[0] == status and field in json.dumps(answer[1]), answer
    assert aws.table_items() == before


def test_a_public_key_cannot_grant_a_boost(aws: Aws, boosted: dict[str, Any]) -> None:
    before = aws.table_items()
    status, _ = grant(aws, "u1", key=aws.values["PUBLIC_KEY"], id="b", multiplier=10, ends_at=NOW + 60)
    assert status in (401, 403) and aws.table_items() == before


def test_a_person_has_at_most_twenty_boosts_that_have_not_ended(aws: Aws, boosted: dict[str, Any]) -> None:
    for n in range(20):
        assert grant(aws, "u1", id=f"b{n}", multiplier=1.1, ends_at=NOW + 600)[0] == 200
    status, body = grant(aws, "u1", id="b20", multiplier=1.1, ends_at=NOW + 600)
    assert status == 422 and "too_many_boosts" in json.dumps(body)
    assert grant(aws, "u1", id="b0", multiplier=1.1, ends_at=NOW)[0] == 200  # ending one makes room
    assert grant(aws, "u1", id="b20", multiplier=1.1, ends_at=NOW + 600)[0] == 200
    assert len(stored_boosts(aws)) == 20


def test_merged_people_keep_both_people_s_boosts_the_later_end_winning() -> None:
    from questline.campaigns.personal_boosts import MAX_PER_PERSON, joined

    ours = {"a": {"ends_at": 10}, "both": {"ends_at": 5}}
    theirs = {"b": {"ends_at": 20}, "both": {"ends_at": 50}}
    assert joined(ours, theirs) == {"a": {"ends_at": 10}, "both": {"ends_at": 50}, "b": {"ends_at": 20}}
    many = {f"x{n}": {"ends_at": n} for n in range(MAX_PER_PERSON)}
    assert set(joined(many, {"late": {"ends_at": 999}})) == {
        *(f"x{n}" for n in range(1, MAX_PER_PERSON)),
        "late",
    }
