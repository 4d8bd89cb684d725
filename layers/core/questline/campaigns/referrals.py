"""Referrals: a `ref_id` per (campaign, identity), and a referrer set once, never to oneself or into a
cycle. The referral becomes valid when the referee reaches the campaign's `min_points` and completes one of
its referral tasks (`participants` checks it with every change); from then on the referrer earns each
completed action's `ref_xp`.

No cycle, under any concurrency: setting a referrer reads the referrer's chain of referrers (consistently)
and writes the new link in one transaction with a check on every link of that chain, as read. Two requests
that would close a cycle between them each change a link the other checks, so at most one commits; the
other reads the chain again and finds the cycle.
"""

from __future__ import annotations

import secrets
from typing import Any, NamedTuple

from questline import clock
from questline.campaigns import participants
from questline.campaigns.definition import Campaign
from questline.campaigns.preview import expiry
from questline.errors import NotFound, Retryable, RuleViolation
from questline.storage import get_table, keys
from questline.storage.table import ConditionFailed, TxCheck, TxPut, TxUpdate, Update, equals, not_exists

_REF_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
MAX_CHAIN = 64  # links checked in the transaction, with the two writes: within its 100 operations
ATTEMPTS = 8


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


class _Link(NamedTuple):
    identity_id: str
    referrer: str | None  # as read: the transaction checks it is still so


def _referrer_chain(entity_id: str, pid: str, start: str) -> list[_Link]:
    """`start`, its referrer, theirs… up to one without a referrer, read consistently. A chain longer than
    `MAX_CHAIN` cannot be checked inside one transaction, and is refused."""
    chain: list[_Link] = []
    current: str | None = start
    table = get_table()
    while current is not None:
        if len(chain) == MAX_CHAIN:
            raise RuleViolation(
                f"the referrer's chain of referrers is longer than {MAX_CHAIN}",
                code="referral_chain_too_long",
                field="ref_id",
            )
        state = table.get(keys.participant(entity_id, pid, current), consistent=True) or {}
        referrer = str(state["referrer"]) if state.get("referrer") else None
        chain.append(_Link(current, referrer))
        current = referrer
    return chain


def _unchanged(entity_id: str, pid: str, link: _Link) -> TxCheck:
    condition = equals("referrer", link.referrer) if link.referrer else not_exists("referrer")
    return TxCheck(keys.participant(entity_id, pid, link.identity_id), condition)


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
    for _ in range(ATTEMPTS):
        chain = _referrer_chain(entity_id, pid, referrer_id)
        if any(link.identity_id == referee_id for link in chain):
            raise RuleViolation(
                "that referrer was referred, directly or not, by this user",
                code="referral_cycle",
                field="ref_id",
            )
        try:
            _write_link(entity_id, pid, referee_id, referrer_id, referee_label, chain)
            break
        except _ChainMoved:
            continue  # a referrer up the chain was set meanwhile: read the chain again
    else:
        raise Retryable("referrers of this chain are changing concurrently; try again")
    participants.refresh_referral(entity_id, pid, referee_id, campaign)


class _ChainMoved(Exception):
    """Internal: a link of the referrer's chain changed since it was read."""


def _write_link(
    entity_id: str,
    pid: str,
    referee_id: str,
    referrer_id: str,
    referee_label: str | None,
    chain: list[_Link],
) -> None:
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
                # The chain as read: a referrer set meanwhile anywhere up it could close a cycle.
                *(_unchanged(entity_id, pid, link) for link in chain),
            ]
        )
    except ConditionFailed as failed:
        if failed.index is not None and failed.index >= 2:
            raise _ChainMoved from None
        raise RuleViolation(
            "this user already has a referrer", code="referrer_already_set", field="account"
        ) from None


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
