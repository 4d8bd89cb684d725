"""The task engine, as pure functions of (campaign, participant state, input, time) -> outcome.

A participant's state in one campaign is one JSON-like dict, persisted as one item with a version (the
store applies an outcome with an optimistic check on that version, together with the completions and
XP it earns, in one transaction):

    {"v": 3,
     "actions": {"three_levels": {"n": 0, "last": null, "count": 2, "value": 0, "logs": ["<log id>", …]},
                 "daily_login": {"n": 1, "last": 1795330800.0, "count": 0, "value": 0, "logs": [],
                                 "final_count": 1, "final_value": 0}},   # what completed the last window
     "quests": {"quest_xyz789": 1795330800.0},
     "applied": ["<log id>", …],          # recent event logs already applied (replays change nothing)
     "referrer": "<identity id>", "referral_valid": false, "valid_referrals": 0}

Per action, `n` counts completions so far; the current window is the `n`th. Recurrence: `once` (one
window), `multiple` (a new window after each completion), `8h`/`daily`/`weekly` (rolling: the next window
opens that long after the last completion; events in between do not count). `deps` lock an action until
each dependency has been completed at least once. A quest completes once, when every non-optional action
in it has been completed, and earns its bonus.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from questline.campaigns import localtime
from questline.campaigns.definition import (
    MAX_BOOST,
    RECURRENCE_SECONDS,
    Action,
    Campaign,
    Condition,
    Rule,
    Streak,
)
from questline.errors import BadRequest, NotFound, RuleViolation

# Read with the state but never stored with it (participants.read puts them there): the person's XP total
# (levels) and their profile's timezone (local windows).
XP_KEY = "_xp"
TZ_KEY = "_tz"
BOOSTS_KEY = "boosts"  # stored with the state: the boosts granted to this person (`personal_boosts`)

MAX_APPLIED = 500  # log ids remembered per participant: a replay inside this many events changes nothing
MAX_WINDOW_LOGS = 2000  # log ids remembered per action window


class EventFacts(NamedTuple):
    log_id: str
    name: str
    category: str | None
    data: Mapping[str, Any]


class Completion(NamedTuple):
    action_id: str
    window: int
    xp: int  # with the boosts active when it completed
    ref_xp: int
    boost: float = 1.0  # the multiplier of those boosts


class QuestDone(NamedTuple):
    quest_id: str
    xp: int


class Skipped(NamedTuple):
    """An action a report did not count, and why: `done` (a `once` action finished), `window_not_open`
    (a recurring action done in its current window; `next_available_at` says when the next opens) or
    `locked` (a dependency is not done yet)."""

    action_id: str
    reason: str
    next_available_at: float | None = None


class Outcome(NamedTuple):
    state: dict[str, Any]
    completions: list[Completion]
    quests: list[QuestDone]
    changed: bool
    skipped: tuple[Skipped, ...] = ()
    events: tuple[Any, ...] = ()  # ProgressEvent: the `progress` webhooks the change fires


def new_state() -> dict[str, Any]:
    return {"v": 0, "actions": {}, "quests": {}, "applied": []}


def _action_state(state: dict[str, Any], action_id: str) -> dict[str, Any]:
    states: dict[str, Any] = state.setdefault("actions", {})
    found: dict[str, Any] = states.setdefault(
        action_id, {"n": 0, "last": None, "count": 0, "value": 0, "logs": []}
    )
    return found


def completions_of(state: Mapping[str, Any], action_id: str) -> int:
    return int(state.get("actions", {}).get(action_id, {}).get("n", 0))


def zone_of(campaign: Campaign, state: Mapping[str, Any]) -> ZoneInfo:
    """The person's timezone (their profile's), the campaign's by default."""
    return localtime.zone(state.get(TZ_KEY), campaign.timezone)


def boost_for(campaign: Campaign, state: Mapping[str, Any], action_id: str, at: float) -> float:
    """The multiplier on what this person's completion of the action earns at `at`: the campaign's boosts
    active then times the person's own (`personal_boosts`), together up to `MAX_BOOST`."""
    product = campaign.boost_of(action_id, at)
    for boost in (state.get(BOOSTS_KEY) or {}).values():
        actions = boost.get("actions") or ()
        started, ended = float(boost["starts_at"]) <= at, at >= float(boost["ends_at"])
        if started and not ended and (not actions or action_id in actions):
            product *= float(boost["multiplier"])
    return min(product, MAX_BOOST)


def xp_of(state: Mapping[str, Any]) -> int:
    return int(state.get(XP_KEY, 0) or 0)


def _local(action: Action) -> bool:
    return action.window == "local" and action.recurrence in ("daily", "weekly")


def _last_period(action: Action, action_state: Mapping[str, Any], tz: ZoneInfo) -> str | None:
    """The local period the last completion counted for (taken when it completed; for a completion made
    while the action had a rolling window, its time's period in `tz`)."""
    if action_state.get("period"):
        return str(action_state["period"])
    last = action_state.get("last")
    return localtime.period_key(action.recurrence, float(last), tz) if last is not None else None


def available(
    action: Action, action_state: Mapping[str, Any], now: float, tz: ZoneInfo | None = None
) -> bool:
    """Whether the action's current window is open. A local window is open once per local period: when
    the period `now` falls in (in the person's timezone now) is later than the one last credited."""
    done = int(action_state.get("n", 0))
    if action.recurrence == "once":
        return done == 0
    if action.recurrence == "multiple":
        return True
    last = action_state.get("last")
    if last is None:
        return True
    if _local(action):
        zone = tz or localtime.zone()
        credited = _last_period(action, action_state, zone)
        return credited is None or localtime.period_key(action.recurrence, now, zone) > credited
    return now >= float(last) + RECURRENCE_SECONDS[action.recurrence]


def level_of(campaign: Campaign, xp: int) -> dict[str, Any] | None:
    """The person's level for `xp` (None when the campaign has no levels): its name (None below the
    first), the next level and the XP still missing, and the progress from one to the next (0 to 1)."""
    levels = campaign.levels
    if not levels:
        return None
    index = max((i for i, level in enumerate(levels) if level.min_xp <= xp), default=-1)
    current = levels[index] if index >= 0 else None
    following = levels[index + 1] if index + 1 < len(levels) else None
    floor = current.min_xp if current else 0
    span = (following.min_xp - floor) if following else 0
    return {
        "name": current.name if current else None,
        "index": index if current else None,
        "min_xp": current.min_xp if current else None,
        "xp": xp,
        "next": following.name if following else None,
        "next_min_xp": following.min_xp if following else None,
        "xp_to_next": following.min_xp - xp if following else None,
        "progress": round(min(1.0, max(0.0, (xp - floor) / span)), 4) if span else 1.0,
    }


def level_name(campaign: Campaign, xp: int) -> str | None:
    found = level_of(campaign, xp)
    return found["name"] if found else None


def dep_done(campaign: Campaign | None, state: Mapping[str, Any], dep: str) -> bool:
    level = campaign.level(dep) if campaign is not None else None
    if level is not None:
        return xp_of(state) >= level.min_xp
    return completions_of(state, dep) > 0


def unlocked(action: Action, state: Mapping[str, Any], campaign: Campaign | None = None) -> bool:
    """Every dependency done: each action completed once, each level reached."""
    return all(dep_done(campaign, state, dep) for dep in action.deps)


def next_window_at(
    action: Action, action_state: Mapping[str, Any], tz: ZoneInfo | None = None
) -> float | None:
    last = action_state.get("last")
    if last is None or action.recurrence not in RECURRENCE_SECONDS:
        return None
    if _local(action):
        zone = tz or localtime.zone()
        credited = _last_period(action, action_state, zone)
        return localtime.next_period_start(action.recurrence, credited, zone) if credited else None
    return float(last) + RECURRENCE_SECONDS[action.recurrence]


def closed(action: Action, action_state: Mapping[str, Any], tz: ZoneInfo | None = None) -> Skipped:
    """Why an action whose window is not open did not count a report."""
    if action.recurrence == "once":
        return Skipped(action.id, "done")
    return Skipped(action.id, "window_not_open", next_window_at(action, action_state, tz))


def _complete(
    campaign: Campaign, state: dict[str, Any], action: Action, now: float, outcome: list[Completion]
) -> None:
    current = _action_state(state, action.id)
    boost = boost_for(campaign, state, action.id, now)
    award = action.award(boost)
    outcome.append(Completion(action.id, int(current["n"]), award, action.ref_xp, boost))
    # The window just completed keeps what completed it, so progress can show it beside `done`.
    finished = {
        "final_count": 1 if action.type == "api_call" else current["count"],
        "final_value": current["value"],
    }
    if _local(action):  # the local period this completion counts for, in the person's timezone now
        finished["period"] = localtime.period_key(action.recurrence, now, zone_of(campaign, state))
    current.update({"n": int(current["n"]) + 1, "last": now, "count": 0, "value": 0, "logs": [], **finished})
    state[XP_KEY] = xp_of(state) + award


def _quests(campaign: Campaign, state: dict[str, Any], now: float) -> list[QuestDone]:
    done = []
    finished: dict[str, Any] = state.setdefault("quests", {})
    for quest in campaign.quests:
        if quest.id in finished:
            continue
        required = [
            a for a in (campaign.action(i) for i in quest.actions) if a is not None and not a.is_optional
        ]
        if required and all(completions_of(state, a.id) > 0 for a in required):
            finished[quest.id] = now
            done.append(QuestDone(quest.id, quest.xp))
            state[XP_KEY] = xp_of(state) + quest.xp
    return done


def _matches(action: Action, event: EventFacts) -> bool:
    wanted = action.event
    if wanted is None or wanted.name != event.name:
        return False
    return wanted.category is None or wanted.category == event.category


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def apply_event(campaign: Campaign, state: Mapping[str, Any], event: EventFacts, now: float) -> Outcome:
    """An event log against the campaign's events_count and events_value actions."""
    if event.log_id in state.get("applied", []):
        return Outcome(dict(state), [], [], changed=False)
    new = copy.deepcopy(dict(state))
    tz = zone_of(campaign, new)
    completions: list[Completion] = []
    for action in campaign.actions:
        if action.type not in ("events_count", "events_value") or not _matches(action, event):
            continue
        current = _action_state(new, action.id)
        if (
            not available(action, current, now, tz)
            or not unlocked(action, new, campaign)
            or event.log_id in current["logs"]
        ):
            continue
        if action.type == "events_count":
            current["count"] = int(current["count"]) + 1
            progress = float(current["count"])
        else:
            amount = _number(event.data.get(str(action.meta.get("field"))))
            if amount is None:
                continue
            current["value"] = float(current["value"]) + amount
            progress = float(current["value"])
        current["logs"] = [*current["logs"], event.log_id][-MAX_WINDOW_LOGS:]
        if progress >= action.target:
            _complete(campaign, new, action, now, completions)
    new["applied"] = [*new.get("applied", []), event.log_id][-MAX_APPLIED:]
    return _finish(campaign, new, now, completions, changed=True, event=event)


def value_action(campaign: Campaign, action_id: str) -> Action:
    """The action `/action/value` names, or a 404/400 naming `aid`."""
    action = campaign.action(action_id)
    if action is None:
        raise NotFound(f"the campaign has no action {action_id!r}", field="aid")
    if action.type not in ("number_value", "api_call"):
        raise BadRequest(
            f"action {action_id!r} is a {action.type} task; /action/value sets number_value and api_call",
            field="aid",
        )
    return action


def stream_actions(campaign: Campaign, stream: str) -> list[Action]:
    """The actions bound to `stream`, or a 404 naming `stream` when there are none."""
    bound = [a for a in campaign.actions if a.type == "stream_value" and a.meta.get("stream") == stream]
    if not bound:
        raise NotFound(f"no task of the campaign is bound to stream {stream!r}", field="stream")
    return bound


def apply_value(
    campaign: Campaign, state: Mapping[str, Any], action_id: str, value: float, now: float
) -> Outcome:
    """`/action/value`: set a number_value action's value (done at its target), or report an api_call
    action done."""
    action = value_action(campaign, action_id)
    new = copy.deepcopy(dict(state))
    current = _action_state(new, action.id)
    tz = zone_of(campaign, new)
    if not available(action, current, now, tz):  # done for this window: reporting again changes nothing
        return Outcome(new, [], [], changed=False, skipped=(closed(action, current, tz),))
    _require_unlocked(campaign, action, new)
    completions: list[Completion] = []
    if action.type == "number_value":
        current["value"] = value
        if value >= action.target:
            _complete(campaign, new, action, now, completions)
    else:
        _complete(campaign, new, action, now, completions)
    return _finish(campaign, new, now, completions, changed=True)


def apply_stream(
    campaign: Campaign, state: Mapping[str, Any], stream: str, value: float, now: float
) -> Outcome:
    """`/stream/value`: add `value` to every open stream_value action bound to `stream`."""
    bound = stream_actions(campaign, stream)
    new = copy.deepcopy(dict(state))
    completions: list[Completion] = []
    skipped: list[Skipped] = []
    tz = zone_of(campaign, new)
    for action in bound:
        current = _action_state(new, action.id)
        if not available(action, current, now, tz):
            skipped.append(closed(action, current, tz))
            continue
        if not unlocked(action, new, campaign):
            skipped.append(Skipped(action.id, "locked"))
            continue
        current["value"] = float(current["value"]) + value
        if float(current["value"]) >= action.target:
            _complete(campaign, new, action, now, completions)
    counted = len(skipped) < len(bound)
    return _finish(campaign, new, now, completions, changed=counted, skipped=tuple(skipped))


def apply_referrals(campaign: Campaign, state: Mapping[str, Any], now: float) -> Outcome:
    """A referrer's referral actions, against their count of valid referrals (`valid_referrals`)."""
    new = copy.deepcopy(dict(state))
    completions: list[Completion] = []
    count = int(new.get("valid_referrals", 0))
    tz = zone_of(campaign, new)
    for action in campaign.actions:
        if action.type != "referral":
            continue
        current = _action_state(new, action.id)
        if (
            available(action, current, now, tz)
            and unlocked(action, new, campaign)
            and count >= action.target * (int(current["n"]) + 1)
        ):
            _complete(campaign, new, action, now, completions)
    return _finish(campaign, new, now, completions, changed=bool(completions))


def referral_becomes_valid(campaign: Campaign, state: Mapping[str, Any], total_points: float) -> bool:
    """A referral counts once the referee reaches the minimum points and has completed one of the
    referral tasks (any completion, when the campaign names none)."""
    if not state.get("referrer") or state.get("referral_valid") or state.get("referral_rejected"):
        return False  # a rejected referral (`questline.campaigns.referrals`) never becomes valid, never pays
    if total_points < campaign.referral.min_points:
        return False
    tasks = campaign.referral.tasks
    if not tasks:
        return any(int(s.get("n", 0)) > 0 for s in state.get("actions", {}).values())
    return any(completions_of(state, task) > 0 for task in tasks)


def _require_unlocked(campaign: Campaign, action: Action, state: Mapping[str, Any]) -> None:
    missing = [dep for dep in action.deps if not dep_done(campaign, state, dep)]
    if missing:
        named = ", ".join(f"level {d}" if campaign.level(d) else d for d in missing)
        raise RuleViolation(f"action {action.id!r} is locked until {named} is done", field="aid")


# --- streaks -------------------------------------------------------------------------------------------
#
# A streak's state, in the participant state's `streaks`:
#     {"current": 4, "longest": 9, "last": "2026-12-03", "start": "2026-11-30", "freezes": 1, "earned": 2}
# `last` is the latest period (local day `YYYY-MM-DD` or ISO week `YYYY-Www`, in the person's timezone) with
# activity; `start` the first of the current run; `earned` the extended periods since the last freeze grant.


class ProgressEvent(NamedTuple):
    """A `progress` webhook event an outcome fires (one activity item, unique by `ref` per participant)."""

    event: str  # streak.extended, streak.frozen, streak.lost, achievement.completed
    ref: str
    data: dict[str, Any]


def _period_of(streak: Streak) -> str:
    return "daily" if streak.period == "day" else "weekly"


def _credited_period(streak: Streak, last: str | None, now: float, tz: ZoneInfo) -> str:
    """The period activity at `now` counts for: the current one, or, within `grace_hours` of its start, the
    one before it when that one is still missing."""
    period = _period_of(streak)
    current = localtime.period_key(period, now, tz)
    if streak.grace_hours and last is not None:
        earlier = localtime.period_key(period, now - streak.grace_hours * 3600, tz)
        if last < earlier < current:
            return earlier
    return current


def streak_status(streak: Streak, st: Mapping[str, Any] | None, now: float, tz: ZoneInfo) -> dict[str, Any]:
    """A streak as it stands at `now`, without activity now: freezes the missed periods would spend, and
    whether it is lost (more periods missed than freezes held)."""
    period = _period_of(streak)
    st = st or {}
    last = st.get("last")
    current, freezes = int(st.get("current", 0)), int(st.get("freezes", 0))
    view: dict[str, Any] = {
        "id": streak.id,
        "name": streak.name,
        "period": streak.period,
        "current": current,
        "longest": int(st.get("longest", 0)),
        "freezes": freezes,
        "last_period": last,
        "at_risk_at": None,
        "expires_at": None,
        "lost": False,
    }
    if not last or not current:
        return {**view, "current": 0, "lost": bool(last)}  # (lost, and not started again since)
    # the latest period activity now could still count for (grace included), and the periods missed before it
    reachable = _credited_period(streak, str(last), now, tz)
    missed = max(0, localtime.periods_between(period, str(last), reachable) - 1)
    if missed > freezes:
        return {**view, "current": 0, "lost": True}
    view["freezes"] = freezes - missed
    view["frozen_periods"] = missed
    # without activity, the streak needs the period after `last` (plus the freezes still held) by then
    grace = streak.grace_hours * 3600
    needed_by = localtime.shift(period, str(last), 1 + freezes)
    view["at_risk_at"] = localtime.next_period_start(period, str(last), tz)
    view["expires_at"] = localtime.next_period_start(period, needed_by, tz) + grace
    return view


def _extend(
    streak: Streak, st: dict[str, Any], now: float, tz: ZoneInfo, who: Mapping[str, Any]
) -> list[ProgressEvent]:
    """Activity at `now` for one streak: extend it (spending freezes on missed periods), or start it again
    when it was lost. Returns the events this fires (nothing when the period was counted already)."""
    period = _period_of(streak)
    last = st.get("last")
    credited = _credited_period(streak, str(last) if last else None, now, tz)
    if last is not None and credited <= str(last):
        return []
    events: list[ProgressEvent] = []
    current, freezes = int(st.get("current", 0)), int(st.get("freezes", 0))
    missed = localtime.periods_between(period, str(last), credited) - 1 if last and current else 0
    if missed and missed <= freezes:
        freezes -= missed
        events.append(
            ProgressEvent(
                "streak.frozen",
                f"{streak.id}#frozen#{credited}",
                {
                    **who,
                    "streak_id": streak.id,
                    "frozen_periods": missed,
                    "freezes": freezes,
                    "current": current,
                },
            )
        )
    elif missed or (last and not current):
        if current:
            events.append(
                ProgressEvent(
                    "streak.lost",
                    f"{streak.id}#lost#{last}",
                    {**who, "streak_id": streak.id, "lost": current, "last_period": last},
                )
            )
        current, freezes, st["earned"], st["start"] = 0, 0, 0, credited
    if not current:
        st["start"] = credited
    current += 1
    earned = int(st.get("earned", 0)) + 1
    if streak.freeze_every and earned >= streak.freeze_every:
        earned = 0
        freezes = min(streak.max_freezes, freezes + 1)
    st.update(
        current=current, longest=max(current, int(st.get("longest", 0))), last=credited, freezes=freezes,
        earned=earned,
    )  # fmt: skip
    expires_at = streak_status(streak, st, now, tz)["expires_at"]
    events.append(
        ProgressEvent(
            "streak.extended",
            f"{streak.id}#extended#{credited}",
            {
                **who,
                "streak_id": streak.id,
                "current": current,
                "longest": st["longest"],
                "period": credited,
                "expires_at": expires_at,
            },
        )
    )
    return events


def lose_streak(
    campaign: Campaign, state: Mapping[str, Any], streak: Streak, last: str, now: float
) -> Outcome:
    """The sweep's part: a streak last extended in `last` and not extended since, lost by `now` (more
    periods missed than its freezes cover) is recorded lost, with the `streak.lost` event the activity
    path would fire for it (the same `ref`, so it is told once whichever path sees it first)."""
    st = (state.get("streaks") or {}).get(streak.id) or {}
    if st.get("last") != last or not int(st.get("current", 0)):
        return Outcome(dict(state), [], [], changed=False)  # extended since, or lost already
    if not streak_status(streak, st, now, zone_of(campaign, state))["lost"]:
        return Outcome(dict(state), [], [], changed=False)  # (the person moved west: not yet)
    new = copy.deepcopy(dict(state))
    lost = int(st["current"])
    new["streaks"][streak.id].update(current=0, freezes=0, earned=0)
    event = ProgressEvent(
        "streak.lost",
        f"{streak.id}#lost#{last}",
        {"period_kind": streak.period, "streak_id": streak.id, "lost": lost, "last_period": last},
    )
    return Outcome(new, [], [], changed=True, events=(event,))


def _streak_extenders(
    campaign: Campaign, completions: list[Completion], event: EventFacts | None
) -> list[Streak]:
    done = {c.action_id for c in completions}
    moved = []
    for streak in campaign.streaks:
        by_action = any(a in done for a in streak.actions)
        by_event = event is not None and any(
            m.name == event.name and (m.category is None or m.category == event.category)
            for m in streak.events
        )
        if by_action or by_event:
            moved.append(streak)
    return moved


def _streaks(
    campaign: Campaign,
    state: dict[str, Any],
    now: float,
    completions: list[Completion],
    event: EventFacts | None = None,
) -> list[ProgressEvent]:
    """Extend the streaks this change's completions or event extend, then complete the streak tasks they
    reach (once per run of a streak: a streak task completes again only in a new run)."""
    if not campaign.streaks:
        return []
    tz = zone_of(campaign, state)
    events: list[ProgressEvent] = []
    states: dict[str, Any] = state.setdefault("streaks", {})
    for streak in _streak_extenders(campaign, completions, event):
        st = states.setdefault(streak.id, {})
        events += _extend(streak, st, now, tz, {"period_kind": streak.period})
    for action in campaign.actions:
        if action.type != "streak":
            continue
        st = states.get(str(action.meta.get("streak"))) or {}
        current = _action_state(state, action.id)
        current["count"] = int(st.get("current", 0))
        if (
            st.get("current")
            and current.get("run") != st.get("start")
            and int(st["current"]) >= action.target
            and available(action, current, now, tz)
            and unlocked(action, state, campaign)
        ):
            _complete(campaign, state, action, now, completions)
            current["run"] = st.get("start")
    return events


def streaks_of(campaign: Campaign, state: Mapping[str, Any], now: float) -> list[dict[str, Any]]:
    tz = zone_of(campaign, state)
    states = state.get("streaks") or {}
    return [streak_status(s, states.get(s.id), now, tz) for s in campaign.streaks]


# --- achievements --------------------------------------------------------------------------------------
#
# In the participant state's `achievements`: {"<id>": {"done": <epoch or absent>, "c": {"<path>": total}}}
# where a condition's path is its position in the rule ("0", "1.0", …) and its total a running number, or,
# with `within_days`, a list of [epoch, amount] (the newest `MAX_SPAN_ENTRIES`, older than the span dropped).

MAX_SPAN_ENTRIES = 200


def _condition_amount(
    condition: Condition, completions: list[Completion], quests: list[QuestDone], event: EventFacts | None
) -> float:
    """What this change adds to a counted condition."""
    kind = condition.type
    if kind in ("events_count", "events_value"):
        wanted = condition.event
        matched = (
            event is not None
            and wanted is not None
            and wanted.name == event.name
            and (wanted.category is None or wanted.category == event.category)
        )
        if not matched or event is None:
            return 0
        return 1 if kind == "events_count" else _number(event.data.get(str(condition.field))) or 0
    if kind == "completions":
        return sum(1 for c in completions if not condition.actions or c.action_id in condition.actions)
    if kind == "quests":
        return sum(1 for q in quests if not condition.quests or q.quest_id in condition.quests)
    return 0


def _measure(
    campaign: Campaign, state: Mapping[str, Any], condition: Condition, counted: Any, now: float
) -> float:
    if condition.type == "streak":
        return float(((state.get("streaks") or {}).get(str(condition.streak)) or {}).get("current", 0))
    if condition.type == "level":
        level = campaign.level(str(condition.level))
        return 1.0 if level is not None and xp_of(state) >= level.min_xp else 0.0
    if condition.within_days:
        since = now - condition.within_days * 86400
        return float(sum(amount for at, amount in counted or [] if at >= since))
    return float(counted or 0)


def conditions_of(rule: Rule, path: str = "") -> list[tuple[str, Condition]]:
    """Every condition of a rule, with its path."""
    return _walk(rule, path)


def _walk(rule: Rule, path: str = "") -> list[tuple[str, Condition]]:
    found: list[tuple[str, Condition]] = []
    for index, part in enumerate(rule.parts):
        at = f"{path}{index}"
        found += _walk(part, f"{at}.") if isinstance(part, Rule) else [(at, part)]
    return found


def _evaluate(
    campaign: Campaign,
    state: Mapping[str, Any],
    rule: Rule,
    counts: Mapping[str, Any],
    now: float,
    path: str = "",
) -> tuple[bool, float, list[dict[str, Any]]]:
    """(met, progress 0..1, each condition's {path, type, current, target})."""
    results = []
    shown: list[dict[str, Any]] = []
    for index, part in enumerate(rule.parts):
        at = f"{path}{index}"
        if isinstance(part, Rule):
            met, progress, inner = _evaluate(campaign, state, part, counts, now, f"{at}.")
            shown += inner
        else:
            current = _measure(campaign, state, part, counts.get(at), now)
            target = 1.0 if part.type == "level" else part.target
            met, progress = current >= target, min(1.0, current / target)
            shown.append({"path": at, "type": part.type, "current": current, "target": target, "met": met})
        results.append((met, progress))
    if rule.all is not None:
        return all(m for m, _ in results), sum(p for _, p in results) / len(results), shown
    return any(m for m, _ in results), max(p for _, p in results), shown


def _achievements(
    campaign: Campaign,
    state: dict[str, Any],
    now: float,
    completions: list[Completion],
    quests: list[QuestDone],
    event: EventFacts | None,
) -> list[ProgressEvent]:
    """Count this change into the open achievements' conditions, and award those whose rule is met (once
    each: a done achievement is never evaluated again)."""
    if not campaign.achievements:
        return []
    events: list[ProgressEvent] = []
    states: dict[str, Any] = state.setdefault("achievements", {})
    for achievement in campaign.achievements:
        st = states.get(achievement.id) or {}
        if st.get("done"):
            continue
        counts: dict[str, Any] = dict(st.get("c") or {})
        for path, condition in _walk(achievement.rule):
            amount = _condition_amount(condition, completions, quests, event)
            if not amount:
                continue
            if condition.within_days:
                since = now - condition.within_days * 86400
                kept = [e for e in counts.get(path) or [] if e[0] >= since]
                counts[path] = [*kept, [now, amount]][-MAX_SPAN_ENTRIES:]
            else:
                counts[path] = float(counts.get(path) or 0) + amount
        met, _, _ = _evaluate(campaign, state, achievement.rule, counts, now)
        if counts or met:
            states[achievement.id] = {**st, "c": counts, **({"done": now} if met else {})}
        if met:
            state[XP_KEY] = xp_of(state) + achievement.xp
            events.append(
                ProgressEvent(
                    "achievement.completed",
                    f"achievement#{achievement.id}",
                    {"achievement_id": achievement.id, "name": achievement.name, "xp": achievement.xp},
                )
            )
    return events


def achievements_of(campaign: Campaign, state: Mapping[str, Any], now: float) -> list[dict[str, Any]]:
    """Each achievement: done (and when), or its progress and each condition's."""
    states = state.get("achievements") or {}
    shown = []
    for achievement in campaign.achievements:
        st = states.get(achievement.id) or {}
        _, progress, conditions = _evaluate(campaign, state, achievement.rule, st.get("c") or {}, now)
        done = bool(st.get("done"))
        shown.append(
            {
                "id": achievement.id,
                "name": achievement.name,
                "xp": achievement.xp,
                "done": done,
                "completed_at": st.get("done"),
                "progress": 1.0 if done else round(progress, 4),
                "conditions": [{**c, "current": _json_number(c["current"])} for c in conditions],
            }
        )
    return shown


def _json_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _finish(
    campaign: Campaign,
    new: dict[str, Any],
    now: float,
    completions: list[Completion],
    *,
    changed: bool,
    skipped: tuple[Skipped, ...] = (),
    event: EventFacts | None = None,
) -> Outcome:
    """What every change ends with: the streaks it extends (and the streak tasks they complete), the
    quests it completes, the achievements it awards."""
    fired = _streaks(campaign, new, now, completions, event)
    quests = _quests(campaign, new, now)
    fired += _achievements(campaign, new, now, completions, quests, event)
    return Outcome(
        new, completions, quests, changed=changed or bool(fired), skipped=skipped, events=tuple(fired)
    )
