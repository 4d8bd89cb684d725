"""Levels: `levels: [{name, min_xp}]` in the campaign; the person's level in the balance, progress and
campaign answers; actions that depend on a level; `level.changed` (webhook scope `progress`)."""

from __future__ import annotations

from typing import Any

import pytest

from questline.campaigns.definition import Campaign, check_campaign
from questline.campaigns.engine import apply_value, level_of, new_state
from questline.errors import BadRequest, RuleViolation
from tests.unit.conftest import Aws
from tests.unit.test_claimr import ADMIN, P, call, design, q
from tests.unit.test_webhooks import queued, register_hook

LEVELS = [{"name": "bronze", "min_xp": 0}, {"name": "silver", "min_xp": 100}, {"name": "gold", "min_xp": 300}]


def leveled(**changes: Any) -> dict[str, Any]:
    raw = design()
    raw["levels"] = LEVELS
    raw["actions"].append(
        {"id": "silver_perk", "name": "Silver perk", "type": "api_call", "xp": 5, "deps": ["silver"]}
    )
    raw.update(changes)
    return raw


@pytest.mark.parametrize(
    ("levels", "field"),
    [
        ([{"name": "a", "min_xp": 10}, {"name": "b", "min_xp": 10}], "levels.1.min_xp"),
        ([{"name": "a", "min_xp": 20}, {"name": "b", "min_xp": 10}], "levels.1.min_xp"),
        ([{"name": "a", "min_xp": 0}, {"name": "a", "min_xp": 10}], "levels.1.name"),
        ([{"name": "daily_login", "min_xp": 0}], "levels.0.name"),  # an action's id: deps name either
    ],
)
def test_levels_must_ascend_with_unique_names(levels: list[dict[str, Any]], field: str) -> None:
    raw = design()
    raw["levels"] = levels
    with pytest.raises(BadRequest) as refused:
        check_campaign(Campaign.model_validate(raw), P)
    assert refused.value.field == field


def test_a_level_and_the_way_to_the_next() -> None:
    campaign = check_campaign(Campaign.model_validate(leveled()), P)
    assert level_of(campaign, 150) == {
        "name": "silver",
        "index": 1,
        "min_xp": 100,
        "xp": 150,
        "next": "gold",
        "next_min_xp": 300,
        "xp_to_next": 150,
        "progress": 0.25,
    }
    assert level_of(campaign, 300)["next"] is None and level_of(campaign, 999)["progress"] == 1.0  # type: ignore[index]
    above_zero = check_campaign(
        Campaign.model_validate({**design(), "levels": [{"name": "one", "min_xp": 50}]}), P
    )
    assert level_of(above_zero, 10)["name"] is None and level_of(above_zero, 10)["xp_to_next"] == 40  # type: ignore[index]


def test_an_action_depending_on_a_level_unlocks_when_the_xp_reaches_it() -> None:
    campaign = check_campaign(Campaign.model_validate(leveled()), P)
    with pytest.raises(RuleViolation, match="level silver"):
        apply_value(campaign, {**new_state(), "_xp": 99}, "silver_perk", 1, 0)
    done = apply_value(campaign, {**new_state(), "_xp": 100}, "silver_perk", 1, 0)
    assert [c.action_id for c in done.completions] == ["silver_perk"]


def publish(aws: Aws, raw: dict[str, Any]) -> None:
    entity_id = aws.values["ENTITY_ID"]
    params = {"entityId": entity_id, "pid": P}
    path = f"/api/entities/{entity_id}/campaigns/{P}"
    status, body = call(
        aws, "PUT", "/api/entities/{entityId}/campaigns/{pid}", path=path, params=params, body=raw
    )
    assert status == 200, body
    assert aws.call(ADMIN, "campaign_admin_publish")[0] == 200


def reward(aws: Aws, account: str, entry_id: str, xp: int) -> None:
    body = {"account": account, "platform": "discord", "pid": P, "id": entry_id, "xp": xp}
    assert call(aws, "POST", "/user/reward", body=body)[0] == 200


def test_balance_progress_and_campaign_info_carry_levels(aws: Aws, entity: dict[str, str]) -> None:
    publish(aws, leveled())
    reward(aws, "lev", "r1", 120)

    balance = call(aws, "GET", "/user/balance", query=q("lev"))[1]["data"]
    progress = call(aws, "GET", "/user/progress", query=q("lev"))[1]["data"]
    info = call(aws, "GET", "/campaign/info", query=f"pid={P}")[1]["data"]

    assert balance["xp"] == 120 and balance["level"]["name"] == "silver"
    assert balance["level"]["xp_to_next"] == 180 and balance["level"]["progress"] == 0.1
    assert progress["level"] == balance["level"]
    perk = next(a for a in progress["actions"] if a["id"] == "silver_perk")
    assert perk["locked"] is False
    assert info["levels"] == LEVELS


def test_a_level_dependency_locks_value_reports_with_a_422(aws: Aws, entity: dict[str, str]) -> None:
    publish(aws, leveled())
    body = {"account": "lev", "platform": "discord", "pid": P, "cid": P, "aid": "silver_perk", "value": 1}
    reward(aws, "lev", "r1", 50)
    locked = call(aws, "POST", "/action/value", body=body)
    reward(aws, "lev", "r2", 50)
    unlocked = call(aws, "POST", "/action/value", body=body)

    assert locked[0] == 422 and "level silver" in str(locked[1])
    assert unlocked[0] == 200 and unlocked[1]["data"]["completed"] == ["silver_perk"]
    assert call(aws, "GET", "/user/balance", query=q("lev"))[1]["data"]["xp"] == 105
    states = [i for i in aws.table_items() if i["type"] == "participant"]
    assert states and not any(
        k.startswith("_") for s in states for k in s
    )  # XP and timezone: read, not stored


def test_level_changed_is_queued_once_per_crossing_even_when_replayed(
    aws: Aws, entity: dict[str, str]
) -> None:
    entity_id = aws.values["ENTITY_ID"]
    register_hook(entity_id, "https://93.184.216.34/p", scope="progress", hook_id="prog", pids=[P])
    register_hook(entity_id, "https://93.184.216.34/o", scope="progress", hook_id="other", pids=["other"])
    publish(aws, leveled())
    reward(aws, "lev", "r1", 50)  # bronze -> bronze (from no balance at 0 XP: bronze too)
    reward(aws, "lev", "r2", 60)  # bronze -> silver
    aws.pump_stream()
    for batch in list(aws.stream_batches):  # every record again, as a replayed stream would deliver it
        assert aws.invoke("StreamFunction", {"Records": batch}) == {"batchItemFailures": []}

    changes = [m for m in queued(aws) if m["payload"]["type"] == "level.changed"]
    assert [m["hook_id"] for m in changes] == ["prog"]
    data = changes[0]["payload"]["data"]
    assert (data["from"], data["to"], data["xp"], data["direction"]) == ("bronze", "silver", 110, "up")
    assert data["account"] == "lev" and data["platform"] == "discord"
    assert changes[0]["scope"] == "progress"
