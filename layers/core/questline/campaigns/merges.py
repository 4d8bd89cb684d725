"""When two identities merge (the identity graph), what they hold in campaigns becomes the survivor's,
exactly once per campaign: the loser's balance moves by ledger entries (credited to the survivor, debited
from the loser), its progress joins the survivor's, and its referral links follow. The transaction marks
the loser's participant `consolidated_into`, conditional on it not being so already."""

from __future__ import annotations

import contextlib
from typing import Any

from questline import clock
from questline.campaigns import participants, personal_boosts
from questline.campaigns.engine import MAX_APPLIED, MAX_WINDOW_LOGS
from questline.campaigns.ledger import Entry, balance_update, entry_item, task_xp_of
from questline.campaigns.participants import Participant
from questline.storage import get_table, keys
from questline.storage.keys import GSI1
from questline.storage.table import ConditionFailed, TxPut, TxUpdate, Update, equals, not_exists


def campaigns_of(entity_id: str, identity_id: str) -> list[str]:
    page = get_table().query(keys.campaigns_of_identity(entity_id, identity_id), index=GSI1)
    return list(dict.fromkeys(str(item["pid"]) for item in page.items))  # its task state and its balance


def consolidate(entity_id: str, survivor_id: str, loser_id: str) -> int:
    """Fold every campaign of `loser_id` into `survivor_id`; returns how many campaigns moved."""
    moved = 0
    for pid in campaigns_of(entity_id, loser_id):
        if _consolidate_campaign(entity_id, pid, survivor_id, loser_id):
            moved += 1
    return moved


def _joined_actions(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    joined = dict(ours)
    for action_id, other in theirs.items():
        mine = joined.get(action_id)
        if mine is None or int(other.get("n", 0)) > int(mine.get("n", 0)):
            joined[action_id] = other
        elif int(other.get("n", 0)) == int(mine.get("n", 0)):
            joined[action_id] = {
                **mine,
                "count": int(mine.get("count", 0)) + int(other.get("count", 0)),
                "value": float(mine.get("value", 0)) + float(other.get("value", 0)),
                "logs": [*mine.get("logs", []), *other.get("logs", [])][-MAX_WINDOW_LOGS:],
                "last": max(filter(None, [mine.get("last"), other.get("last")]), default=None),
            }
    return joined


def _consolidate_campaign(entity_id: str, pid: str, survivor_id: str, loser_id: str) -> bool:
    table = get_table()
    for _ in range(participants.ATTEMPTS):
        loser = participants.read(entity_id, pid, loser_id, names=True)
        if loser.state.get("consolidated_into"):
            return False
        survivor = participants.read(entity_id, pid, survivor_id, names=True)
        state = _joined_state(survivor, loser)
        referrals = int(loser.state.get("valid_referrals", 0) or 0)
        operations: list[Any] = [
            _versioned(survivor, state, referrals),
            _mark_consolidated(loser, survivor_id),
        ]
        moved = {
            bucket: loser.balance[bucket] for bucket in ("xp", "ref_xp", "ugc_xp") if loser.balance[bucket]
        }
        for bucket, amount in moved.items():
            credit = Entry(
                f"m:{loser_id}:{bucket}",
                survivor_id,
                bucket,
                amount,
                "merge",
                {"from_identity_id": loser_id, **survivor.names},
            )
            debit = Entry(
                f"m:{loser_id}:{bucket}:out",
                loser_id,
                bucket,
                -amount,
                "merge",
                {"to_identity_id": survivor_id, **loser.names},
            )
            operations += [
                TxPut(entry_item(entity_id, pid, credit), condition=not_exists()),
                TxPut(entry_item(entity_id, pid, debit), condition=not_exists()),
            ]
        task_xp = task_xp_of(loser.balance)
        if moved or task_xp:
            operations.append(
                TxUpdate(
                    keys.balance(entity_id, pid, survivor_id),
                    balance_update(entity_id, pid, survivor_id, moved, task_xp=task_xp),
                )
            )
        # The loser's balance empties and says where it went, even when it held nothing: the statistics
        # (`campaigns.projection`) then stop counting the loser as a participant of its own.
        emptied = balance_update(
            entity_id,
            pid,
            loser_id,
            {bucket: -amount for bucket, amount in moved.items()},
            task_xp={attribute: -amount for attribute, amount in task_xp.items()},
        )
        operations.append(
            TxUpdate(
                keys.balance(entity_id, pid, loser_id),
                emptied._replace(set={**emptied.set, "merged_into": survivor_id}),
            )
        )
        try:
            table.transact_write(operations)
        except ConditionFailed:
            continue  # the survivor changed meanwhile, or another consolidation won: look again
        _follow_referrals(entity_id, pid, survivor_id, loser_id)
        return True
    return False


def _joined_state(survivor: Participant, loser: Participant) -> dict[str, Any]:
    ours, theirs = survivor.state, loser.state
    referrer = ours.get("referrer") or (
        theirs.get("referrer") if theirs.get("referrer") != survivor.identity_id else None
    )
    return {
        "actions": _joined_actions(dict(ours.get("actions", {})), dict(theirs.get("actions", {}))),
        "quests": {**dict(theirs.get("quests", {})), **dict(ours.get("quests", {}))},
        "applied": [*ours.get("applied", []), *theirs.get("applied", [])][-MAX_APPLIED:],
        "referral_valid": bool(ours.get("referral_valid") or theirs.get("referral_valid")),
        "referrer": referrer,
        "streaks": _joined_streaks(dict(ours.get("streaks") or {}), dict(theirs.get("streaks") or {})),
        "achievements": _joined_achievements(
            dict(ours.get("achievements") or {}), dict(theirs.get("achievements") or {})
        ),
        "boosts": personal_boosts.joined(dict(ours.get("boosts") or {}), dict(theirs.get("boosts") or {})),
    }


def _joined_streaks(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Per streak, the run extended last (the longer one on the same period), with the longest of both."""

    def rank(streak: dict[str, Any]) -> tuple[str, int]:
        return str(streak.get("last") or ""), int(streak.get("current", 0))

    joined = dict(ours)
    for streak_id, their in theirs.items():
        mine = joined.get(streak_id)
        kept = dict(their if mine is None or rank(their) > rank(mine) else mine)
        kept["longest"] = max(int((mine or {}).get("longest", 0)), int(their.get("longest", 0)))
        joined[streak_id] = kept
    return joined


def _joined_achievements(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """An achievement either person was awarded stays awarded (its XP came with the balance), so it is
    never awarded again; otherwise the survivor's counts."""
    joined = dict(ours)
    for achievement_id, their in theirs.items():
        mine = joined.get(achievement_id)
        if mine is None or (their.get("done") and not mine.get("done")):
            joined[achievement_id] = their
    return joined


def _versioned(p: Participant, state: dict[str, Any], valid_referrals: int) -> TxUpdate:
    fields = {k: v for k, v in state.items() if v is not None}
    return TxUpdate(
        keys.participant(p.entity_id, p.pid, p.identity_id),
        Update(
            set=fields,
            add={"v": 1, "valid_referrals": valid_referrals},
            set_if_absent={
                "type": "participant",
                "entity_id": p.entity_id,
                "pid": p.pid,
                "identity_id": p.identity_id,
                "created_at": clock.iso(),
                **participants.participation_listing(p.entity_id, p.identity_id, p.pid),
            },
        ),
        condition=equals("v", p.version) if p.version else not_exists("v"),
    )


def _mark_consolidated(p: Participant, survivor_id: str) -> TxUpdate:
    return TxUpdate(
        keys.participant(p.entity_id, p.pid, p.identity_id),
        Update(
            set={"consolidated_into": survivor_id, "consolidated_at": clock.iso()},
            set_if_absent={
                "type": "participant",
                "entity_id": p.entity_id,
                "pid": p.pid,
                "identity_id": p.identity_id,
                "created_at": clock.iso(),
            },
        ),
        condition=not_exists("consolidated_into"),
    )


def _follow_referrals(entity_id: str, pid: str, survivor_id: str, loser_id: str) -> None:
    """The loser's referees now count for the survivor; its referral id answers for the survivor."""
    table = get_table()
    from questline.campaigns.referrals import referees_of

    for link in referees_of(entity_id, pid, loser_id):
        referee_id = str(link["referee_id"])
        if referee_id == survivor_id:
            continue
        table.put(
            {**link, **keys.referee(entity_id, pid, survivor_id, referee_id), "referrer_id": survivor_id}
        )
        with contextlib.suppress(ConditionFailed):  # already following the survivor
            table.update(
                keys.participant(entity_id, pid, referee_id),
                Update(set={"referrer": survivor_id}),
                condition=equals("referrer", loser_id),
                return_values="NONE",
            )
    loser_state = table.get(keys.participant(entity_id, pid, loser_id)) or {}
    if loser_state.get("ref_id"):
        table.update(
            keys.ref_id(entity_id, pid, str(loser_state["ref_id"])),
            Update(set={"identity_id": survivor_id}),
            return_values="NONE",
        )
