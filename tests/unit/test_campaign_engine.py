"""The campaign definition rules and the task engine, as pure functions (no storage)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from questline.campaigns.definition import Campaign, check_campaign
from questline.campaigns.engine import (
    EventFacts,
    apply_event,
    apply_referrals,
    apply_stream,
    apply_value,
    new_state,
    referral_becomes_valid,
)
from questline.errors import BadRequest, NotFound, RuleViolation

DESIGN_EXAMPLE: dict[str, Any] = {
    "name": "Summer Gaming Challenge",
    "actions": [
        {
            "id": "daily_login",
            "name": "Daily Login",
            "type": "api_call",
            "recurrence": "daily",
            "xp": 50,
            "ref_xp": 10,
            "xp_mul": 0,
            "deps": [],
            "is_optional": False,
        },
        {
            "id": "three_levels",
            "name": "Complete 3 levels",
            "type": "events_count",
            "recurrence": "once",
            "xp": 100,
            "ref_xp": 20,
            "meta": {"event": {"name": "level_completed", "category": "gameplay"}, "target": 3},
        },
        {
            "id": "big_spender",
            "name": "Spend 500",
            "type": "events_value",
            "recurrence": "weekly",
            "xp": 80,
            "meta": {"event": {"name": "purchase"}, "field": "amount", "target": 500},
        },
        {
            "id": "score_update",
            "name": "Reach 150 points",
            "type": "number_value",
            "recurrence": "once",
            "xp": 30,
            "xp_mul": 5,
            "deps": ["daily_login"],
            "meta": {"target": 150},
        },
        {
            "id": "score_stream",
            "name": "Score 1000 in total",
            "type": "stream_value",
            "recurrence": "once",
            "xp": 40,
            "meta": {"stream": "player_score", "target": 1000},
        },
        {
            "id": "bring_friends",
            "name": "Refer 2 friends",
            "type": "referral",
            "recurrence": "once",
            "xp": 200,
            "is_optional": True,
            "meta": {"target": 2},
        },
    ],
    "quests": [
        {
            "id": "quest_xyz789",
            "name": "Starter",
            "actions": ["daily_login", "score_update", "bring_friends"],
            "xp": 25,
        }
    ],
    "seasons": [{"name": "Season 1: Rookies", "max_xp": 1000}, {"name": "Season 2: Masters", "max_xp": 5000}],
    "referral": {"min_points": 50, "tasks": ["daily_login"]},
    "leaderboard": {"tasks": [], "max_entries": 150},
}
T0 = 1_795_330_800.0
DAY = 24 * 3600


def campaign(changes: dict[str, Any] | None = None) -> Campaign:
    raw = copy.deepcopy(DESIGN_EXAMPLE)
    raw.update(changes or {})
    return check_campaign(Campaign.model_validate(raw), "campaign_abc123")


def event(
    n: int, name: str = "level_completed", category: str | None = "gameplay", **data: Any
) -> EventFacts:
    return EventFacts(f"log-{n}", name, category, data)


def test_the_design_example_is_a_valid_campaign() -> None:
    parsed = campaign()
    assert [a.id for a in parsed.actions][:2] == ["daily_login", "three_levels"]
    assert parsed.action("score_update").award() == 32  # 30 + 5 %, rounded  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"actions": [{"id": "a", "name": "A", "type": "api_call", "deps": ["ghost"]}]}, "actions.0.deps.0"),
        (
            {
                "actions": [
                    {"id": "a", "name": "A", "type": "api_call", "deps": ["b"]},
                    {"id": "b", "name": "B", "type": "api_call", "deps": ["a"]},
                ]
            },
            "actions.0.deps",
        ),
        (
            {
                "actions": [
                    {"id": "a", "name": "A", "type": "api_call"},
                    {"id": "a", "name": "B", "type": "api_call"},
                ]
            },
            "actions.1.id",
        ),
        (
            {"actions": [{"id": "a", "name": "A", "type": "events_count", "meta": {"target": 3}}]},
            "actions.0.meta.event",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "name": "A",
                        "type": "events_count",
                        "meta": {"event": {"name": "x"}, "target": 2.5},
                    }
                ]
            },
            "actions.0.meta.target",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "name": "A",
                        "type": "events_value",
                        "meta": {"event": {"name": "x"}, "target": 5},
                    }
                ]
            },
            "actions.0.meta.field",
        ),
        (
            {"actions": [{"id": "a", "name": "A", "type": "stream_value", "meta": {"target": 5}}]},
            "actions.0.meta.stream",
        ),
        ({"quests": [{"id": "q", "name": "Q", "actions": ["nope"]}]}, "quests.0.actions.0"),
        ({"quests": [{"id": "daily_login", "name": "Q", "actions": ["daily_login"]}]}, "quests.0.id"),
        ({"referral": {"min_points": 1, "tasks": ["nope"]}}, "referral.tasks.0"),
        ({"leaderboard": {"tasks": ["nope"], "max_entries": 10}}, "leaderboard.tasks.0"),
    ],
)
def test_rules_across_fields_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(BadRequest) as raised:
        campaign(change)
    assert raised.value.field == field


@pytest.mark.parametrize(
    "action",
    [
        {"id": "a", "name": "A", "type": "api_call", "recurrence": "hourly"},
        {"id": "a", "name": "A", "type": "api_call", "xp": -5},
        {"id": "a", "name": "A", "type": "api_call", "xp": 2.5},
        {"id": "a", "name": "A", "type": "teleport"},
        {"id": "a b", "name": "A", "type": "api_call"},
    ],
)
def test_structure_errors_are_refused(action: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Campaign.model_validate({"name": "x", "actions": [action]})


def test_events_count_completes_once_at_its_target_and_ignores_replays() -> None:
    c, state = campaign(), new_state()
    completions = []
    for n in [1, 2, 2, 3, 4, 5]:  # log 2 replayed
        outcome = apply_event(c, state, event(n), T0 + n)
        state, completions = outcome.state, completions + outcome.completions

    assert [(x.action_id, x.window, x.xp, x.ref_xp) for x in completions] == [("three_levels", 0, 100, 20)]
    assert state["actions"]["three_levels"]["n"] == 1


def test_events_must_match_name_and_category() -> None:
    c, state = campaign(), new_state()
    for n, (name, category) in enumerate(
        [("level_completed", "other"), ("level_started", "gameplay"), ("level_completed", None)]
    ):
        state = apply_event(c, state, event(n, name, category), T0).state
    assert state["actions"] == {}


def test_events_value_sums_a_field_in_rolling_weekly_windows() -> None:
    c, state = campaign(), new_state()
    got = []
    for n, (amount, at) in enumerate([(200, 0), (250, 1), ("x", 2), (60, 3), (500, 4 * DAY), (500, 8 * DAY)]):
        outcome = apply_event(c, state, event(n, "purchase", None, amount=amount), T0 + at)
        state, got = outcome.state, got + [(x.window, at) for x in outcome.completions]

    # 200 + 250 + 60 reaches 500 at once; 4 days later the week is not over; 8 days later it is
    assert got == [(0, 3), (1, 8 * DAY)]


def test_number_value_api_call_deps_xp_mul_and_quest_bonus() -> None:
    c, state = campaign(), new_state()

    with pytest.raises(RuleViolation):
        apply_value(c, state, "score_update", 150, T0)  # locked until daily_login is done
    state = apply_value(c, state, "daily_login", 0, T0).state
    low = apply_value(c, state, "score_update", 149, T0)
    high = apply_value(c, low.state, "score_update", 150, T0)
    again = apply_value(c, high.state, "score_update", 999, T0)

    assert low.completions == [] and [x.xp for x in high.completions] == [32]
    # bring_friends is optional: the quest completes without it
    assert [(q.quest_id, q.xp) for q in high.quests] == [("quest_xyz789", 25)]
    assert again.completions == [] and again.quests == [] and again.changed is False


def test_rolling_daily_windows_reopen_after_24_hours() -> None:
    c, state = campaign(), new_state()
    windows = []
    for at in (0, 3600, DAY - 1, DAY, 2 * DAY + 5):
        outcome = apply_value(c, state, "daily_login", 0, T0 + at)
        state, windows = outcome.state, windows + [x.window for x in outcome.completions]
    assert windows == [0, 1, 2]


def test_stream_value_accumulates_into_every_bound_task() -> None:
    c, state = campaign(), new_state()
    outcomes = [apply_stream(c, state, "player_score", 600, T0)]
    outcomes.append(apply_stream(c, outcomes[-1].state, "player_score", 600, T0))

    assert [x.action_id for x in outcomes[1].completions] == ["score_stream"]
    with pytest.raises(NotFound):
        apply_stream(c, state, "unknown_stream", 1, T0)


def test_value_routes_refuse_unknown_and_wrong_actions() -> None:
    with pytest.raises(NotFound):
        apply_value(campaign(), new_state(), "ghost", 1, T0)
    with pytest.raises(BadRequest):
        apply_value(campaign(), new_state(), "three_levels", 1, T0)


def test_referral_validity_and_the_referrers_referral_task() -> None:
    c = campaign()
    referee = {**new_state(), "referrer": "someone"}
    assert not referral_becomes_valid(c, referee, 100)  # no referral task done yet
    referee = apply_value(c, referee, "daily_login", 0, T0).state
    assert not referral_becomes_valid(c, referee, 49)  # below min_points
    assert referral_becomes_valid(c, referee, 50)
    assert not referral_becomes_valid(c, {**referee, "referral_valid": True}, 500)

    referrer = {**new_state(), "valid_referrals": 1}
    assert apply_referrals(c, referrer, T0).completions == []
    done = apply_referrals(c, {**referrer, "valid_referrals": 2}, T0)
    assert [(x.action_id, x.xp) for x in done.completions] == [("bring_friends", 200)]
