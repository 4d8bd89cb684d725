"""Achievements: rules over counts, values, streaks, completions and levels (all/any, within a span of
days), awarded once with optional XP, progress per person, `GET /user/achievements`, and the
`achievement.completed` webhook (scope `progress`)."""

from __future__ import annotations

from typing import Any

import pytest

from questline.campaigns.definition import Campaign, check_campaign
from questline.campaigns.engine import EventFacts, achievements_of, apply_event, apply_value, new_state
from questline.errors import BadRequest
from tests.unit.conftest import Aws
from tests.unit.test_claimr import call, q
from tests.unit.test_levels import publish
from tests.unit.test_streaks import P, at, streaky
from tests.unit.test_webhooks import queued, register_hook

DAY = 86400.0
WEEK_WARRIOR = {
    "id": "week_warrior",
    "name": "Seven days in a row, or 3 big levels this week",
    "xp": 40,
    "rule": {
        "any": [
            {"type": "streak", "streak": "login", "target": 7},
            {
                "all": [
                    {
                        "type": "events_count",
                        "event": {"name": "level_completed"},
                        "target": 3,
                        "within_days": 7,
                    },
                    {"type": "events_value", "event": {"name": "purchase"}, "field": "amount", "target": 100},
                ]
            },
        ]
    },
}


def with_achievements(*achievements: dict[str, Any]) -> dict[str, Any]:
    raw = streaky()
    raw["levels"] = [{"name": "rookie", "min_xp": 0}, {"name": "pro", "min_xp": 500}]
    raw["achievements"] = list(achievements)
    return raw


def parsed(*achievements: dict[str, Any]) -> Campaign:
    return check_campaign(Campaign.model_validate(with_achievements(*achievements)), P)


def ev(n: int, name: str, **data: Any) -> EventFacts:
    return EventFacts(f"log-{n}", name, None, data)


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"all": []}, "achievements.0.rule"),
        ({"all": [{"type": "streak", "streak": "nope"}]}, "achievements.0.rule.all.0.streak"),
        ({"any": [{"type": "level", "level": "nope"}]}, "achievements.0.rule.any.0.level"),
        ({"all": [{"type": "events_count"}]}, "achievements.0.rule.all.0.event"),
        ({"all": [{"type": "completions", "actions": ["ghost"]}]}, "achievements.0.rule.all.0.actions.0"),
        (
            {"all": [{"any": [{"all": [{"any": [{"type": "quests"}]}]}]}]},
            "achievements.0.rule.all.0.any.0.all.0",
        ),
    ],
)
def test_achievement_rules_are_checked(rule: dict[str, Any], field: str) -> None:
    with pytest.raises(BadRequest) as refused:
        parsed({"id": "a", "name": "A", "rule": rule})
    assert refused.value.field == field


def test_counts_within_a_span_and_values_together_award_once() -> None:
    campaign = parsed(WEEK_WARRIOR)
    t0 = at("2026-12-01T10:00")
    state = new_state()
    fired: list[str] = []
    steps = [
        (ev(1, "level_completed"), t0),
        (ev(2, "level_completed"), t0 + DAY),
        (ev(3, "purchase", amount=150), t0 + DAY),
        (ev(4, "level_completed"), t0 + 9 * DAY),  # the first two are older than 7 days: 1 in the span
        (ev(5, "level_completed"), t0 + 9.5 * DAY),
        (ev(6, "level_completed"), t0 + 10 * DAY),
    ]
    for facts, when in steps:
        outcome = apply_event(campaign, state, facts, when)
        state = outcome.state
        fired.append(",".join(e.event for e in outcome.events if e.event.startswith("achievement")))
    assert fired == ["", "", "", "", "", "achievement.completed"]  # 3 in 7 days only with the sixth
    (shown,) = achievements_of(campaign, state, t0 + 11 * DAY)
    assert shown["done"] is True and shown["completed_at"] == t0 + 10 * DAY and shown["progress"] == 1.0
    again = apply_event(campaign, state, ev(7, "level_completed"), t0 + 11 * DAY)
    assert [e.event for e in again.events] == []  # awarded once


def test_progress_is_shown_per_condition() -> None:
    campaign = parsed(WEEK_WARRIOR)
    state = apply_event(campaign, new_state(), ev(1, "purchase", amount=50), at("2026-12-01T10:00")).state
    (shown,) = achievements_of(campaign, state, at("2026-12-01T11:00"))
    assert shown["done"] is False and shown["progress"] == 0.25  # any: the best branch, (0 + 0.5) / 2
    assert [(c["path"], c["current"], c["target"]) for c in shown["conditions"]] == [
        ("0", 0, 7), ("1.0", 0, 3), ("1.1", 50, 100)
    ]  # fmt: skip


def test_levels_and_completions_award_xp_once_and_a_replay_awards_nothing() -> None:
    campaign = parsed(
        {
            "id": "pro_player",
            "name": "Pro",
            "xp": 25,
            "rule": {
                "all": [
                    {"type": "level", "level": "pro"},
                    {"type": "completions", "actions": ["daily_login"]},
                ]
            },
        }
    )
    outcome = apply_value(campaign, {**new_state(), "_xp": 480}, "daily_login", 1, at("2026-12-01T10:00"))
    assert [e.event for e in outcome.events if e.event.startswith("achievement")] == ["achievement.completed"]
    again = apply_value(campaign, outcome.state, "daily_login", 1, at("2026-12-02T10:00"))
    assert [e.event for e in again.events if e.event.startswith("achievement")] == []


def test_the_achievements_route_xp_webhook_and_replays(
    aws: Aws, entity: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = [at("2026-12-01T12:00")]
    monkeypatch.setattr("questline.clock.now", lambda: moment[0])
    register_hook(aws.values["ENTITY_ID"], "https://93.184.216.34/p", scope="progress", hook_id="prog")
    publish(aws, with_achievements(
        {"id": "first_login", "name": "First login", "xp": 15,
         "rule": {"all": [{"type": "completions", "actions": ["daily_login"]}]}}, WEEK_WARRIOR,
    ))  # fmt: skip
    body = {"account": "ach", "platform": "discord", "pid": P, "cid": P, "aid": "daily_login", "value": 1}
    assert call(aws, "POST", "/action/value", body=body)[0] == 200
    aws.pump_stream()
    for batch in list(aws.stream_batches):
        assert aws.invoke("StreamFunction", {"Records": batch}) == {"batchItemFailures": []}
    moment[0] = at("2026-12-02T12:00")
    assert call(aws, "POST", "/action/value", body=body)[0] == 200  # a second login: awarded once only

    token = call(aws, "GET", "/token", query="account=ach&platform=discord")[1]["data"]["token"]
    answer = call(aws, "GET", "/user/achievements", key=token, query=f"pid={P}")
    other = call(aws, "GET", "/user/achievements", key=token, query=q("someone"))
    balance = call(aws, "GET", "/user/balance", query=q("ach"))[1]["data"]

    assert answer[0] == 200 and other[0] == 403
    first, warrior = answer[1]["data"]["achievements"]
    assert (first["id"], first["done"], first["xp"]) == ("first_login", True, 15)
    assert warrior["done"] is False and warrior["conditions"][0]["current"] == 2  # the login streak
    assert balance["xp"] == 50 + 50 + 15
    done = [m for m in queued(aws) if m["payload"]["type"] == "achievement.completed"]
    assert len(done) == 1 and done[0]["payload"]["data"]["achievement_id"] == "first_login"
    assert done[0]["payload"]["data"]["account"] == "ach"
    entries = [i for i in aws.table_items() if i["type"] == "ledger_entry" and i["kind"] == "achievement"]
    assert len(entries) == 1 and entries[0]["xp"] == 15


def test_a_merge_keeps_the_later_streak_the_longest_run_and_every_award() -> None:
    from questline.campaigns.merges import _joined_state
    from questline.campaigns.participants import Participant

    def person(identity_id: str, streaks: dict[str, Any], achievements: dict[str, Any]) -> Participant:
        state = {**new_state(), "streaks": streaks, "achievements": achievements}
        return Participant("e", P, identity_id, state, 1, {"xp": 0, "ref_xp": 0, "ugc_xp": 0, "total": 0})

    survivor = person(
        "s",
        {"login": {"current": 2, "longest": 9, "last": "2026-12-01"}},
        {"week_warrior": {"c": {"0": 1.0}}},
    )
    loser = person(
        "l",
        {"login": {"current": 4, "longest": 4, "last": "2026-12-03"}},
        {"week_warrior": {"c": {}, "done": 1.0}, "first_login": {"c": {"0": 1.0}}},
    )
    joined = _joined_state(survivor, loser)
    assert joined["streaks"]["login"] == {"current": 4, "longest": 9, "last": "2026-12-03"}
    assert joined["achievements"]["week_warrior"]["done"] == 1.0  # awarded to one: never awarded again
    assert joined["achievements"]["first_login"] == {"c": {"0": 1.0}}


def test_an_event_only_an_achievement_counts_reaches_it_through_the_stream(
    aws: Aws, entity: dict[str, str]
) -> None:
    rule = {"all": [{"type": "events_count", "event": {"name": "boss_defeated"}, "target": 2}]}
    publish(aws, with_achievements({"id": "slayer", "name": "Slayer", "xp": 30, "rule": rule}))
    for n in range(3):
        event = {"account": "evt", "platform": "discord", "pid": P, "name": "boss_defeated", "id": f"b{n}"}
        assert call(aws, "POST", "/event", body=event)[0] == 200
    aws.pump_stream()
    for batch in list(aws.stream_batches):  # replayed: nothing more
        assert aws.invoke("StreamFunction", {"Records": batch}) == {"batchItemFailures": []}

    (slayer,) = call(aws, "GET", "/user/achievements", query=q("evt"))[1]["data"]["achievements"]
    assert slayer["done"] is True and slayer["conditions"][0]["current"] == 2  # (counting stops once done)
    assert call(aws, "GET", "/user/balance", query=q("evt"))[1]["data"]["xp"] == 30
