"""Local windows: a daily/weekly action with `window: "local"` counts once per calendar day / ISO week in
the person's timezone (their profile's, the campaign's by default), across DST changes and moves."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from questline.campaigns.definition import Campaign, check_campaign
from questline.campaigns.engine import apply_value, new_state
from questline.errors import BadRequest
from tests.unit.conftest import Aws
from tests.unit.test_claimr import call, design, q
from tests.unit.test_levels import publish


def local_campaign(recurrence: str = "daily", tz: str = "Europe/Berlin") -> Campaign:
    raw = design()
    raw["timezone"] = tz
    raw["actions"] = [
        {"id": "checkin", "name": "Check in", "type": "api_call", "recurrence": recurrence, "window": "local",
         "xp": 10}
    ]  # fmt: skip
    raw["quests"] = []
    raw["referral"] = {"min_points": 0, "tasks": []}
    return check_campaign(Campaign.model_validate(raw), "campaign_abc123")


def at(text: str, tz: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).timestamp()


def report(
    campaign: Campaign, state: dict[str, Any], now: float, tz: str | None = None
) -> tuple[dict[str, Any], int]:
    """One `api_call` report at `now` by a person in `tz` (None: no profile timezone); (state, credits)."""
    given = {**state, **({"_tz": tz} if tz else {})}
    outcome = apply_value(campaign, given, "checkin", 1, now)
    return {k: v for k, v in outcome.state.items() if not k.startswith("_")}, len(outcome.completions)


def test_local_windows_need_a_daily_or_weekly_recurrence_and_a_real_timezone() -> None:
    raw = design()
    raw["actions"][0].update({"recurrence": "8h", "window": "local"})
    with pytest.raises(BadRequest) as refused:
        check_campaign(Campaign.model_validate(raw), "campaign_abc123")
    assert refused.value.field == "actions.0.window"
    with pytest.raises(BadRequest) as zone:
        check_campaign(Campaign.model_validate({**design(), "timezone": "Mars/Olympus"}), "campaign_abc123")
    assert zone.value.field == "timezone"


def test_one_credit_per_local_day_not_per_24_hours() -> None:
    campaign = local_campaign()
    state, first = report(campaign, new_state(), at("2026-03-10T23:30", "Europe/Berlin"))
    state, again = report(campaign, state, at("2026-03-10T23:59", "Europe/Berlin"))
    state, after_midnight = report(campaign, state, at("2026-03-11T00:01", "Europe/Berlin"))  # 31 min later
    assert (first, again, after_midnight) == (1, 0, 1)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("2026-03-28T23:30", "2026-03-29T00:10"),  # the night clocks spring forward (a 23-hour day)
        ("2026-03-29T23:50", "2026-03-30T00:05"),  # the first midnight after it
        ("2026-10-25T00:30", "2026-10-25T23:59"),  # the 25-hour day clocks fall back: one credit only
        ("2026-10-24T23:59", "2026-10-25T00:00"),
    ],
)
def test_dst_changes_neither_double_credit_nor_lose_a_day(before: str, after: str) -> None:
    campaign = local_campaign()
    state, first = report(campaign, new_state(), at(before, "Europe/Berlin"))
    in_between = at(before, "Europe/Berlin") + 30
    state, same_day = report(campaign, state, in_between)
    state, then = report(campaign, state, at(after, "Europe/Berlin"))
    same = before[:10] == after[:10]
    assert (first, same_day, then) == (1, 0, 0 if same else 1)


def test_the_profile_timezone_wins_over_the_campaigns() -> None:
    campaign = local_campaign(tz="UTC")
    # 23:30 in Tokyo is 14:30 UTC: the next Tokyo day begins at 15:00 UTC, long before the next UTC day
    state, first = report(campaign, new_state(), at("2026-06-01T23:30", "Asia/Tokyo"), tz="Asia/Tokyo")
    state, next_tokyo_day = report(campaign, state, at("2026-06-02T00:30", "Asia/Tokyo"), tz="Asia/Tokyo")
    assert (first, next_tokyo_day) == (1, 1)
    assert state["actions"]["checkin"]["period"] == "2026-06-02"


def test_moving_west_never_credits_a_day_twice_and_moving_east_loses_none() -> None:
    campaign = local_campaign(tz="UTC")
    # Credited for 3 June in Tokyo at 23:00 there (14:00 UTC), then the person moves to New York, where
    # it is still 3 June (10:00): no second credit for 3 June, one as soon as 4 June begins there.
    state, tokyo = report(campaign, new_state(), at("2026-06-03T23:00", "Asia/Tokyo"), tz="Asia/Tokyo")
    ny = "America/New_York"
    state, same_date = report(campaign, state, at("2026-06-03T10:00", ny), tz=ny)
    state, late = report(campaign, state, at("2026-06-03T23:59", ny), tz=ny)
    state, next_date = report(campaign, state, at("2026-06-04T00:00", ny), tz=ny)
    assert (tokyo, same_date, late, next_date) == (1, 0, 0, 1)
    # Credited for 4 June in New York at 00:00 (04:00 UTC); moving east to Tokyo, where it is 4 June 13:00:
    # 4 June was credited; 5 June begins there at 15:00 UTC and counts, though under 24 hours have passed.
    state, tokyo_same = report(campaign, state, at("2026-06-04T13:00", "Asia/Tokyo"), tz="Asia/Tokyo")
    state, tokyo_next = report(campaign, state, at("2026-06-05T00:00", "Asia/Tokyo"), tz="Asia/Tokyo")
    assert (tokyo_same, tokyo_next) == (0, 1)


def test_local_weeks_start_on_monday() -> None:
    campaign = local_campaign("weekly")
    state, sunday = report(campaign, new_state(), at("2026-12-06T22:00", "Europe/Berlin"))  # a Sunday
    state, sunday_late = report(campaign, state, at("2026-12-06T23:59", "Europe/Berlin"))
    state, monday = report(campaign, state, at("2026-12-07T00:00", "Europe/Berlin"))
    state, sunday_after = report(campaign, state, at("2026-12-13T23:59", "Europe/Berlin"))
    assert (sunday, sunday_late, monday, sunday_after) == (1, 0, 1, 0)
    assert state["actions"]["checkin"]["period"] == "2026-W50"


def test_a_closed_local_window_says_when_the_next_local_day_begins() -> None:
    campaign = local_campaign()
    state, _ = report(campaign, new_state(), at("2026-03-28T12:00", "Europe/Berlin"))
    outcome = apply_value(campaign, state, "checkin", 1, at("2026-03-28T13:00", "Europe/Berlin"))
    assert outcome.skipped[0].reason == "window_not_open"
    assert outcome.skipped[0].next_available_at == at("2026-03-29T00:00", "Europe/Berlin")


def test_progress_follows_the_timezone_parcelvoy_identify_stored(
    aws: Aws, entity: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = [at("2026-12-03T02:00", "UTC")]  # 16:00 on 3 December in Kiritimati (UTC+14)
    monkeypatch.setattr("questline.clock.now", lambda: moment[0])
    raw = design()
    raw["timezone"] = "UTC"
    raw["actions"][0]["window"] = "local"  # daily_login, an api_call
    publish(aws, raw)
    body = {"account": "tz", "platform": "discord", "pid": "campaign_abc123", "cid": "campaign_abc123",
            "aid": "daily_login", "value": 1}  # fmt: skip
    assert call(aws, "POST", "/action/value", body=body)[0] == 200
    from questline.campaigns.claimr import find_user
    from questline.identity.profiles import update_profile

    user = find_user(aws.values["ENTITY_ID"], "tz", "discord", create=False)
    update_profile(aws.values["ENTITY_ID"], user.identity_id, fields={"timezone": "Pacific/Kiritimati"})

    progress = call(aws, "GET", "/user/progress", query=q("tz"))[1]["data"]
    login = next(a for a in progress["actions"] if a["id"] == "daily_login")
    assert progress["timezone"] == "Pacific/Kiritimati" and login["window"] == "local"
    assert login["done"] is True
    assert login["next_available_at"] == at("2026-12-04T00:00", "Pacific/Kiritimati")
    moment[0] = at(
        "2026-12-03T12:00", "UTC"
    )  # 02:00 on 4 December there: a new local day, still 3 Dec in UTC
    again = call(aws, "GET", "/user/progress", query=q("tz"))[1]["data"]
    assert next(a for a in again["actions"] if a["id"] == "daily_login")["done"] is False
    assert call(aws, "POST", "/action/value", body=body)[1]["data"]["completed"] == ["daily_login"]
    assert call(aws, "POST", "/action/value", body=body)[1]["data"]["completed"] == []  # once per local day
