"""A campaign definition (claimr's `pid`), as the management API takes it (DESIGN.md §4 "Campaigns"): the
field names are the contract. Structure is checked by pydantic; the rules that span fields (unknown ids,
dependency cycles, what each action type needs in `meta`) by `check_campaign`, whose errors name the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictBool, StrictInt

from questline.errors import BadRequest
from questline.http.models import ApiModel
from questline.notifications.templates import NotificationRules, check_notifications
from questline.storage.codec import check_client_value

ActionType = Literal[
    "events_count", "events_value", "number_value", "stream_value", "api_call", "referral", "streak"
]
Recurrence = Literal["once", "8h", "daily", "weekly", "multiple"]
Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Xp = Annotated[StrictInt, Field(ge=0, le=1_000_000_000)]

RECURRENCE_SECONDS: dict[str, int] = {"8h": 8 * 3600, "daily": 24 * 3600, "weekly": 7 * 24 * 3600}
Window = Literal["rolling", "local"]
LOCAL_RECURRENCES = ("daily", "weekly")


class CampaignModel(ApiModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")


class EventMatch(CampaignModel):
    name: str = Field(min_length=1, max_length=256)
    category: str | None = Field(default=None, max_length=256)


class Action(CampaignModel):
    id: Identifier
    name: str = Field(min_length=1, max_length=256)
    type: ActionType
    recurrence: Recurrence = "once"
    xp: Xp = 0
    ref_xp: Xp = 0
    xp_mul: float = Field(
        default=0, ge=0, le=10_000, description="a percentage bonus: xp 100, xp_mul 5 gives 105"
    )
    window: Window = Field(
        default="rolling",
        description="daily/weekly only: rolling (the next window opens 24 h / 7 d after the last completion) "
        "or local (once per calendar day / ISO week in the person's timezone)",
    )
    deps: list[Identifier] = Field(
        default_factory=list, max_length=50, description="actions to complete first, or levels to reach"
    )
    is_optional: bool = False
    meta: dict[str, Any] = Field(default_factory=dict)

    def award(self, boost: float = 1.0) -> int:
        """The XP a completion earns: `xp` with `xp_mul` percent on top, times the boosts active then
        (`Campaign.boost_of`), rounded half up."""
        return int(self.xp * (100 + self.xp_mul) / 100 * boost + 0.5)

    @property
    def target(self) -> float:
        return float(self.meta.get("target", 1))

    @property
    def event(self) -> EventMatch | None:
        match = self.meta.get("event")
        return EventMatch.model_validate(match) if isinstance(match, dict) else None


class Quest(CampaignModel):
    id: Identifier
    name: str = Field(min_length=1, max_length=256)
    actions: list[Identifier] = Field(min_length=1, max_length=200)
    xp: Xp = 0


class Season(CampaignModel):
    name: str = Field(min_length=1, max_length=256)
    max_xp: Annotated[StrictInt, Field(gt=0, le=1_000_000_000)]


MAX_BOOST = 10.0  # boosts that overlap multiply, up to this in all


class Boost(CampaignModel):
    """A time-boxed XP multiplier: on the whole campaign, or on the actions it names. Boosts active at
    the same moment multiply (2 and 1.5 make 3), up to `MAX_BOOST`; they apply to what an action's
    completion earns (not to quest bonuses, `ref_xp` or direct rewards)."""

    id: Identifier
    name: str | None = Field(default=None, max_length=256)
    multiplier: Annotated[float, Field(gt=0, le=MAX_BOOST, allow_inf_nan=False)]
    starts_at: Annotated[StrictInt, Field(ge=0, description="epoch seconds")]
    ends_at: Annotated[StrictInt, Field(gt=0, description="epoch seconds (excluded)")]
    actions: list[Identifier] = Field(default_factory=list, max_length=200, description="empty: every action")

    def applies(self, action_id: str, at: float) -> bool:
        return self.starts_at <= at < self.ends_at and (not self.actions or action_id in self.actions)


DAY_SECONDS = 24 * 3600


class Expiry(CampaignModel):
    """When the XP a person earns expires (`questline.campaigns.points_expiry`): `days` after each credit,
    or at the first of `season_ends` after it (the end of the season it was earned in; credits earned after
    the last end never expire). Exactly one of the two. `warn_days` before it expires, a credit that still
    holds points is announced (`points.will_expire`; 0: no warning)."""

    days: Annotated[StrictInt, Field(ge=1, le=3650)] | None = None
    season_ends: list[Annotated[StrictInt, Field(gt=0, description="epoch seconds")]] | None = Field(
        default=None, min_length=1, max_length=50
    )
    warn_days: Annotated[StrictInt, Field(ge=0, le=365)] = 0

    def expires_at(self, earned_at: float) -> float | None:
        """When a credit earned at `earned_at` expires (None: never)."""
        if self.days is not None:
            return earned_at + self.days * DAY_SECONDS
        return next((float(end) for end in self.season_ends or () if end > earned_at), None)

    def warn_at(self, expires_at: float) -> float | None:
        return expires_at - self.warn_days * DAY_SECONDS if self.warn_days else None


class ReferralRules(CampaignModel):
    min_points: Xp = 0
    tasks: list[Identifier] = Field(default_factory=list, max_length=200)
    # Referrals a referrer may make per UTC day before the next ones are recorded as rejected (`velocity`).
    max_per_referrer_per_day: Annotated[StrictInt, Field(ge=1, le=1_000_000)] | None = None


class LeaderboardRules(CampaignModel):
    tasks: list[Identifier] = Field(default_factory=list, max_length=200)
    max_entries: Annotated[StrictInt, Field(ge=1, le=10_000)] = 150
    periods: list[Literal["daily", "weekly", "monthly"]] = Field(
        default_factory=list,
        max_length=3,
        description="recurring boards besides the all-time one, starting again every local day, ISO week "
        "or month in the campaign's timezone (`GET /leaderboard?period=`)",
    )
    seasons: StrictBool = Field(
        default=False, description="a board per season: the XP earned in it (`GET /leaderboard?season=`)"
    )


class Streak(CampaignModel):
    """A run of consecutive periods (local days or ISO weeks in the person's timezone) with activity."""

    id: Identifier
    name: str = Field(min_length=1, max_length=256)
    period: Literal["day", "week"] = "day"
    actions: list[Identifier] = Field(
        default_factory=list, max_length=50, description="completing any of these extends the streak"
    )
    events: list[EventMatch] = Field(
        default_factory=list, max_length=20, description="an event matching any of these extends the streak"
    )
    grace_hours: Annotated[StrictInt, Field(ge=0, le=48)] = Field(
        default=0,
        description="activity this long into a period still counts for the one before it, if missed",
    )
    freeze_every: Annotated[StrictInt, Field(ge=0, le=1000)] = Field(
        default=0, description="a freeze is granted after every this many extended periods (0: never)"
    )
    max_freezes: Annotated[StrictInt, Field(ge=0, le=100)] = Field(
        default=2, description="freezes held at most; a missed period spends one automatically"
    )


ConditionType = Literal["events_count", "events_value", "completions", "quests", "streak", "level"]


class Condition(CampaignModel):
    """One measure an achievement rule tests: events counted or their values summed, task or quest
    completions, a streak's length, a level; `within_days`: only what happened in the last that many days."""

    type: ConditionType
    event: EventMatch | None = None
    field: str | None = Field(default=None, min_length=1, max_length=256)
    actions: list[Identifier] = Field(default_factory=list, max_length=50, description="none: any action")
    quests: list[Identifier] = Field(default_factory=list, max_length=50, description="none: any quest")
    streak: Identifier | None = None
    level: Identifier | None = None
    target: float = Field(default=1, gt=0, le=1e15)
    within_days: Annotated[StrictInt, Field(ge=1, le=366)] | None = None


class Rule(CampaignModel):
    """All (`all`) or any (`any`) of its conditions and nested rules."""

    all: list[Rule | Condition] | None = Field(default=None, max_length=20)
    any: list[Rule | Condition] | None = Field(default=None, max_length=20)

    @property
    def parts(self) -> list[Rule | Condition]:
        return list(self.all or self.any or [])


class Achievement(CampaignModel):
    id: Identifier
    name: str = Field(min_length=1, max_length=256)
    xp: Xp = 0
    rule: Rule


class Level(CampaignModel):
    name: Identifier
    min_xp: Xp


class Campaign(CampaignModel):
    name: str = Field(min_length=1, max_length=256)
    timezone: str = Field(
        default="UTC",
        min_length=1,
        max_length=64,
        description="the IANA timezone of local windows for people whose profile names none",
    )
    levels: list[Level] = Field(default_factory=list, max_length=100)
    streaks: list[Streak] = Field(default_factory=list, max_length=20)
    achievements: list[Achievement] = Field(default_factory=list, max_length=100)
    actions: list[Action] = Field(default_factory=list, max_length=200)
    quests: list[Quest] = Field(default_factory=list, max_length=100)
    seasons: list[Season] = Field(default_factory=list, max_length=50)
    referral: ReferralRules = Field(default_factory=ReferralRules)
    boosts: list[Boost] = Field(default_factory=list, max_length=50)
    expiry: Expiry | None = Field(default=None, description="when earned XP expires (none: never)")
    leaderboard: LeaderboardRules = Field(default_factory=LeaderboardRules)
    notifications: NotificationRules | None = Field(
        default=None, description="in-app notifications from this campaign (none without the section)"
    )

    def action(self, action_id: str) -> Action | None:
        return next((a for a in self.actions if a.id == action_id), None)

    def quest(self, quest_id: str) -> Quest | None:
        return next((q for q in self.quests if q.id == quest_id), None)

    def streak(self, streak_id: str) -> Streak | None:
        return next((s for s in self.streaks if s.id == streak_id), None)

    def level(self, name: str) -> Level | None:
        return next((level for level in self.levels if level.name == name), None)

    def boost_of(self, action_id: str, at: float) -> float:
        """The multiplier of the boosts active on this action at `at` (1 without one)."""
        product = 1.0
        for boost in self.boosts:
            if boost.applies(action_id, at):
                product *= boost.multiplier
        return min(product, MAX_BOOST)


# What each action type needs in `meta` (the rest of `meta` is free for the integrator's own use).
def _check_meta(action: Action, where: str) -> None:
    meta = action.meta
    needs_event = action.type in ("events_count", "events_value")
    if needs_event:
        event = meta.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("name"), str) or not event["name"]:
            raise BadRequest(
                f"{where}.meta.event: {action.type} needs an event with a name", field=f"{where}.meta.event"
            )
        category = event.get("category")
        if category is not None and not isinstance(category, str):
            raise BadRequest(
                f"{where}.meta.event.category: must be a string", field=f"{where}.meta.event.category"
            )
    if action.type == "events_value":
        field = meta.get("field")
        if not isinstance(field, str) or not field:
            raise BadRequest(
                f"{where}.meta.field: events_value needs the data field to sum", field=f"{where}.meta.field"
            )
    if action.type == "stream_value":
        stream = meta.get("stream")
        if not isinstance(stream, str) or not stream:
            raise BadRequest(
                f"{where}.meta.stream: stream_value needs a stream name", field=f"{where}.meta.stream"
            )
    if action.type == "streak":
        streak = meta.get("streak")
        if not isinstance(streak, str) or not streak:
            raise BadRequest(
                f"{where}.meta.streak: a streak task needs the id of one of the campaign's streaks",
                field=f"{where}.meta.streak",
            )
    if action.type != "api_call":
        target = meta.get("target", 1)
        if isinstance(target, bool) or not isinstance(target, (int, float)) or target <= 0 or target > 1e15:
            raise BadRequest(f"{where}.meta.target: must be a positive number", field=f"{where}.meta.target")
        if action.type in ("events_count", "referral", "streak") and not float(target).is_integer():
            raise BadRequest(f"{where}.meta.target: must be a whole number", field=f"{where}.meta.target")


def _known(ids: Iterable[str], known: set[str], where: str, what: str = "action") -> None:
    for index, identifier in enumerate(ids):
        if identifier not in known:
            raise BadRequest(f"{where}.{index}: unknown {what} {identifier!r}", field=f"{where}.{index}")


def _check_levels(campaign: Campaign, taken: set[str]) -> None:
    """Level names are unique (and no action's id: `deps` name either); `min_xp` strictly ascending."""
    names: set[str] = set()
    for index, level in enumerate(campaign.levels):
        if level.name in names or level.name in taken:
            raise BadRequest(
                f"levels.{index}.name: {level.name!r} is already used", field=f"levels.{index}.name"
            )
        names.add(level.name)
        if index and level.min_xp <= campaign.levels[index - 1].min_xp:
            raise BadRequest(
                f"levels.{index}.min_xp: levels must ascend ({level.min_xp} after "
                f"{campaign.levels[index - 1].min_xp})",
                field=f"levels.{index}.min_xp",
            )


def check_timezone_name(name: str, field: str) -> None:
    from questline.campaigns.localtime import known_zone

    if not known_zone(name):
        raise BadRequest(f"{field}: {name!r} is not an IANA timezone", field=field)


def check_campaign(campaign: Campaign, campaign_id: str) -> Campaign:
    """The rules across fields. Raises BadRequest naming the field; returns the campaign."""
    action_ids = [a.id for a in campaign.actions]
    for index, action_id in enumerate(action_ids):
        if action_ids.index(action_id) != index:
            raise BadRequest(f"actions.{index}.id: {action_id!r} is used twice", field=f"actions.{index}.id")
    known = set(action_ids)
    check_timezone_name(campaign.timezone, "timezone")
    _check_levels(campaign, known)
    dependable = known | {level.name for level in campaign.levels}
    for index, action in enumerate(campaign.actions):
        where = f"actions.{index}"
        check_client_value(action.meta, f"{where}.meta", kept_numbers=False)
        _check_meta(action, where)
        _known(action.deps, dependable, f"{where}.deps", "action or level")
        if action.window == "local" and action.recurrence not in LOCAL_RECURRENCES:
            raise BadRequest(
                f"{where}.window: local windows are for daily and weekly recurrences",
                field=f"{where}.window",
            )
        if action.id in action.deps:
            raise BadRequest(f"{where}.deps: an action cannot depend on itself", field=f"{where}.deps")
    _check_acyclic(campaign)
    _check_streaks(campaign, known)
    _check_achievements(campaign, known)
    quest_ids = [q.id for q in campaign.quests]
    for index, quest in enumerate(campaign.quests):
        if quest_ids.index(quest.id) != index or quest.id in dependable or quest.id == campaign_id:
            raise BadRequest(f"quests.{index}.id: {quest.id!r} is already used", field=f"quests.{index}.id")
        _known(quest.actions, known, f"quests.{index}.actions")
    _known(campaign.referral.tasks, known, "referral.tasks")
    _check_unique((boost.id for boost in campaign.boosts), "boosts")
    for index, boost in enumerate(campaign.boosts):
        if boost.ends_at <= boost.starts_at:
            raise BadRequest(
                f"boosts.{index}.ends_at: must be after starts_at", field=f"boosts.{index}.ends_at"
            )
        _known(boost.actions, set(action_ids), f"boosts.{index}.actions")
    _known(campaign.leaderboard.tasks, known, "leaderboard.tasks")
    if len(set(campaign.leaderboard.periods)) != len(campaign.leaderboard.periods):
        raise BadRequest("leaderboard.periods: a period is named twice", field="leaderboard.periods")
    if campaign.leaderboard.seasons and not campaign.seasons:
        raise BadRequest("leaderboard.seasons: the campaign has no seasons", field="leaderboard.seasons")
    _check_expiry(campaign.expiry)
    check_notifications(campaign.notifications)
    return campaign


def _check_expiry(expiry: Expiry | None) -> None:
    """Exactly one of `days` and `season_ends`; season ends ascending; a warning before the expiry."""
    if expiry is None:
        return
    if (expiry.days is None) == (expiry.season_ends is None):
        raise BadRequest("expiry: give either days or season_ends", field="expiry")
    ends = expiry.season_ends or []
    for index in range(1, len(ends)):
        if ends[index] <= ends[index - 1]:
            raise BadRequest(
                f"expiry.season_ends.{index}: season ends must ascend", field=f"expiry.season_ends.{index}"
            )
    if expiry.days is not None and expiry.warn_days >= expiry.days:
        raise BadRequest("expiry.warn_days: must be fewer than days", field="expiry.warn_days")


def _check_acyclic(campaign: Campaign) -> None:
    deps = {a.id: [d for d in a.deps if campaign.level(d) is None] for a in campaign.actions}
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(action_id: str, path: list[str]) -> None:
        if state.get(action_id) == 2:
            return
        if state.get(action_id) == 1:
            cycle = " -> ".join([*path[path.index(action_id) :], action_id])
            index = next(i for i, a in enumerate(campaign.actions) if a.id == action_id)
            raise BadRequest(f"actions.{index}.deps: dependency cycle {cycle}", field=f"actions.{index}.deps")
        state[action_id] = 1
        for dep in deps.get(action_id, []):
            visit(dep, [*path, action_id])
        state[action_id] = 2

    for action_id in deps:
        visit(action_id, [])


def _check_unique(ids: Iterable[str], section: str) -> None:
    """The ids of one section of the campaign (streaks, achievements, boosts) are each used once."""
    seen: set[str] = set()
    for index, item_id in enumerate(ids):
        if item_id in seen:
            where = f"{section}.{index}"
            raise BadRequest(f"{where}.id: {item_id!r} is used twice", field=f"{where}.id")
        seen.add(item_id)


def _check_streaks(campaign: Campaign, known: set[str]) -> None:
    """Unique ids; known actions (no streak task) or events extend each; streak tasks name a streak."""
    _check_unique((streak.id for streak in campaign.streaks), "streaks")
    streak_ids = {streak.id for streak in campaign.streaks}
    for index, streak in enumerate(campaign.streaks):
        where = f"streaks.{index}"
        _known(streak.actions, known, f"{where}.actions")
        if not streak.actions and not streak.events:
            raise BadRequest(f"{where}: a streak needs actions or events that extend it", field=where)
        extending = [campaign.action(a) for a in streak.actions]
        if any(a is not None and a.type == "streak" for a in extending):
            raise BadRequest(
                f"{where}.actions: a streak task cannot extend a streak", field=f"{where}.actions"
            )
    for index, action in enumerate(campaign.actions):
        if action.type == "streak" and action.meta.get("streak") not in streak_ids:
            raise BadRequest(
                f"actions.{index}.meta.streak: unknown streak {action.meta.get('streak')!r}",
                field=f"actions.{index}.meta.streak",
            )


MAX_RULE_DEPTH = 3
MAX_CONDITIONS = 20


def _check_condition(campaign: Campaign, condition: Condition, known: set[str], where: str) -> None:
    kind = condition.type
    if kind in ("events_count", "events_value") and condition.event is None:
        raise BadRequest(f"{where}.event: {kind} needs an event with a name", field=f"{where}.event")
    if kind == "events_value" and not condition.field:
        raise BadRequest(f"{where}.field: events_value needs the data field to sum", field=f"{where}.field")
    _known(condition.actions, known, f"{where}.actions")
    quest_ids = {q.id for q in campaign.quests}
    _known(condition.quests, quest_ids, f"{where}.quests", "quest")
    if kind == "streak" and campaign.streak(str(condition.streak)) is None:
        raise BadRequest(f"{where}.streak: unknown streak {condition.streak!r}", field=f"{where}.streak")
    if kind == "level" and campaign.level(str(condition.level)) is None:
        raise BadRequest(f"{where}.level: unknown level {condition.level!r}", field=f"{where}.level")


def _check_rule(campaign: Campaign, rule: Rule, known: set[str], where: str, depth: int) -> int:
    """Checks one rule; returns the number of conditions in it."""
    if (rule.all is None) == (rule.any is None) or not rule.parts:
        raise BadRequest(f"{where}: a rule has either all or any, with conditions", field=where)
    if depth > MAX_RULE_DEPTH:
        raise BadRequest(f"{where}: rules nest {MAX_RULE_DEPTH} deep at most", field=where)
    key = "all" if rule.all is not None else "any"
    count = 0
    for index, part in enumerate(rule.parts):
        at = f"{where}.{key}.{index}"
        if isinstance(part, Rule):
            count += _check_rule(campaign, part, known, at, depth + 1)
        else:
            _check_condition(campaign, part, known, at)
            count += 1
    return count


def _check_achievements(campaign: Campaign, known: set[str]) -> None:
    _check_unique((achievement.id for achievement in campaign.achievements), "achievements")
    for index, achievement in enumerate(campaign.achievements):
        where = f"achievements.{index}"
        if _check_rule(campaign, achievement.rule, known, f"{where}.rule", 1) > MAX_CONDITIONS:
            raise BadRequest(f"{where}.rule: {MAX_CONDITIONS} conditions at most", field=f"{where}.rule")
