"""The points ledger: per (campaign, identity) a balance `{xp, ref_xp, ugc_xp}` (and their `total`) and an
append-only ledger of entries, each with a unique id.

Every change is one transaction of its ledger entry (conditional on its id not existing) and the balance
update (for a strict withdrawal, conditional on the balance covering it). So a repeated request with the
same id and the same body credits nothing more and answers success; the same id with another body is a
409; and no concurrency takes a strict balance below zero. No read comes first: a repeat is recognised from
the entry the failed condition hands back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from questline import clock
from questline.campaigns.preview import expiry
from questline.errors import Conflict, RuleViolation
from questline.storage import get_table, keys
from questline.storage.table import ConditionFailed, TxPut, TxUpdate, Update, at_least, not_exists

BUCKETS = ("xp", "ref_xp", "ugc_xp")


class Entry(NamedTuple):
    """One ledger change, as a transaction operation needs it."""

    entry_id: str
    identity_id: str
    bucket: str  # xp, ref_xp or ugc_xp
    delta: int
    kind: str  # reward, withdraw, completion, quest, referral, merge, reversal
    details: Mapping[str, Any] = {}


def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def entry_item(
    entity_id: str, pid: str, entry: Entry, *, fingerprint_of: str | None = None
) -> dict[str, Any]:
    at = clock.iso()
    return {
        **keys.ledger_entry(entity_id, pid, entry.entry_id),
        **keys.ledger_listing(entity_id, pid, entry.identity_id, at, entry.entry_id),
        "type": "ledger_entry",
        "entity_id": entity_id,
        "pid": pid,
        "identity_id": entry.identity_id,
        "entry_id": entry.entry_id,
        "kind": entry.kind,
        "bucket": entry.bucket,
        "xp": entry.delta,
        "fingerprint": fingerprint_of
        or fingerprint(entry.identity_id, entry.bucket, entry.delta, entry.kind),
        "created_at": at,
        **dict(entry.details),
        **expiry(pid),
    }


TASK_XP_PREFIX = "task#"


def task_xp_attribute(action_id: str) -> str:
    """The balance attribute holding the XP a user earned from one action's completions (leaderboards
    that count only some tasks read these)."""
    return f"{TASK_XP_PREFIX}{action_id}"


def task_xp_of(balance: Mapping[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in balance.items() if k.startswith(TASK_XP_PREFIX) and int(v)}


def balance_update(
    entity_id: str,
    pid: str,
    identity_id: str,
    deltas: Mapping[str, int],
    *,
    task_xp: Mapping[str, int] | None = None,
    also_set: Mapping[str, Any] | None = None,
    also_add: Mapping[str, int] | None = None,
) -> Update:
    """ADD the deltas (and their sum to `total`), and `task_xp` (balance attribute -> XP) to the per-task
    breakdown. `rev` counts changes and `at` (epoch milliseconds) says when the last one happened, so the
    stream's projections (statistics, leaderboard) apply each change once and know when a score was
    reached; the listing puts the balance among the identity's campaigns, where a merge finds it.
    `also_set` and `also_add`: further attributes (the points-expiry counters, `points_expiry`)."""
    return Update(
        set={"at": int(clock.now() * 1000), **expiry(pid), **(also_set or {})},
        add={
            **{bucket: amount for bucket, amount in deltas.items() if amount},
            **{attribute: amount for attribute, amount in (task_xp or {}).items() if amount},
            **{attribute: amount for attribute, amount in (also_add or {}).items() if amount},
            "total": sum(deltas.values()),
            "rev": 1,
        },
        set_if_absent={
            "type": "balance",
            "entity_id": entity_id,
            "pid": pid,
            "identity_id": identity_id,
            **keys.campaign_listing(entity_id, identity_id, pid, "balance"),
        },
    )


SPENT = "lots_out"  # XP taken from a balance whose campaign's points expire (`points_expiry`)


def _operations(entity_id: str, pid: str, entry: Entry, *, strict: bool, spends_lots: bool) -> list[Any]:
    condition = at_least(entry.bucket, -entry.delta) if strict and entry.delta < 0 else None
    spent = {SPENT: -entry.delta} if spends_lots and entry.bucket == "xp" and entry.delta < 0 else None
    return [
        TxPut(entry_item(entity_id, pid, entry), condition=not_exists(), return_old_on_failure=True),
        TxUpdate(
            keys.balance(entity_id, pid, entry.identity_id),
            balance_update(entity_id, pid, entry.identity_id, {entry.bucket: entry.delta}, also_add=spent),
            condition=condition,
        ),
    ]


def change(
    entity_id: str, pid: str, entry: Entry, *, strict: bool = False, spends_lots: bool = False
) -> bool:
    """Apply one entry once. True when this call applied it, False when the same entry (same id, same
    body) was applied before; Conflict when the id was used with another body; RuleViolation when a
    strict withdrawal exceeds the balance. `spends_lots`: the campaign's points expire, so a withdrawal
    counts into what the balance's credits have given (`points_expiry`, oldest credits first)."""
    operations = _operations(entity_id, pid, entry, strict=strict, spends_lots=spends_lots)
    try:
        get_table().transact_write(operations)
    except ConditionFailed as failed:
        if failed.index == 0:
            repeated(entry, failed.item or {})
            return False
        raise RuleViolation(
            f"the balance does not cover {-entry.delta} {entry.bucket}",
            code="insufficient_balance",
            field="xp",
        ) from None
    return True


def repeated(entry: Entry, earlier: Mapping[str, Any]) -> None:
    """An entry whose id is taken: a repeat of the same body passes, another body is a Conflict."""
    if earlier.get("fingerprint") != fingerprint(entry.identity_id, entry.bucket, entry.delta, entry.kind):
        raise Conflict(f"id {entry.entry_id!r} was already used with another body", field="id")


def balance_item(entity_id: str, pid: str, identity_id: str) -> dict[str, Any]:
    """The balance item as stored now (consistent; empty when there is none): what a conditional change
    computed from it checks is unchanged (`rev`)."""
    return get_table().get(keys.balance(entity_id, pid, identity_id), consistent=True) or {}


def balance_of(entity_id: str, pid: str, identity_id: str, *, consistent: bool = False) -> dict[str, int]:
    item = get_table().get(keys.balance(entity_id, pid, identity_id), consistent=consistent) or {}
    return {bucket: int(item.get(bucket, 0)) for bucket in (*BUCKETS, "total")}


def entries_of(entity_id: str, pid: str, identity_id: str, *, limit: int = 200) -> list[dict[str, Any]]:
    return get_table().query(keys.ledger_of(entity_id, pid, identity_id), index="GSI1", limit=limit).items
