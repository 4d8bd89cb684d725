"""Reversals: an earlier reward (`POST /user/reward`, `/wallet/reward`) or a completion's XP taken back by
its ledger entry's id, with a compensating entry of kind `reversal` that names the entry it reverses.

* Once: the reversal is stored beside the entry it reverses (`keys.ledger_reversal`), written on condition
  it does not exist; the same id again answers what the first reversal did (`already_reversed: true`).
* Never below zero: the points may have been spent. A reversal takes the bucket down to zero at most and
  says what it took (`reversed_xp`) and what it could not (`unrecovered_xp`). The balance is read
  consistently and the write is conditional on its revision (`rev`) being unchanged, so a withdrawal or a
  reward landing in between makes it read again and compute again: never negative, never counted twice.
* A completion's reversal also reverses the referrer's share of it (the `ref_xp` entry the completion paid,
  on the same terms: down to zero at most) and the referral's running `ref_xp`. A reward pays the referrer
  nothing (`ref_xp` comes from actions only), so its reversal leaves the referrer alone.
* The balance changes like any other (`ledger.balance_update`), so leaderboards, statistics and levels
  follow it through the table's stream.

Only `reward` and `completion` entries are reversible: a withdrawal, a quest bonus, a referral share or a
reversal is a 422 `not_reversible`; an id this user has no entry under is a 404.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from questline.campaigns import ledger
from questline.campaigns.ledger import SPENT, Entry, balance_update, entry_item, task_xp_attribute
from questline.errors import NotFound, Retryable, RuleViolation
from questline.storage import get_table, keys
from questline.storage.table import ConditionFailed, TxCheck, TxPut, TxUpdate, Update, equals, not_exists

REVERSIBLE = ("reward", "completion")
REVERSAL_PREFIX = "reversal:"
ATTEMPTS = 10
REASON_MAX = 500


class _Share(NamedTuple):
    """The referrer's entry a completion paid."""

    entry: dict[str, Any]
    referrer_id: str


def _answer(stored: dict[str, Any], *, already: bool) -> dict[str, Any]:
    return {
        "id": str(stored["reverses"]),
        "reversed_xp": int(stored.get("reversed_xp", 0)),
        "unrecovered_xp": int(stored.get("unrecovered_xp", 0)),
        "referrer_reversed_xp": int(stored.get("referrer_reversed_xp", 0)),
        "already_reversed": already,
    }


def _reversible(entity_id: str, pid: str, identity_id: str, entry_id: str) -> dict[str, Any]:
    table = get_table()
    original = table.get(keys.ledger_entry(entity_id, pid, entry_id), consistent=True)
    if original is None and entry_id.startswith(REVERSAL_PREFIX):
        reversed_one = entry_id[len(REVERSAL_PREFIX) :]
        reversal = table.get(keys.ledger_reversal(entity_id, pid, reversed_one), consistent=True)
        if reversal is not None and reversal.get("identity_id") == identity_id:
            raise RuleViolation("a reversal cannot be reversed", code="not_reversible", field="id")
    if original is None or original.get("identity_id") != identity_id:
        raise NotFound(f"this user has no ledger entry {entry_id!r} in this campaign", field="id")
    if original.get("kind") not in REVERSIBLE:
        raise RuleViolation(
            f"a {original.get('kind')} entry cannot be reversed (only rewards and completions)",
            code="not_reversible",
            field="id",
        )
    return original


def _share_of(entity_id: str, pid: str, original: dict[str, Any]) -> _Share | None:
    """The referrer's `ref_xp` entry a completion paid (`participants._earnings` names it `r:` + the
    completion's id after its `c:`), if it paid one."""
    entry_id = str(original["entry_id"])
    if original.get("kind") != "completion" or not entry_id.startswith("c:"):
        return None
    share = get_table().get(keys.ledger_entry(entity_id, pid, f"r:{entry_id[2:]}"), consistent=True)
    if share is None or share.get("kind") != "referral":
        return None
    return _Share(share, str(share["identity_id"]))


def _unchanged(held: dict[str, Any]) -> Any:
    return equals("rev", held["rev"]) if "rev" in held else not_exists()


def _taking(
    entity_id: str,
    pid: str,
    entry: dict[str, Any],
    held: dict[str, Any],
    details: dict[str, Any],
    *,
    spends_lots: bool = False,
) -> tuple[list[Any], int]:
    """The reversal entry of `entry` and the balance change, taking at most what the balance holds."""
    identity_id, bucket, xp = str(entry["identity_id"]), str(entry["bucket"]), int(entry["xp"])
    taken = max(0, min(xp, int(held.get(bucket, 0))))
    reversal = Entry(
        f"{REVERSAL_PREFIX}{entry['entry_id']}",
        identity_id,
        bucket,
        -taken,
        "reversal",
        {
            **details,
            "reverses": str(entry["entry_id"]),
            "reversed_kind": str(entry["kind"]),
            "reversed_xp": taken,
            "unrecovered_xp": xp - taken,
        },
    )
    item = {
        **entry_item(entity_id, pid, reversal),
        **keys.ledger_reversal(entity_id, pid, str(entry["entry_id"])),
    }
    balance_key = keys.balance(entity_id, pid, identity_id)
    condition = _unchanged(held)
    if not taken:
        return [
            TxPut(item, condition=not_exists(), return_old_on_failure=True),
            TxCheck(balance_key, condition),
        ], 0
    action_id = entry.get("action_id")
    task_xp = (
        {task_xp_attribute(str(action_id)): -taken}
        if entry.get("kind") == "completion" and action_id
        else None
    )
    spent = {SPENT: taken} if spends_lots and bucket == "xp" else None
    update = balance_update(entity_id, pid, identity_id, {bucket: -taken}, task_xp=task_xp, also_add=spent)
    return [
        TxPut(item, condition=not_exists(), return_old_on_failure=True),
        TxUpdate(balance_key, update, condition=condition),
    ], taken


def reverse(
    entity_id: str,
    pid: str,
    identity_id: str,
    entry_id: str,
    reason: str,
    names: dict[str, str],
    *,
    spends_lots: bool = False,
) -> dict[str, Any]:
    """Reverse ledger entry `entry_id` of `identity_id` once (see the module's docstring). Answers
    `{id, reversed_xp, unrecovered_xp, referrer_reversed_xp, already_reversed}`. `spends_lots`: the
    campaign's points expire, so what it takes counts as used, oldest credits first (`points_expiry`)."""
    done = get_table().get(keys.ledger_reversal(entity_id, pid, entry_id), consistent=True)
    if done is not None and done.get("identity_id") == identity_id:
        return _answer(done, already=True)
    original = _reversible(entity_id, pid, identity_id, entry_id)
    share = _share_of(entity_id, pid, original)
    details = {**names, "reason": reason}
    for _ in range(ATTEMPTS):
        held = ledger.balance_item(entity_id, pid, identity_id)
        share_operations: list[Any] = []
        referrer_taken = 0
        if share is not None:
            referrer_held = ledger.balance_item(entity_id, pid, share.referrer_id)
            share_details = {"reason": reason, "referee_id": identity_id}
            share_operations, referrer_taken = _taking(
                entity_id, pid, share.entry, referrer_held, share_details
            )
            link = keys.referee(entity_id, pid, share.referrer_id, identity_id)
            share_operations.append(TxUpdate(link, Update(add={"ref_xp": -int(share.entry["xp"])})))
        own = {**details, "referrer_reversed_xp": referrer_taken}
        operations, taken = _taking(entity_id, pid, original, held, own, spends_lots=spends_lots)
        operations += share_operations
        try:
            get_table().transact_write(operations)
        except ConditionFailed as failed:
            if failed.index == 0 and failed.item:  # reversed meanwhile by a concurrent request
                return _answer(failed.item, already=True)
            continue  # a balance moved since it was read: read again
        return {
            "id": entry_id,
            "reversed_xp": taken,
            "unrecovered_xp": int(original["xp"]) - taken,
            "referrer_reversed_xp": referrer_taken,
            "already_reversed": False,
        }
    raise Retryable("the balance changed concurrently too often; try again")
