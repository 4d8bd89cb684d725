"""Points that expire (a campaign's `expiry`: `days` after each credit, or at the end of the season it was
earned in), first in, first out, so that spending and expiry never count the same points twice.

Every XP credit under an expiring policy (a reward, a completion, a quest bonus, an achievement) is a lot:
its ledger entry says where it lies in the person's line of expiring credits (`lot_from`..`lot_to`, each
credit after the one before) and when it expires (`expires_at`). The balance keeps two counters:
`lots_in`, where the line ends, and `lots_out`, how much of it is used up (every withdrawal and reversal
adds what it took: `ledger.SPENT`; every expiry moves it to the end of the credit it expired). So what is
left of a credit is the part of its stretch beyond `lots_out`: a withdrawal takes the oldest credits
first without touching them (one ADD in its own transaction, however many credits there are), and what
expires of a credit is only what is left of it.

* Positions need the counters as they are: a credit reads the balance consistently and its transaction is
  conditional on the balance's revision (`rev`), so a concurrent change makes it read again. A new line
  starts at `max(lots_in, lots_out)`: points spent beyond the expiring credits (points that never expire,
  taken first) never use up credits that come later.
* Each credit is filed twice in a due index (`keys.points_due`, by UTC hour, in 4 shards, in time order):
  when it expires, and `warn_days` before. A scheduled run (`sweep`, beside the lost-streak sweep) reads
  the hours that ended since its cursor, at most `MAX_ITEMS` items per run, and remembers where it stopped.
* An expiry is one transaction of a ledger entry of kind `expiry` (`expiry:<credit id>`, beside the credit,
  conditional on not existing) and the balance change, conditional on the revision it read: it takes what
  is left of the credit and never more than the balance holds (strict: never below zero). A re-run, a
  replay or a second sweep finds the entry and changes nothing. Nothing left: no entry, no webhook.
* A warning is one `points_notice` item (in the participant's partition, once per credit) naming what is
  left of the credit then, when anything is.

Both go out as `user_reward` webhooks (the scope of ledger changes): `points.expired` (the expiry entry)
and `points.will_expire` (the notice).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from questline import clock
from questline.campaigns import due_index, ledger
from questline.campaigns.definition import Campaign, Expiry
from questline.campaigns.ledger import SPENT, Entry, balance_update, entry_item, task_xp_attribute
from questline.campaigns.preview import is_preview
from questline.errors import Retryable
from questline.storage import get_table, keys
from questline.storage.table import ConditionFailed, TxPut, TxUpdate, equals, not_exists

LOTS_IN = "lots_in"  # where the balance's line of expiring credits ends
EXPIRY_PREFIX = "expiry:"
EXPIRED_EVENT = "points.expired"
WARNING_EVENT = "points.will_expire"
NAME_FIELDS = ("user_id", "account", "platform", "address")  # how the credit named the person
MAX_ITEMS = 200  # due items one run reads at most (each one consistent read and at most one write)
MAX_HOURS = 48  # hours one run moves its cursor at most (an empty hour costs one Query per shard)
DUE_TTL_SECONDS = 7 * 24 * 3600
ATTEMPTS = 10


class Lots(NamedTuple):
    """What a change's credits add: each credit's lot fields (by entry id), the balance's new end of
    line, the due items, and the condition the balance must meet (unchanged since it was read)."""

    fields: dict[str, dict[str, Any]]
    balance_set: dict[str, int]
    due: list[dict[str, Any]]
    condition: Any

    def attach(self, entry: Entry) -> Entry:
        return entry._replace(details={**entry.details, **self.fields.get(entry.entry_id, {})})


NO_LOTS = Lots({}, {}, [], None)


def policy_of(campaign: Campaign, storage_pid: str) -> Expiry | None:
    """The campaign's expiry policy; none in a preview (`env=dev`), whose items go with their TTL."""
    return None if is_preview(storage_pid) else campaign.expiry


def unchanged(held: Mapping[str, Any]) -> Any:
    return equals("rev", held["rev"]) if "rev" in held else not_exists()


hour_of = due_index.hour_of


def shard_of(identity_id: str) -> int:
    return int(hashlib.sha256(identity_id.encode()).hexdigest()[:8], 16) % keys.POINTS_DUE_SHARDS


def _due_key(entity_id: str, pid: str, identity_id: str, lot_from: int, kind: str, at_ms: int) -> keys.Key:
    hour = hour_of(at_ms / 1000)
    return keys.points_due(hour, shard_of(identity_id), at_ms, entity_id, pid, identity_id, lot_from, kind)


def due_item(
    entity_id: str, pid: str, identity_id: str, entry_id: str, lot_from: int, kind: str, at_ms: int
) -> dict[str, Any]:
    """A credit filed under the hour it is to be warned about or expired in. It names the credit only
    (opaque ids, no names: the credit's entry holds the rest; an erasure finds the item from it)."""
    return {
        **_due_key(entity_id, pid, identity_id, lot_from, kind, at_ms),
        "type": "points_due",
        "entity_id": entity_id,
        "pid": pid,
        "identity_id": identity_id,
        "entry_id": entry_id,
        "kind": kind,
        "due_at": at_ms,
        "ttl": int(due_index.end_of(hour_of(at_ms / 1000))) + DUE_TTL_SECONDS,
    }


def due_keys_of(entry: Mapping[str, Any]) -> list[keys.Key]:
    """The due items a credit's ledger entry filed (an erasure deletes them with the entry)."""
    due = entry.get("due_ms")
    if not isinstance(due, Mapping) or "lot_from" not in entry:
        return []
    who = (str(entry["entity_id"]), str(entry["pid"]), str(entry["identity_id"]), int(entry["lot_from"]))
    return [_due_key(*who, str(kind), int(at_ms)) for kind, at_ms in due.items()]


def lots_for(
    entity_id: str,
    pid: str,
    identity_id: str,
    policy: Expiry | None,
    held: Mapping[str, Any],
    credits: Sequence[tuple[str, int]],
    now: float,
) -> Lots:
    """The lots of credits `(entry id, xp)` earned at `now` by a person whose balance item is `held`."""
    expires_at = policy.expires_at(now) if policy is not None else None
    if policy is None or expires_at is None or not any(xp > 0 for _, xp in credits):
        return NO_LOTS
    warn_at = policy.warn_at(expires_at)
    start = max(int(held.get(LOTS_IN, 0)), int(held.get(SPENT, 0)))
    fields: dict[str, dict[str, Any]] = {}
    due: list[dict[str, Any]] = []
    due_ms = {"expire": int(expires_at * 1000)}
    if warn_at is not None:
        due_ms["warn"] = int(max(now, warn_at) * 1000)
    for entry_id, xp in credits:
        if xp <= 0:
            continue
        fields[entry_id] = {
            "lot_from": start,
            "lot_to": start + xp,
            "expires_at": clock.iso(expires_at),
            "due_ms": due_ms,
        }
        due += [
            due_item(entity_id, pid, identity_id, entry_id, start, kind, at) for kind, at in due_ms.items()
        ]
        start += xp
    return Lots(fields, {LOTS_IN: start}, due, unchanged(held))


def credit(entity_id: str, pid: str, policy: Expiry, entry: Entry) -> bool:
    """`ledger.change` for a credit that expires: the same answers (True applied, False a repeat,
    Conflict the id with another body), with its lot."""
    table = get_table()
    for _ in range(ATTEMPTS):
        held = ledger.balance_item(entity_id, pid, entry.identity_id)
        lots = lots_for(
            entity_id, pid, entry.identity_id, policy, held, [(entry.entry_id, entry.delta)], clock.now()
        )
        update = balance_update(entity_id, pid, entry.identity_id, {entry.bucket: entry.delta},
                                also_set=lots.balance_set)  # fmt: skip
        operations: list[Any] = [
            TxPut(entry_item(entity_id, pid, lots.attach(entry)), condition=not_exists(),
                  return_old_on_failure=True),
            TxUpdate(keys.balance(entity_id, pid, entry.identity_id), update, condition=lots.condition),
            *(TxPut(item) for item in lots.due),
        ]  # fmt: skip
        try:
            table.transact_write(operations)
        except ConditionFailed as failed:
            if failed.index == 0:
                ledger.repeated(entry, failed.item or {})
                return False
            continue  # the balance moved since it was read: read again
        return True
    raise Retryable("the balance changed concurrently too often; try again")


def left_of(credit_entry: Mapping[str, Any], held: Mapping[str, Any]) -> int:
    """What is left of a credit: the part of its stretch beyond what is used up, and no more than the
    balance holds."""
    start, end = int(credit_entry["lot_from"]), int(credit_entry["lot_to"])
    left = max(0, end - max(start, int(held.get(SPENT, 0))))
    return min(left, max(0, int(held.get("xp", 0))))


def _read(item: Mapping[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The credit a due item names and its balance, in one consistent BatchGetItem."""
    entity_id, pid, identity_id = str(item["entity_id"]), str(item["pid"]), str(item["identity_id"])
    credit_key = keys.ledger_entry(entity_id, pid, str(item["entry_id"]))
    balance_key = keys.balance(entity_id, pid, identity_id)
    found = {
        (str(i[keys.PK]), str(i[keys.SK])): i
        for i in get_table().batch_get([credit_key, balance_key], consistent=True)
    }
    credit_entry = found.get((credit_key[keys.PK], credit_key[keys.SK]))
    if credit_entry is not None and (
        credit_entry.get("identity_id") != identity_id or "lot_to" not in credit_entry
    ):
        credit_entry = None
    return credit_entry, found.get((balance_key[keys.PK], balance_key[keys.SK])) or {}


def _names(credit_entry: Mapping[str, Any]) -> dict[str, Any]:
    return {name: credit_entry[name] for name in NAME_FIELDS if name in credit_entry}


def _expire(item: Mapping[str, Any]) -> bool:
    """Expire what is left of one credit, once. True when this call expired something."""
    entity_id, pid, identity_id = str(item["entity_id"]), str(item["pid"]), str(item["identity_id"])
    entry_id = str(item["entry_id"])
    table = get_table()
    for _ in range(ATTEMPTS):
        credit_entry, held = _read(item)
        if credit_entry is None:
            return False  # gone (an erased person) or not a lot
        taken = left_of(credit_entry, held)
        if not taken:
            return False  # spent already: nothing left to expire
        details = {
            **_names(credit_entry),
            "event": EXPIRED_EVENT,
            "expires": entry_id,
            "expired_kind": str(credit_entry.get("kind")),
            "credited_xp": int(credit_entry["xp"]),
            "expired_xp": taken,
            "earned_at": str(credit_entry.get("created_at")),
            "expires_at": str(credit_entry.get("expires_at")),
        }
        entry = Entry(f"{EXPIRY_PREFIX}{entry_id}", identity_id, "xp", -taken, "expiry", details)
        stored = {**entry_item(entity_id, pid, entry), **keys.ledger_expiry(entity_id, pid, entry_id)}
        action_id = credit_entry.get("action_id")
        task_xp = (
            {task_xp_attribute(str(action_id)): -taken}
            if credit_entry.get("kind") == "completion" and action_id
            else None
        )
        used_up = max(int(held.get(SPENT, 0)), int(credit_entry["lot_to"]))
        update = balance_update(entity_id, pid, identity_id, {"xp": -taken}, task_xp=task_xp,
                                also_set={SPENT: used_up})  # fmt: skip
        try:
            table.transact_write(
                [
                    TxPut(stored, condition=not_exists()),
                    TxUpdate(keys.balance(entity_id, pid, identity_id), update, condition=unchanged(held)),
                ]
            )
        except ConditionFailed as failed:
            if failed.index == 0:
                return False  # expired already (a re-run)
            continue  # the balance moved since it was read: read again
        return True
    raise Retryable("the balance changed concurrently too often; the next run tries again")


def _warn(item: Mapping[str, Any]) -> bool:
    """Announce that what is left of one credit will expire, once. True when this call announced it."""
    entity_id, pid, identity_id = str(item["entity_id"]), str(item["pid"]), str(item["identity_id"])
    entry_id = str(item["entry_id"])
    credit_entry, held = _read(item)
    if credit_entry is None:
        return False
    left = left_of(credit_entry, held)
    if not left:
        return False
    notice = {
        **keys.points_notice(entity_id, pid, identity_id, entry_id),
        "type": "points_notice",
        "event": WARNING_EVENT,
        "entity_id": entity_id,
        "pid": pid,
        "identity_id": identity_id,
        **_names(credit_entry),
        "entry_id": entry_id,
        "xp": left,
        "credited_xp": int(credit_entry["xp"]),
        "earned_at": str(credit_entry.get("created_at")),
        "expires_at": str(credit_entry.get("expires_at")),
        "at": clock.iso(),
    }
    try:
        get_table().put(notice, condition=not_exists())
    except ConditionFailed:
        return False  # announced already
    return True


def sweep(now: float | None = None) -> dict[str, Any]:
    """One run: the due items of the hours that ended since the cursor, at most `MAX_ITEMS`, in time
    order within each shard (one person's credits always share a shard, so they expire oldest first)."""
    moment = clock.now() if now is None else now
    done = {"expired": 0, "warned": 0}

    def handle(item: Mapping[str, Any]) -> None:
        if item.get("kind") == "expire":
            done["expired"] += _expire(dict(item))
        else:
            done["warned"] += _warn(dict(item))

    run = due_index.work_off(
        keys.points_sweep_cursor(),
        "points_sweep",
        keys.points_due_partition,
        keys.POINTS_DUE_SHARDS,
        handle,
        moment,
        max_items=MAX_ITEMS,
        max_hours=MAX_HOURS,
    )
    return {"read": run.read, **done, "hour": run.hour, "shard": run.shard}
