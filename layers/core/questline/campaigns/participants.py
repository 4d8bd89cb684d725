"""A participant: one identity in one campaign. Its state (the task engine's, `engine.py`) is one item
with a version; its balance another. Applying an engine outcome is one transaction of:

* the state, conditional on the version it was computed from (a concurrent change makes it compute again),
* each completion (conditional on not existing: once per user, action and window) and its ledger entry,
* each quest completion and its bonus entry,
* the balance,
* when the referee's referral is valid: the referrer's `ref_xp` entries and balance, and the referral's
  running total; and when this very change makes the referral valid, the `referral` item, the link's
  status and the referrer's count of valid referrals.

A referrer whose count of valid referrals grew is then evaluated for their own `referral` tasks.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from questline import clock
from questline.campaigns import engine
from questline.campaigns.definition import Campaign
from questline.campaigns.ledger import (
    SPENT,
    Entry,
    balance_update,
    entry_item,
    task_xp_attribute,
    task_xp_of,
)
from questline.campaigns.points_expiry import LOTS_IN, lots_for, policy_of
from questline.campaigns.preview import expiry, is_preview
from questline.campaigns.streak_sweep import due_item
from questline.errors import Retryable
from questline.identity.identifiers import Identifier
from questline.identity.names import names_of
from questline.storage import get_table, keys
from questline.storage.table import ConditionFailed, TxPut, TxUpdate, Update, equals, not_exists

ATTEMPTS = 25  # optimistic retries; contention on one participant is rare (the stream serialises a shard)
STATE_FIELDS = ("actions", "quests", "applied", "referral_valid", "streaks", "achievements", "boosts")


class Participant(NamedTuple):
    entity_id: str
    pid: str
    identity_id: str
    state: dict[str, Any]
    version: int
    balance: dict[str, int]
    names: dict[str, str] = {}  # how the integrator knows the person (`questline.identity.names`)
    held: dict[str, Any] = {}  # the balance item as read (its `rev` and points-expiry counters)


class _Stale(Exception):
    """The state changed since it was read."""


def participation_listing(entity_id: str, identity_id: str, pid: str) -> dict[str, str]:
    """Where a participant's state is listed: among the identity's campaigns (merges find them there)."""
    return keys.campaign_listing(entity_id, identity_id, pid, "state")


def read(
    entity_id: str, pid: str, identity_id: str, *, names: bool = False, via: Identifier | None = None
) -> Participant:
    """The participant's state and balance; with `names`, for a caller that writes activity items, also
    the names they carry and the profile's timezone (from the identity item, in the same BatchGetItem;
    `via` is the identifier the request named the person by)."""
    wanted = [keys.participant(entity_id, pid, identity_id), keys.balance(entity_id, pid, identity_id)]
    if names:
        wanted.append(keys.identity(entity_id, identity_id))
    found = {item["SK"]: item for item in get_table().batch_get(wanted, consistent=True)}
    state = found.get("#STATE") or {}
    balance = found.get("#BAL") or {}
    identity = found.get(keys.identity(entity_id, identity_id)[keys.SK])
    held = int(balance.get("total", 0))
    timezone = (identity or {}).get("timezone")
    return Participant(
        entity_id,
        pid,
        identity_id,
        {
            **engine.new_state(),
            **{k: v for k, v in state.items() if k not in ("PK", "SK")},
            engine.XP_KEY: held,  # (not stored with the state: levels and local windows read them)
            **({engine.TZ_KEY: str(timezone)} if timezone else {}),
        },
        int(state.get("v", 0)),
        {
            **{bucket: int(balance.get(bucket, 0)) for bucket in ("xp", "ref_xp", "ugc_xp", "total")},
            **task_xp_of(balance),
        },
        names_of(identity, via) if names else {},
        {k: v for k, v in balance.items() if k in ("rev", LOTS_IN, SPENT)},
    )


def _state_update(p: Participant, new_state: dict[str, Any]) -> TxUpdate:
    condition = equals("v", p.version) if p.version else not_exists("v")
    return TxUpdate(
        keys.participant(p.entity_id, p.pid, p.identity_id),
        Update(
            set={
                **{field: new_state.get(field) for field in STATE_FIELDS if field in new_state},
                **expiry(p.pid),
            },
            add={"v": 1},
            set_if_absent={
                "type": "participant",
                "entity_id": p.entity_id,
                "pid": p.pid,
                "identity_id": p.identity_id,
                "created_at": clock.iso(),
                **participation_listing(p.entity_id, p.identity_id, p.pid),
            },
        ),
        condition=condition,
    )


def _activity(p: Participant, key: dict[str, str], kind: str, **fields: Any) -> TxPut:
    item = {
        **key,
        "type": kind,
        "entity_id": p.entity_id,
        "pid": p.pid,
        "identity_id": p.identity_id,
        "at": clock.iso(),
        **p.names,
        **fields,
        **expiry(p.pid),
    }
    return TxPut(item, condition=not_exists())


def _earnings(
    campaign: Campaign, p: Participant, outcome: engine.Outcome
) -> tuple[list[Any], int, list[tuple[str, int]]]:
    """The completions' and quests' items and ledger entries, the XP they earn, and what the referrer
    earns from them (entry id, ref_xp). Under an expiry policy each XP entry is a lot
    (`points_expiry`), and the balance must be as read."""
    operations: list[Any] = []
    credits: list[Entry] = []
    earned = 0
    task_xp: dict[str, int] = {}
    referrer_xp: list[tuple[str, int]] = []
    for done in outcome.completions:
        key = keys.completion(p.entity_id, p.pid, p.identity_id, done.action_id, done.window)
        operations.append(
            _activity(p, key, "completion", action_id=done.action_id, window=done.window, xp=done.xp)
        )
        entry = Entry(
            f"c:{p.identity_id}:{done.action_id}:{done.window}",
            p.identity_id,
            "xp",
            done.xp,
            "completion",
            {"action_id": done.action_id, **p.names},
        )
        credits.append(entry)
        earned += done.xp
        attribute = task_xp_attribute(done.action_id)
        task_xp[attribute] = task_xp.get(attribute, 0) + done.xp
        if done.ref_xp:
            referrer_xp.append((f"r:{p.identity_id}:{done.action_id}:{done.window}", done.ref_xp))
    for quest in outcome.quests:
        key = keys.quest_completion(p.entity_id, p.pid, p.identity_id, quest.quest_id)
        operations.append(_activity(p, key, "quest_completion", quest_id=quest.quest_id, xp=quest.xp))
        if quest.xp:
            entry = Entry(
                f"q:{p.identity_id}:{quest.quest_id}",
                p.identity_id,
                "xp",
                quest.xp,
                "quest",
                {"quest_id": quest.quest_id, **p.names},
            )
            credits.append(entry)
            earned += quest.xp
    for fired in outcome.events:
        key = keys.progress_event(p.entity_id, p.pid, p.identity_id, fired.ref)
        operations.append(_activity(p, key, "progress_event", event=fired.event, **fired.data))
        if fired.event == "achievement.completed" and int(fired.data.get("xp") or 0):
            achievement_id = str(fired.data["achievement_id"])
            entry = Entry(
                f"a:{p.identity_id}:{achievement_id}",
                p.identity_id,
                "xp",
                int(fired.data["xp"]),
                "achievement",
                {"achievement_id": achievement_id, **p.names},
            )
            credits.append(entry)
            earned += int(fired.data["xp"])
        if fired.event == "streak.extended" and fired.data.get("expires_at") and not is_preview(p.pid):
            # filed under the hour it expires in, for the lost-streak sweep (`campaigns.streak_sweep`)
            due = due_item(
                p.entity_id, p.pid, p.identity_id, str(fired.data["streak_id"]), str(fired.data["period"]),
                float(fired.data["expires_at"]),
            )  # fmt: skip
            operations.append(TxPut(due))
    policy = policy_of(campaign, p.pid)
    lots = lots_for(
        p.entity_id,
        p.pid,
        p.identity_id,
        policy,
        p.held,
        [(e.entry_id, e.delta) for e in credits],
        clock.now(),
    )
    for entry in credits:
        operations.append(TxPut(entry_item(p.entity_id, p.pid, lots.attach(entry)), condition=not_exists()))
    operations += [TxPut(item) for item in lots.due]
    if earned:
        update = balance_update(
            p.entity_id, p.pid, p.identity_id, {"xp": earned}, task_xp=task_xp, also_set=lots.balance_set
        )
        balance_key = keys.balance(p.entity_id, p.pid, p.identity_id)
        operations.append(TxUpdate(balance_key, update, condition=lots.condition))
    return operations, earned, referrer_xp


def _referral(
    campaign: Campaign, p: Participant, state: dict[str, Any], earned: int, referrer_xp: list[tuple[str, int]]
) -> tuple[list[Any], str | None]:
    """The referral's share of this change: its validation (once), and the referrer's ref_xp."""
    referrer = state.get("referrer")
    if not referrer:
        return [], None
    referrer = str(referrer)
    operations: list[Any] = []
    validated = None
    link_set: dict[str, Any] = {}
    link_add: dict[str, Any] = {}
    total_after = p.balance["total"] + earned
    becomes_valid = not state.get("referral_valid") and engine.referral_becomes_valid(
        campaign, state, total_after
    )
    credits = bool(referrer_xp) and (becomes_valid or bool(state.get("referral_valid")))
    # the referrer's names, for the items that name them: one GetItem, only when there are such items
    referrer_names: dict[str, str] = {}
    if credits or becomes_valid:
        referrer_names = names_of(get_table().get(keys.identity(p.entity_id, referrer)))
    if becomes_valid:
        state["referral_valid"] = True
        validated = referrer
        link_set = {"status": "valid", "valid_at": clock.iso()}
        operations += [
            _activity(
                p,
                keys.referral(p.entity_id, p.pid, p.identity_id),
                "referral",
                referrer_id=referrer,
                status="valid",
                **({"referrer": referrer_names} if referrer_names else {}),
            ),
            TxUpdate(keys.participant(p.entity_id, p.pid, referrer), Update(add={"valid_referrals": 1})),
        ]
    if state.get("referral_valid") and referrer_xp:
        total = sum(xp for _, xp in referrer_xp)
        for entry_id, xp in referrer_xp:
            details = {
                "referee_id": p.identity_id,
                **referrer_names,
                **({"referee": p.names} if p.names else {}),
            }
            entry = Entry(entry_id, referrer, "ref_xp", xp, "referral", details)
            operations.append(TxPut(entry_item(p.entity_id, p.pid, entry), condition=not_exists()))
        update = balance_update(p.entity_id, p.pid, referrer, {"ref_xp": total})
        operations.append(TxUpdate(keys.balance(p.entity_id, p.pid, referrer), update))
        link_add = {"ref_xp": total}
    if link_set or link_add:
        link = keys.referee(p.entity_id, p.pid, referrer, p.identity_id)
        operations.append(TxUpdate(link, Update(set=link_set, add=link_add)))
    return operations, validated


def _commit(campaign: Campaign, p: Participant, outcome: engine.Outcome) -> str | None:
    """Write one outcome. Returns the referrer whose count of valid referrals this change increased."""
    state = dict(outcome.state)
    operations, earned, referrer_xp = _earnings(campaign, p, outcome)
    referral_operations, validated = _referral(campaign, p, state, earned, referrer_xp)
    operations = [_state_update(p, state), *operations, *referral_operations]
    try:
        if len(operations) == 1:  # progress only: one conditional update, half a transaction's capacity
            only = operations[0]
            get_table().update(only.key, only.update, condition=only.condition, return_values="NONE")
        else:
            get_table().transact_write(operations)
    except ConditionFailed:
        # The state moved on (or, equivalently, a completion it would write exists): compute again.
        raise _Stale from None
    return validated


def run(
    entity_id: str,
    pid: str,
    identity_id: str,
    campaign: Campaign,
    compute: Callable[[dict[str, Any]], engine.Outcome],
    *,
    via: Identifier | None = None,
) -> engine.Outcome:
    """Compute an outcome from the current state and commit it, again on a concurrent change. `via`: the
    identifier the request named the person by (its activity items name them by it first)."""
    for attempt in range(ATTEMPTS):
        participant = read(entity_id, pid, identity_id, names=True, via=via)
        outcome = compute(participant.state)
        if not outcome.changed:
            return outcome
        try:
            validated = _commit(campaign, participant, outcome)
        except _Stale:
            _backoff(attempt)
            continue
        if validated is not None:
            evaluate_referrer(entity_id, pid, validated, campaign)
        return outcome
    raise Retryable("the participant changed concurrently too often; try again")


def _backoff(attempt: int) -> None:
    # Full jitter, so competing writers spread out instead of colliding again in step.
    time.sleep(random.uniform(0, min(0.5, 0.005 * 2**attempt)))  # noqa: S311 - not cryptographic


def evaluate_referrer(entity_id: str, pid: str, referrer_id: str, campaign: Campaign) -> engine.Outcome:
    """A referrer's `referral` tasks against their count of valid referrals."""
    now = clock.now()
    return run(
        entity_id, pid, referrer_id, campaign, lambda state: engine.apply_referrals(campaign, state, now)
    )


def refresh_referral(entity_id: str, pid: str, identity_id: str, campaign: Campaign) -> None:
    """Re-check whether this participant's referral has become valid (after a reward, or once set)."""

    def compute(state: dict[str, Any]) -> engine.Outcome:
        return engine.Outcome(
            dict(state), [], [], changed=bool(state.get("referrer")) and not state.get("referral_valid")
        )

    participant = read(entity_id, pid, identity_id)
    pending = participant.state.get("referrer") and not participant.state.get("referral_valid")
    if pending and engine.referral_becomes_valid(campaign, participant.state, participant.balance["total"]):
        run(entity_id, pid, identity_id, campaign, compute)
