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
from questline.campaigns.definition import RECURRENCE_SECONDS, Action, Campaign
from questline.errors import BadRequest, NotFound, RuleViolation

# Read with the state but never stored with it (participants.read puts them there): the person's XP total
# (levels) and their profile's timezone (local windows).
XP_KEY = "_xp"
TZ_KEY = "_tz"

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
    xp: int
    ref_xp: int


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


def _dep_done(campaign: Campaign | None, state: Mapping[str, Any], dep: str) -> bool:
    level = campaign.level(dep) if campaign is not None else None
    if level is not None:
        return xp_of(state) >= level.min_xp
    return completions_of(state, dep) > 0


def unlocked(action: Action, state: Mapping[str, Any], campaign: Campaign | None = None) -> bool:
    """Every dependency done: each action completed once, each level reached."""
    return all(_dep_done(campaign, state, dep) for dep in action.deps)


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
    outcome.append(Completion(action.id, int(current["n"]), action.award(), action.ref_xp))
    # The window just completed keeps what completed it, so progress can show it beside `done`.
    finished = {
        "final_count": 1 if action.type == "api_call" else current["count"],
        "final_value": current["value"],
    }
    if _local(action):  # the local period this completion counts for, in the person's timezone now
        finished["period"] = localtime.period_key(action.recurrence, now, zone_of(campaign, state))
    current.update({"n": int(current["n"]) + 1, "last": now, "count": 0, "value": 0, "logs": [], **finished})
    state[XP_KEY] = xp_of(state) + action.award()


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
    return Outcome(new, completions, _quests(campaign, new, now), changed=True)


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
    return Outcome(new, completions, _quests(campaign, new, now), changed=True)


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
    return Outcome(new, completions, _quests(campaign, new, now), changed=counted, skipped=tuple(skipped))


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
    return Outcome(new, completions, _quests(campaign, new, now), changed=bool(completions))


def referral_becomes_valid(campaign: Campaign, state: Mapping[str, Any], total_points: float) -> bool:
    """A referral counts once the referee reaches the minimum points and has completed one of the
    referral tasks (any completion, when the campaign names none)."""
    if not state.get("referrer") or state.get("referral_valid"):
        return False
    if total_points < campaign.referral.min_points:
        return False
    tasks = campaign.referral.tasks
    if not tasks:
        return any(int(s.get("n", 0)) > 0 for s in state.get("actions", {}).values())
    return any(completions_of(state, task) > 0 for task in tasks)


def _require_unlocked(campaign: Campaign, action: Action, state: Mapping[str, Any]) -> None:
    missing = [dep for dep in action.deps if not _dep_done(campaign, state, dep)]
    if missing:
        named = ", ".join(f"level {d}" if campaign.level(d) else d for d in missing)
        raise RuleViolation(f"action {action.id!r} is locked until {named} is done", field="aid")
