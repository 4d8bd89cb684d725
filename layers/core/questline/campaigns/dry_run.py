"""`POST /campaign/dry-run`: what an input would do, computed and not done.

An input is what one of the writing routes takes: `action` (`/action/value`), `stream` (`/stream/value`),
`event` (`/event`, as the table's stream would apply it to this campaign's tasks) or `reward`
(`/user/reward`); `inputs` is a list of them, applied in order to the state in memory. The person's state
and balance are read once (one consistent BatchGetItem, as every report reads them); then the task engine's
pure functions (`campaigns.engine`: the same `apply_value`, `apply_stream` and `apply_event` the routes and
the stream run) compute each outcome, and what the writes would be is told instead of written:

* completions and quest completions with the XP they earn (multipliers included: `Action.award`), the
  achievements awarded, the streaks extended, the balance and level after;
* whether the referral would become valid, and the referrer's share;
* the webhooks that would fire, by name, in order: `user_activity` per completion and quest completion,
  `user_reward` per ledger entry (completion, quest bonus, achievement, reward), the `progress` events
  (`streak.*`, `achievement.completed`, `level.changed` when the total crosses a level) and `referral`.
  Each goes to every hook registered for its scope and campaign (previews fire none).

Nothing is written, queued or counted (no identity is registered for a person never seen, no monthly
active user is counted). `campaign`: a draft campaign JSON, validated as a publish validates it, simulated
against the person's state in the named campaign (empty for a campaign never published).

An input the route would refuse with a 4xx of the request's own making (an unknown `cid`/`aid`/stream, a
bad `xp`) is refused here the same way; a rule the person's state breaks (a locked action: the route's
422) is told as the step's `refused`, so a simulation of a list carries on."""

from __future__ import annotations

from typing import Any

from questline import clock
from questline.campaigns import claimr, engine, ledger, participants
from questline.campaigns.admin import parse_definition
from questline.campaigns.definition import Campaign
from questline.errors import BadRequest, NotFound, RuleViolation
from questline.storage.codec import check_client_value

KINDS = ("action", "stream", "event", "reward")


def _one_input(raw: dict[str, Any], where: str = "") -> tuple[str, dict[str, Any]]:
    given = [kind for kind in KINDS if raw.get(kind) is not None]
    if len(given) != 1:
        named = ", ".join(given) or "none"
        raise BadRequest(
            f"give exactly one of action, stream, event or reward{' in ' + where[:-1] if where else ''}"
            f" (got {named})",
            field=f"{where}action",
        )
    return given[0], dict(raw[given[0]])


def _inputs(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    listed = body.get("inputs")
    if listed is None:
        return [_one_input(body)]
    if any(body.get(kind) is not None for kind in KINDS):
        raise BadRequest("give inputs or one of action, stream, event or reward, not both", field="inputs")
    if not listed:
        raise BadRequest("inputs must name at least one input", field="inputs")
    return [_one_input(dict(item), f"inputs.{index}.") for index, item in enumerate(listed)]


def _check(campaign: Campaign, pid: str, kind: str, given: dict[str, Any]) -> None:
    """What the route checks before it reads anyone: the same refusals."""
    if kind == "action":
        claimr.value_target(campaign, pid, str(given["cid"]), str(given["aid"]))
    elif kind == "stream":
        engine.stream_actions(campaign, str(given["stream"]))
    elif kind == "event":
        check_client_value(given.get("data") or {}, "event.data")
    else:
        claimr._xp(given["xp"], "reward.xp")


def _outcome(
    campaign: Campaign, state: dict[str, Any], kind: str, given: dict[str, Any], now: float, index: int
) -> engine.Outcome:
    if kind == "action":
        return engine.apply_value(campaign, state, str(given["aid"]), float(given["value"]), now)
    if kind == "stream":
        return engine.apply_stream(campaign, state, str(given["stream"]), float(given["value"]), now)
    if kind == "event":
        facts = engine.EventFacts(
            f"dry-run#{index}", str(given["name"]), given.get("category"), dict(given.get("data") or {})
        )
        return engine.apply_event(campaign, state, facts, now)
    return engine.Outcome(dict(state), [], [], changed=True)  # a reward moves no task


def _level_name(campaign: Campaign, xp: int) -> str | None:
    return engine.level_name(campaign, xp)


def _step(
    campaign: Campaign,
    state: dict[str, Any],
    balance: dict[str, int],
    kind: str,
    given: dict[str, Any],
    now: float,
    index: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One input against the state and balance (both replaced, not changed): the step's answer, the new
    state."""
    try:
        outcome = _outcome(campaign, state, kind, given, now, index)
    except RuleViolation as error:
        refused = {"status": error.status, "code": error.code, "error": error.message}
        return _answer(kind, [], [], [], [], False, 0, [], balance, refused=refused), state
    new = dict(outcome.state)
    counted = outcome.changed
    if kind == "event":  # (an event is always recorded: it counts when it moves a task or a streak)
        counted = new.get("actions") != state.get("actions") or bool(outcome.events)
    webhooks: list[str] = []
    earned = 0
    for done in outcome.completions:
        webhooks += ["user_activity", "user_reward"]
        earned += done.xp
    for quest in outcome.quests:
        webhooks += ["user_activity", *(["user_reward"] if quest.xp else [])]
        earned += quest.xp
    achievements = []
    streaks = []
    for fired in outcome.events:
        webhooks.append(fired.event)
        if fired.event == "achievement.completed":
            achievements.append({"id": fired.data["achievement_id"], "xp": int(fired.data.get("xp") or 0)})
            if int(fired.data.get("xp") or 0):
                webhooks.append("user_reward")
                earned += int(fired.data["xp"])
        elif fired.event == "streak.extended":
            streaks.append(
                {k: fired.data.get(k) for k in ("streak_id", "current", "longest", "period", "expires_at")}
            )
    if kind == "reward":
        webhooks.append("user_reward")
        earned += int(given["xp"])
        new[engine.XP_KEY] = engine.xp_of(new) + int(given["xp"])
    after = {**balance, "xp": balance["xp"] + earned, "total": balance["total"] + earned}
    if _level_name(campaign, balance["total"]) != _level_name(campaign, after["total"]) and campaign.levels:
        webhooks.append("level.changed")
    referral = _referral(campaign, new, after["total"], outcome)
    if referral.get("becomes_valid"):
        webhooks.append("referral")
    answer = _answer(
        kind,
        [{"id": c.action_id, "xp": c.xp} for c in outcome.completions],
        [{"id": q.quest_id, "xp": q.xp} for q in outcome.quests],
        achievements,
        streaks,
        counted,
        earned,
        webhooks,
        after,
        skipped=[
            {"id": s.action_id, "reason": s.reason, "next_available_at": s.next_available_at}
            for s in outcome.skipped
        ],
        referral=referral or None,
    )
    return answer, new


def _referral(
    campaign: Campaign, state: dict[str, Any], total_after: int, outcome: engine.Outcome
) -> dict[str, Any]:
    """The referral's share (`participants._referral` writes it): whether it becomes valid, and the
    referrer's ref_xp."""
    if not state.get("referrer"):
        return {}
    becomes_valid = not state.get("referral_valid") and engine.referral_becomes_valid(
        campaign, state, total_after
    )
    if becomes_valid:
        state["referral_valid"] = True
    valid = bool(state.get("referral_valid"))
    return {
        "becomes_valid": becomes_valid,
        "valid": valid,
        "rejected": bool(state.get("referral_rejected")),  # (a rejected referral never pays)
        "referrer_xp": sum(c.ref_xp for c in outcome.completions) if valid else 0,
    }


def _answer(
    kind: str,
    completed: list[dict[str, Any]],
    quests: list[dict[str, Any]],
    achievements: list[dict[str, Any]],
    streaks: list[dict[str, Any]],
    counted: bool,
    xp: int,
    webhooks: list[str],
    balance: dict[str, int],
    *,
    skipped: list[dict[str, Any]] | None = None,
    referral: dict[str, Any] | None = None,
    refused: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "input": kind,
        "counted": counted,
        "completed": completed,
        "quests_completed": quests,
        "achievements": achievements,
        "streaks_extended": streaks,
        "skipped": skipped or [],
        "xp": xp,
        "balance": dict(balance),
        "webhooks": webhooks,
        "referral": referral,
        "refused": refused,
    }


def dry_run(entity_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The answer of `POST /campaign/dry-run` (`body`: the validated request, as a dict)."""
    pid, env = str(body["pid"]), body.get("env")
    steps = _inputs(body)
    draft = body.get("campaign")
    if draft is not None:
        campaign = parse_definition(draft, pid)
        try:
            scope = claimr._scope(entity_id, pid, env)
            storage_pid, preview = scope.storage_pid, scope.preview
        except NotFound:
            storage_pid, preview = pid, False  # never published: nobody's state yet
    else:
        scope = claimr._scope(entity_id, pid, env)
        campaign, storage_pid, preview = scope.campaign, scope.storage_pid, scope.preview
    for kind, given in steps:
        _check(campaign, pid, kind, given)
    try:
        user: claimr.User | None = claimr.find_user(
            entity_id, str(body["account"]), str(body["platform"]), create=False
        )
    except NotFound:
        user = None  # never seen: the real route would register them, with nothing yet
    if user is not None:
        held = participants.read(entity_id, storage_pid, user.identity_id, names=True, via=user.via)
        state = held.state
        balance = {b: int(held.balance.get(b, 0)) for b in (*ledger.BUCKETS, "total")}
    else:
        state, balance = engine.new_state(), dict.fromkeys((*ledger.BUCKETS, "total"), 0)
    before = dict(balance)
    now = clock.now()
    answers = []
    for index, (kind, given) in enumerate(steps):
        answer, state = _step(campaign, state, balance, kind, given, now, index)
        balance = answer["balance"]
        answers.append(answer)
    single = answers[0] if len(answers) == 1 else None
    refused = next((a["refused"] for a in answers if a["refused"]), None)
    return {
        "dry_run": True,
        "preview": preview,
        "draft": draft is not None,
        "new_user": user is None,
        "user_id": user.identity_id if user else None,
        "counted": any(a["counted"] for a in answers),
        "completed": [c for a in answers for c in a["completed"]],
        "quests_completed": [q for a in answers for q in a["quests_completed"]],
        "achievements": [x for a in answers for x in a["achievements"]],
        "streaks_extended": [s for a in answers for s in a["streaks_extended"]],
        "skipped": single["skipped"] if single else [s for a in answers for s in a["skipped"]],
        "xp": sum(a["xp"] for a in answers),
        "balance_before": before,
        "balance": balance,
        "level_before": engine.level_of(campaign, before["total"]),
        "level": engine.level_of(campaign, balance["total"]),
        "streaks": engine.streaks_of(campaign, state, now),
        "webhooks": [w for a in answers for w in a["webhooks"]],
        "referral": single["referral"] if single else None,
        "refused": refused,
        **({"steps": answers} if body.get("inputs") is not None else {}),
    }
