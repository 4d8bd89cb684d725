"""Referrals: a `ref_id` per (campaign, identity), and a referrer set once, never to oneself or into a
cycle. The referral becomes valid when the referee reaches the campaign's `min_points` and completes one of
its referral tasks (`participants` checks it with every change); from then on the referrer earns each
completed action's `ref_xp`.

No cycle, under any concurrency: setting a referrer reads the referrer's chain of referrers (consistently)
and writes the new link in one transaction with a check on every link of that chain, as read. Two requests
that would close a cycle between them each change a link the other checks, so at most one commits; the
other reads the chain again and finds the cycle.

Fraud signals. Self-referrals and cycles are refused (422). A referral that is recorded has a status:
`pending` until it becomes valid (`valid`), or `rejected` at once with a reason, and then never valid and
never paying:

* `same_fingerprint` / `shared_identifier`: one of them sent an identifier the other holds (an Endu
  fingerprint; an email, a phone…) and the identity graph refused to merge them, keeping the refusal as a
  conflict between the two (one GetItem);
* `same_device`: both registered the same device id (one bounded Query of each person's devices, at most
  `MAX_SIGNALS` each);
* `velocity`: the referrer already made the campaign's `referral.max_per_referrer_per_day` referrals this
  UTC day. The count is kept on the referrer's participant item, written in the link's transaction with a
  condition on the count as read, so concurrent referrals never exceed it.

A decision (valid, rejected) is a `referral` activity item: the `referral` webhook scope sends it.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any, NamedTuple

from questline import clock
from questline.campaigns import participants
from questline.campaigns.definition import Campaign
from questline.campaigns.preview import expiry
from questline.errors import NotFound, Retryable, RuleViolation
from questline.identity.names import names_of
from questline.storage import get_table, keys
from questline.storage.cursor import decode_cursor, encode_cursor
from questline.storage.table import (
    Condition,
    ConditionFailed,
    TxCheck,
    TxPut,
    TxUpdate,
    Update,
    equals,
    not_exists,
)

_REF_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
MAX_SIGNALS = 50  # devices read per person for the shared-device check
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
    day: str | None = None  # the referrer's count of referrals today, as read (velocity)
    day_count: int = 0


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
        day = str(state["ref_day"]) if state.get("ref_day") else None
        chain.append(_Link(current, referrer, day, int(state.get("ref_day_count", 0))))
        current = referrer
    return chain


def _as_read(link: _Link) -> Condition:
    return equals("referrer", link.referrer) if link.referrer else not_exists("referrer")


def _unchanged(entity_id: str, pid: str, link: _Link) -> TxCheck:
    return TxCheck(keys.participant(entity_id, pid, link.identity_id), _as_read(link))


def _counted(entity_id: str, pid: str, link: _Link, today: str) -> TxUpdate:
    """The referrer's link, checked as read, and its count of referrals today (velocity) moved on by one."""
    count = link.day_count + 1 if link.day == today else 1
    as_counted = (
        equals("ref_day", link.day) & equals("ref_day_count", link.day_count)
        if link.day
        else not_exists("ref_day")
    )
    return TxUpdate(
        keys.participant(entity_id, pid, link.identity_id),
        Update(
            set={"ref_day": today, "ref_day_count": count, **expiry(pid)},
            set_if_absent={
                "type": "participant",
                "entity_id": entity_id,
                "pid": pid,
                "identity_id": link.identity_id,
                "created_at": clock.iso(),
                **participants.participation_listing(entity_id, link.identity_id, pid),
            },
        ),
        condition=_as_read(link) & as_counted,
    )


def _rejection(
    entity_id: str, pid: str, referee_id: str, referrer: _Link, campaign: Campaign, today: str
) -> str | None:
    """Why this referral is rejected, or None: the referrer's pace, or a signal the two people share."""
    limit = campaign.referral.max_per_referrer_per_day
    if limit is not None and referrer.day == today and referrer.day_count >= limit:
        return "velocity"
    table = get_table()
    # An identifier one of them sent that the other holds (an Endu fingerprint, an email, a phone) was
    # refused as a link between them: the identity graph kept it as a conflict, on both (one GetItem).
    conflict = table.get(keys.identity_conflict(entity_id, referee_id, referrer.identity_id))
    if conflict is not None:
        kind = (conflict.get("identifier") or {}).get("kind")
        return "same_fingerprint" if kind == "fingerprint" else "shared_identifier"
    if _devices(entity_id, referee_id) & _devices(entity_id, referrer.identity_id):
        return "same_device"
    return None


def _devices(entity_id: str, identity_id: str) -> set[str]:
    """A person's device ids (a device may be registered by several people: a shared phone)."""
    page = get_table().query(
        keys.identity_partition(entity_id, identity_id), begins_with=keys.DEVICE_PREFIX, limit=MAX_SIGNALS
    )
    return {str(i["device_id"]) for i in page.items if i.get("device_id")}


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
    today = datetime.fromtimestamp(clock.now(), tz=UTC).strftime("%Y-%m-%d")
    for _ in range(ATTEMPTS):
        chain = _referrer_chain(entity_id, pid, referrer_id)
        if any(link.identity_id == referee_id for link in chain):
            raise RuleViolation(
                "that referrer was referred, directly or not, by this user",
                code="referral_cycle",
                field="ref_id",
            )
        rejected = _rejection(entity_id, pid, referee_id, chain[0], campaign, today)
        counted = campaign.referral.max_per_referrer_per_day is not None and rejected is None
        try:
            _write_link(
                entity_id,
                pid,
                referee_id,
                referrer_id,
                referee_label,
                chain,
                rejected,
                today if counted else None,
            )
            break
        except _ChainMoved:
            continue  # a referrer up the chain was set (or referred someone) meanwhile: read it again
    else:
        raise Retryable("referrers of this chain are changing concurrently; try again")
    if rejected is None:
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
    rejected: str | None,
    counted_on: str | None,
) -> None:
    """The link: the referee's referrer, the referrer's referee item (pending, or rejected with its reason),
    the decision's activity item when rejected, and the chain checked as read (with the referrer's count of
    referrals today moved on, when the campaign limits it)."""
    now = clock.iso()
    status = {"status": "rejected", "reason": rejected} if rejected else {"status": "pending"}
    decided = []
    if rejected:  # named as the integrator knows both people, as the valid decision is
        table = get_table()
        referee_names = names_of(table.get(keys.identity(entity_id, referee_id)))
        referrer_names = names_of(table.get(keys.identity(entity_id, referrer_id)))
        decided.append(
            TxPut(
                {
                    **keys.referral(entity_id, pid, referee_id),
                    "type": "referral",
                    "entity_id": entity_id,
                    "pid": pid,
                    "identity_id": referee_id,
                    "referrer_id": referrer_id,
                    "at": now,
                    **referee_names,
                    **({"referrer": referrer_names} if referrer_names else {}),
                    **status,
                    **expiry(pid),
                },
                condition=not_exists(),
            )
        )
    referrer, *above = chain
    first_check = (
        _counted(entity_id, pid, referrer, counted_on) if counted_on else _unchanged(entity_id, pid, referrer)
    )
    try:
        get_table().transact_write(
            [
                TxUpdate(
                    keys.participant(entity_id, pid, referee_id),
                    Update(
                        set={
                            "referrer": referrer_id,
                            "referred_at": now,
                            **({"referral_rejected": rejected} if rejected else {}),
                            **expiry(pid),
                        },
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
                        **status,
                        "ref_xp": 0,
                        "created_at": now,
                        **expiry(pid),
                    },
                    condition=not_exists(),
                ),
                # The chain as read: a referrer set meanwhile anywhere up it could close a cycle.
                first_check,
                *(_unchanged(entity_id, pid, link) for link in above),
                *decided,
            ]
        )
    except ConditionFailed as failed:
        if failed.index is not None and failed.index >= 2:
            raise _ChainMoved from None
        raise RuleViolation(
            "this user already has a referrer", code="referrer_already_set", field="account"
        ) from None


MAX_REFEREES_PAGE = 100


def referee_page(
    entity_id: str, pid: str, referrer_id: str, *, limit: int, after: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a referrer's referral links (one Query of at most `limit` items) and the cursor of the
    next page (None at the last): what `/user/referrals` reads, whatever the number of referees."""
    partition = keys.participant_partition(entity_id, pid, referrer_id)
    page = get_table().query(
        partition,
        begins_with=keys.REFEREE_PREFIX,
        limit=min(limit, MAX_REFEREES_PAGE),
        start_key=decode_cursor(after, partition_attr=keys.PK, partition=partition, field="after"),
    )
    return page.items, encode_cursor(page.last_key)


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
