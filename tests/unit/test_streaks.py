"""Streaks: definitions per campaign (actions or events extend one; local days or weeks; grace hours;
freezes granted every N periods and spent on missed ones), streak tasks, `GET /user/streak`, and the
`streak.*` webhooks (scope `progress`), once each however often a record is replayed."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from questline.campaigns.definition import Campaign, check_campaign
from questline.campaigns.engine import EventFacts, apply_event, apply_value, new_state, streaks_of
from questline.errors import BadRequest
from tests.unit.conftest import Aws
from tests.unit.test_claimr import call, design, q
from tests.unit.test_levels import publish
from tests.unit.test_webhooks import queued, register_hook

P = "campaign_abc123"
TZ = "Europe/Berlin"


def streaky(**streak: Any) -> dict[str, Any]:
    raw = design()
    raw["timezone"] = TZ
    raw["actions"][0]["window"] = "local"  # daily_login, an api_call, once per local day
    raw["actions"].append(
        {"id": "week_streak", "name": "7 days in a row", "type": "streak", "xp": 70,
         "meta": {"streak": "login", "target": 7}}
    )  # fmt: skip
    raw["streaks"] = [
        {"id": "login", "name": "Daily login", "period": "day", "actions": ["daily_login"],
         "events": [{"name": "app_open"}], **streak}
    ]  # fmt: skip
    return raw


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(TZ)).timestamp()


def login(campaign: Campaign, state: dict[str, Any], when: str) -> tuple[dict[str, Any], list[str]]:
    outcome = apply_value(campaign, state, "daily_login", 1, at(when))
    return outcome.state, [e.event for e in outcome.events] + [c.action_id for c in outcome.completions]


def parsed(**streak: Any) -> Campaign:
    return check_campaign(Campaign.model_validate(streaky(**streak)), P)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"actions": ["ghost"]}, "streaks.0.actions.0"),
        ({"actions": [], "events": []}, "streaks.0"),
        ({"actions": ["week_streak"]}, "streaks.0.actions"),
    ],
)
def test_streak_definitions_are_checked(change: dict[str, Any], field: str) -> None:
    with pytest.raises(BadRequest) as refused:
        parsed(**change)
    assert refused.value.field == field


def test_a_streak_task_names_a_known_streak() -> None:
    raw = streaky()
    raw["actions"][-1]["meta"]["streak"] = "nope"
    with pytest.raises(BadRequest) as refused:
        check_campaign(Campaign.model_validate(raw), P)
    assert refused.value.field == "actions.6.meta.streak"


def test_consecutive_local_days_extend_and_the_streak_task_completes_at_seven() -> None:
    campaign = parsed()
    state = new_state()
    fired: list[list[str]] = []
    for day in range(1, 8):
        state, events = login(campaign, state, f"2026-12-{day:02d}T23:00")
        fired.append(events)
    assert fired[0] == ["streak.extended", "daily_login"]
    assert fired[6] == ["streak.extended", "daily_login", "week_streak"]
    (login_streak,) = streaks_of(campaign, state, at("2026-12-07T23:30"))
    assert (login_streak["current"], login_streak["longest"], login_streak["lost"]) == (7, 7, False)
    assert login_streak["at_risk_at"] == at("2026-12-08T00:00")
    assert login_streak["expires_at"] == at("2026-12-09T00:00")  # no freezes: lost once 8 Dec is over


def test_a_missed_day_loses_the_streak_on_read_and_the_next_activity_says_so() -> None:
    campaign = parsed()
    state, _ = login(campaign, new_state(), "2026-12-01T10:00")
    state, _ = login(campaign, state, "2026-12-02T10:00")
    (read,) = streaks_of(campaign, state, at("2026-12-04T00:01"))
    state, events = login(campaign, state, "2026-12-04T09:00")
    assert (read["current"], read["lost"], read["longest"]) == (0, True, 2)
    assert events == ["streak.lost", "streak.extended", "daily_login"]
    assert state["streaks"]["login"]["current"] == 1 and state["streaks"]["login"]["longest"] == 2


def test_freezes_are_granted_every_n_days_and_spent_on_a_missed_day() -> None:
    campaign = parsed(freeze_every=3, max_freezes=1)
    state = new_state()
    for day in (1, 2, 3, 4, 5, 6):  # two grants, but one freeze held at most
        state, _ = login(campaign, state, f"2026-12-{day:02d}T12:00")
    assert state["streaks"]["login"]["freezes"] == 1
    (read,) = streaks_of(campaign, state, at("2026-12-08T08:00"))  # 7 Dec missed: the freeze covers it
    state, events = login(campaign, state, "2026-12-08T08:00")
    assert (read["current"], read["freezes"], read["frozen_periods"]) == (6, 0, 1)
    assert events == ["streak.frozen", "streak.extended", "daily_login", "week_streak"]  # 7 days, one frozen
    assert state["streaks"]["login"]["current"] == 7 and state["streaks"]["login"]["freezes"] == 0


def test_grace_hours_let_early_activity_count_for_the_missed_day_before() -> None:
    campaign = parsed(grace_hours=2)
    state, _ = login(campaign, new_state(), "2026-12-01T20:00")
    # 01:30 on 3 December: within the two grace hours, so it counts for 2 December (the streak goes on)
    outcome = apply_event(campaign, state, EventFacts("log-1", "app_open", None, {}), at("2026-12-03T01:30"))
    assert outcome.state["streaks"]["login"]["current"] == 2
    assert outcome.state["streaks"]["login"]["last"] == "2026-12-02"
    later, events = login(campaign, outcome.state, "2026-12-03T18:00")  # and 3 December counts on its own
    assert later["streaks"]["login"]["current"] == 3 and events[0] == "streak.extended"


def test_a_replayed_event_extends_nothing_more() -> None:
    campaign = parsed()
    facts = EventFacts("log-1", "app_open", None, {})
    once = apply_event(campaign, new_state(), facts, at("2026-12-01T10:00"))
    again = apply_event(campaign, once.state, facts, at("2026-12-02T10:00"))
    assert once.state["streaks"]["login"]["current"] == 1 and [e.event for e in once.events] == [
        "streak.extended"
    ]
    assert again.changed is False and again.events == () and again.state == once.state


def test_the_streak_route_webhooks_and_replays(
    aws: Aws, entity: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = [at("2026-12-01T12:00")]
    monkeypatch.setattr("questline.clock.now", lambda: moment[0])
    register_hook(aws.values["ENTITY_ID"], "https://93.184.216.34/p", scope="progress", hook_id="prog")
    publish(aws, streaky())
    body = {"account": "str", "platform": "discord", "pid": P, "cid": P, "aid": "daily_login", "value": 1}
    for day in ("2026-12-01T12:00", "2026-12-02T12:00"):
        moment[0] = at(day)
        assert call(aws, "POST", "/action/value", body=body)[0] == 200
    aws.pump_stream()
    for batch in list(aws.stream_batches):
        assert aws.invoke("StreamFunction", {"Records": batch}) == {"batchItemFailures": []}

    token = call(aws, "GET", "/token", query="account=str&platform=discord")[1]["data"]["token"]
    moment[0] = at("2026-12-02T20:00")
    answer = call(aws, "GET", "/user/streak", key=token, query=f"pid={P}")
    someone_else = call(aws, "GET", "/user/streak", key=token, query=q("other"))
    moment[0] = at("2026-12-04T08:00")
    lost = call(aws, "GET", "/user/streak", query=q("str"))[1]["data"]["streaks"][0]

    assert answer[0] == 200 and someone_else[0] == 403
    (streak,) = answer[1]["data"]["streaks"]
    assert (streak["id"], streak["current"], streak["longest"], streak["freezes"]) == ("login", 2, 2, 0)
    assert streak["at_risk_at"] == at("2026-12-03T00:00") and answer[1]["data"]["timezone"] == TZ
    assert (lost["current"], lost["lost"]) == (0, True)
    hooks = sorted(
        (m["payload"]["type"], m["payload"]["data"]["current"])
        for m in queued(aws)
        if m["scope"] == "progress"
    )
    assert hooks == [("streak.extended", 1), ("streak.extended", 2)]  # once each, replays included
    extended = next(m for m in queued(aws) if m["scope"] == "progress")["payload"]["data"]
    assert extended["account"] == "str" and extended["streak_id"] == "login"
    stored = [i for i in aws.table_items() if i["type"] == "progress_event"]
    assert len(stored) == 2


def sweep_event() -> dict[str, Any]:
    return {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}


def test_the_scheduled_sweep_tells_a_lost_streak_once_and_bounded_per_run(
    aws: Aws, entity: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from questline.campaigns import streak_sweep

    moment = [at("2026-12-01T12:00")]
    monkeypatch.setattr("questline.clock.now", lambda: moment[0])
    monkeypatch.setattr(streak_sweep, "MAX_ITEMS", 1)
    publish(aws, streaky())
    assert aws.invoke("StreamFunction", sweep_event())["read"] == 0  # the first run starts the cursor
    for account in ("ann", "bob"):
        body = {
            "account": account,
            "platform": "discord",
            "pid": P,
            "cid": P,
            "aid": "daily_login",
            "value": 1,
        }
        assert call(aws, "POST", "/action/value", body=body)[0] == 200
    dues = [i for i in aws.table_items() if i["type"] == "streak_due"]
    assert len(dues) == 2 and {d["expires_at"] for d in dues} == {int(at("2026-12-03T00:00"))}

    moment[0] = at("2026-12-02T23:00")  # not expired yet: nothing read
    assert aws.invoke("StreamFunction", sweep_event())["lost"] == 0
    moment[0] = at("2026-12-03T02:00")
    first = aws.invoke("StreamFunction", sweep_event())
    second = aws.invoke("StreamFunction", sweep_event())
    third = aws.invoke("StreamFunction", sweep_event())
    body = {"account": "ann", "platform": "discord", "pid": P, "cid": P, "aid": "daily_login", "value": 1}
    assert call(aws, "POST", "/action/value", body=body)[0] == 200  # ann starts again: no second loss

    assert (first["read"], first["lost"], second["lost"], third["lost"]) == (1, 1, 1, 0)
    lost = [i for i in aws.table_items() if i["type"] == "progress_event" and i["event"] == "streak.lost"]
    assert sorted(i["account"] for i in lost) == ["ann", "bob"]
    assert {(i["lost"], i["last_period"]) for i in lost} == {(1, "2026-12-01")}
    bob = call(aws, "GET", "/user/streak", query=q("bob"))[1]["data"]["streaks"][0]
    ann = call(aws, "GET", "/user/streak", query=q("ann"))[1]["data"]["streaks"][0]
    assert (bob["current"], bob["lost"], bob["longest"]) == (0, True, 1)
    assert (ann["current"], ann["lost"]) == (1, False)
