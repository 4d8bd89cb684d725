"""Referrals: a `ref_id` per (campaign, identity), and a referrer set once, never to oneself or into a
cycle. The referral becomes valid when the referee reaches the campaign's `min_points` and completes one of
its referral tasks (`participants` checks it with every change); from then on the referrer earns each
completed action's `ref_xp`.
"""

from __future__ import annotations

import secrets
from typing import Any

from questline import clock
from questline.campaigns import participants
from questline.campaigns.definition import Campaign
from questline.campaigns.preview import expiry
from questline.errors import NotFound, RuleViolation
from questline.storage import get_table, keys
from questline.storage.table import ConditionFailed, TxCheck, TxPut, TxUpdate, Update, differs, not_exists

_REF_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
MAX_CHAIN = 64


def _new_ref_id() -> str:
    return "".join(secrets.choice(_REF_ALPHABET) for _ in range(10))


def ref_id_of(entity_id: str, pid: str, identity_id: str, *, create: bool = True) -> str:
    """The participant's referral id, made on first request (GET /user/ref_id)."""
    table = get_table()
    for _ in range(5):
        state = table.get(keys.participant(entity_id, pid, identity_id), consistent=True) or {}
        if state.get("ref_id"):
            return str(state["ref_id"])
        if not create:
            raise NotFound("this user has no referral id in this campaign", field="account")
        ref = _new_ref_id()
        try:
            table.transact_write(
                [
                    TxPut(
                        {
                            **keys.ref_id(entity_id, pid, ref),
                            "type": "ref_id",
                            "entity_id": entity_id,
                            "pid": pid,
                            "identity_id": identity_id,
                            **expiry(pid),
                        },
                        condition=not_exists(),
                    ),
                    TxUpdate(
                        keys.participant(entity_id, pid, identity_id),
                        Update(
                            set={"ref_id": ref, **expiry(pid)},
                            set_if_absent={
                                "type": "participant",
                                "entity_id": entity_id,
                                "pid": pid,
                                "identity_id": identity_id,
                                "created_at": clock.iso(),
                                **participants.participation_listing(entity_id, identity_id, pid),
                            },
                        ),
                        condition=not_exists("ref_id"),
                    ),
                ]
            )
            return ref
        except ConditionFailed:
            continue  # another request made one first, or (rarely) the random id was taken: look again
    raise RuleViolation("could not assign a referral id; try again")


def owner_of_ref_id(entity_id: str, pid: str, ref: str) -> str:
    item = get_table().get(keys.ref_id(entity_id, pid, ref))
    if item is None:
        raise NotFound(f"no user has referral id {ref!r} in this campaign", field="ref_id")
    return str(item["identity_id"])


def _referrer_chain(entity_id: str, pid: str, start: str) -> list[str]:
    chain: list[str] = []
    current: str | None = start
    table = get_table()
    while current is not None and len(chain) < MAX_CHAIN:
        chain.append(current)
        state = table.get(keys.participant(entity_id, pid, current)) or {}
        current = str(state["referrer"]) if state.get("referrer") else None
    return chain


def set_referrer(
    entity_id: str,
    pid: str,
    referee_id: str,
    referrer_id: str,
    campaign: Campaign,
    *,
    referee_label: str | None = None,
) -> None:
    """Record who referred `referee_id` (named `referee_label` in listings): once, not oneself, not into a
    cycle."""
    if referee_id == referrer_id:
        raise RuleViolation("a user cannot refer themselves", code="self_referral", field="ref_id")
    if referee_id in _referrer_chain(entity_id, pid, referrer_id):
        raise RuleViolation(
            "that referrer was referred, directly or not, by this user", code="referral_cycle", field="ref_id"
        )
    now = clock.iso()
    try:
        get_table().transact_write(
            [
                TxUpdate(
                    keys.participant(entity_id, pid, referee_id),
                    Update(
                        set={"referrer": referrer_id, "referred_at": now, **expiry(pid)},
                        set_if_absent={
                            "type": "participant",
                            "entity_id": entity_id,
                            "pid": pid,
                            "identity_id": referee_id,
                            "created_at": now,
                            **participants.participation_listing(entity_id, referee_id, pid),
                        },
                    ),
                    condition=not_exists("referrer"),
                ),
                # A referrer named concurrently the other way round would close a cycle of two.
                TxCheck(
                    keys.participant(entity_id, pid, referrer_id),
                    not_exists("referrer") | differs("referrer", referee_id),
                ),
                TxPut(
                    {
                        **keys.referee(entity_id, pid, referrer_id, referee_id),
                        "type": "referee",
                        "entity_id": entity_id,
                        "pid": pid,
                        "referrer_id": referrer_id,
                        "referee_id": referee_id,
                        "referee_label": referee_label,
                        "status": "pending",
                        "ref_xp": 0,
                        "created_at": now,
                        **expiry(pid),
                    },
                    condition=not_exists(),
                ),
            ]
        )
    except ConditionFailed as failed:
        if failed.index == 1:
            raise RuleViolation(
                "that referrer was referred by this user", code="referral_cycle", field="ref_id"
            ) from None
        raise RuleViolation(
            "this user already has a referrer", code="referrer_already_set", field="account"
        ) from None
    participants.refresh_referral(entity_id, pid, referee_id, campaign)


def referees_of(entity_id: str, pid: str, referrer_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    start = None
    while True:
        page = get_table().query(
            keys.participant_partition(entity_id, pid, referrer_id),
            begins_with=keys.REFEREE_PREFIX,
            start_key=start,
        )
        items += page.items
        if page.last_key is None:
            return items
        start = page.last_key
