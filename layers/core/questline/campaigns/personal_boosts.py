"""Boosts for one person (ours): a time-boxed XP multiplier an integrator grants one participant (a
purchase, a support gesture, a comeback offer), on the whole campaign or on some of its actions.

* Kept with the participant's state (`engine.BOOSTS_KEY`), so a completion reads them with the state it
  reads anyway: no extra storage call on the path that awards XP.
* Stacking: a person's boosts multiply with each other and with the campaign's boosts active at the same
  moment (`engine.boost_for`), up to `MAX_BOOST` in all. Like the campaign's, they apply to what an action's
  completion earns (not to quest bonuses, `ref_xp` or direct rewards).
* Granting is idempotent by the boost's `id`: the same id again with the same terms changes nothing; with
  other terms it replaces them (extend or end a boost by granting it again: `ends_at` now ends it).
* Bounded: at most `MAX_PER_PERSON` boosts that have not ended; ended ones are dropped at the next grant.
* Merges keep both people's boosts (the later end wins for an id both have).
"""

from __future__ import annotations

from typing import Any

from questline import clock
from questline.campaigns import engine, participants
from questline.campaigns.definition import Boost, Campaign
from questline.errors import RuleViolation

MAX_PER_PERSON = 20


def stored(boost: Boost) -> dict[str, Any]:
    return {
        "multiplier": boost.multiplier,
        "starts_at": boost.starts_at,
        "ends_at": boost.ends_at,
        "actions": list(boost.actions),
        **({"name": boost.name} if boost.name else {}),
    }


def listed(state: dict[str, Any], now: float) -> list[dict[str, Any]]:
    """The person's boosts that have not ended, the earliest start first."""
    boosts = state.get(engine.BOOSTS_KEY) or {}
    return sorted(
        (
            {"id": boost_id, **boost, "active": float(boost["starts_at"]) <= now}
            for boost_id, boost in boosts.items()
            if float(boost["ends_at"]) > now
        ),
        key=lambda boost: (float(boost["starts_at"]), str(boost["id"])),
    )


def check(campaign: Campaign, boost: Boost) -> None:
    """Refuse terms the campaign cannot honour (before anyone is registered for the request)."""
    if boost.ends_at <= boost.starts_at:
        raise RuleViolation("ends_at: must be after starts_at", code="invalid_boost", field="ends_at")
    unknown = sorted(set(boost.actions) - {action.id for action in campaign.actions})
    if unknown:
        raise RuleViolation(
            f"actions: the campaign has no action {unknown[0]!r}", code="invalid_boost", field="actions"
        )


def grant(
    entity_id: str, storage_pid: str, identity_id: str, campaign: Campaign, boost: Boost
) -> list[dict[str, Any]]:
    """Grant (or change) one person's boost, or end it (`ends_at` not after now removes it); answers their
    boosts that have not ended."""
    check(campaign, boost)
    now = clock.now()
    wanted = stored(boost)

    def compute(state: dict[str, Any]) -> engine.Outcome:
        current = state.get(engine.BOOSTS_KEY) or {}
        kept = {key: value for key, value in current.items() if float(value["ends_at"]) > now}
        if boost.ends_at <= now:  # ending it
            kept.pop(boost.id, None)
            return engine.Outcome({**state, engine.BOOSTS_KEY: kept}, [], [], kept != current)
        if boost.id not in kept and len(kept) >= MAX_PER_PERSON:
            raise RuleViolation(
                f"this user has {MAX_PER_PERSON} boosts that have not ended; end one first",
                code="too_many_boosts",
                field="id",
            )
        kept[boost.id] = wanted
        changed = kept != current
        return engine.Outcome({**state, engine.BOOSTS_KEY: kept}, [], [], changed)

    outcome = participants.run(entity_id, storage_pid, identity_id, campaign, compute)
    return listed(outcome.state, now)


def joined(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Two people's boosts when they merge: both kept (for an id both have, the one that ends later), the
    `MAX_PER_PERSON` that end last when together they are more."""
    together = dict(ours)
    for boost_id, boost in theirs.items():
        if boost_id not in together or float(boost["ends_at"]) > float(together[boost_id]["ends_at"]):
            together[boost_id] = boost
    latest = sorted(together.items(), key=lambda item: float(item[1]["ends_at"]), reverse=True)
    return dict(latest[:MAX_PER_PERSON])
