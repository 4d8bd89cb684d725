"""Erasing a person: the identity a client names and every identity merged into it.

An erasure has two halves.

* **At once** (the `DELETE` request, a bounded number of writes: at most 16 identities, 50 identifiers):
  the surviving identity item becomes the erase record (`status` `erasing`, its profile removed), its
  identifiers and anonymous aliases are deleted (a later identify or create makes a fresh person), its
  widget tokens stop authenticating, and a message asks the erasure function for the rest. From then on
  every read of the person is a 404, every request naming it by id is refused, and a request carrying one of
  its identifiers acts on a new person.
* **Later** (the erasure function, from the erasure queue): everything else the person left is deleted, at
  most `ERASURE_BATCH_ITEMS` items per invocation; an invocation that stops at its budget queues the same
  message again, and the next one carries on (every step reads what is left, so any number of repeats or
  concurrent copies converge). The message waits `ERASURE_SETTLE_SECONDS` first (longer than any API
  function's timeout), so a request that read the person just before the erasure began has finished its
  writes when the sweep starts; the stream's task engine ignores events of an erased person, and the
  leaderboard projection is left a tombstone, so nothing the stream does later brings the person back.
  Finally the record becomes `erased`, and the `identity.erased` webhook fires (its payload: the ids only).

Kept: the erase record (ids, times, counts: no personal data), and aggregates: campaign totals, days'
active users, the month's active users (and the markers that count a person once per month), invite codes'
use counts. Leaderboard entries leave the count tree, so every other rank stays right.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from typing import Any, Literal, NamedTuple

from questline import clock
from questline.aws import client
from questline.campaigns import leaderboard
from questline.campaigns.points_expiry import due_keys_of
from questline.errors import NotFound, Retryable
from questline.identity.graph import PROFILE_FIELDS, partitions_of
from questline.identity.names import KNOWN_FIELDS
from questline.settings import get_settings
from questline.storage import get_table, keys
from questline.storage.keys import GSI1, GSI2, PK, SK
from questline.storage.table import (
    ConditionFailed,
    TxDelete,
    TxPut,
    TxUpdate,
    Update,
    equals,
    exists,
    not_exists,
)

ERASING: Literal["erasing"] = "erasing"
ERASED: Literal["erased"] = "erased"
# What an identity item may hold about the person: removed when it becomes the erase record.
PERSONAL = (*PROFILE_FIELDS, *KNOWN_FIELDS, "data", "claimed", "conflicts")
MAX_FOLLOW = 17


class Erasure(NamedTuple):
    identity_id: str
    status: str  # erasing | erased
    requested_at: str | None
    erased_at: str | None
    erased_ids: list[str]
    removed_items: int


def _as_erasure(item: Mapping[str, Any]) -> Erasure:
    return Erasure(
        str(item["identity_id"]),
        str(item["status"]),
        item.get("erasure_requested_at"),
        item.get("erased_at"),
        [str(i) for i in item.get("erased_ids") or partitions_of(item)],
        int(item.get("removed_items", 0)),
    )


def _root(entity_id: str, identity_id: str) -> dict[str, Any]:
    """The identity item that answers for `identity_id` (following merges, and an erased merged identity to
    the person it was erased with); 404 when it never existed."""
    table = get_table()
    current = identity_id
    for _ in range(MAX_FOLLOW):
        item = table.get(keys.identity(entity_id, current), consistent=True)
        if item is None:
            raise NotFound(f"identity {identity_id} does not exist", field="identityId")
        onward = item.get("erased_with") or (
            item.get("merged_into") if item.get("status") == "merged" else None
        )
        if not onward:
            return item
        current = str(onward)
    raise Retryable("identity redirects do not settle; try again")


def erasure_of(entity_id: str, identity_id: str) -> Erasure:
    """Where the erasure of a person stands; 404 when none was asked for."""
    root = _root(entity_id, identity_id)
    if root.get("status") not in (ERASING, ERASED):
        raise NotFound(f"identity {identity_id} has no erasure", field="identityId")
    return _as_erasure(root)


def request_erasure(entity_id: str, identity_id: str) -> Erasure:
    """Start erasing the person `identity_id` names (idempotent: asking again answers where it stands,
    and queues the sweep again while it is not finished)."""
    table = get_table()
    for _ in range(MAX_FOLLOW):
        root = _root(entity_id, identity_id)
        if root.get("status") == ERASED:
            return _as_erasure(root)
        if root.get("status") != ERASING:
            try:
                root = (
                    table.update(
                        keys.identity(entity_id, str(root["identity_id"])),
                        Update(set={"status": ERASING, "erasure_requested_at": clock.iso()}, remove=PERSONAL),
                        condition=equals("status", root.get("status", "active")),
                    )
                    or root
                )
            except ConditionFailed:
                continue  # merged or erased meanwhile: look again
        for one in partitions_of(root):
            _release(entity_id, one)
        _queue(entity_id, str(root["identity_id"]), delay=get_settings().erasure_settle_seconds)
        return _as_erasure(root)
    raise Retryable("the identity kept changing; try again")


def _queue(entity_id: str, identity_id: str, *, delay: int) -> None:
    client("sqs").send_message(
        QueueUrl=get_settings().erasure_queue_url,
        MessageBody=json.dumps({"entity_id": entity_id, "identity_id": identity_id}),
        DelaySeconds=max(0, min(delay, 900)),
    )


def _release(entity_id: str, identity_id: str) -> int:
    """Its identifiers, anonymous aliases and widget token go: bounded (a person holds at most 50)."""
    from questline.campaigns.widgets import token_key_of

    table = get_table()
    found = _all(table.query, keys.identifiers_of(entity_id, identity_id), index=GSI1)
    deletes = [keys.identifier(entity_id, f"{i['kind']}#{i['value']}") for i in found]
    deletes += [keys.anonymous_alias(entity_id, str(i["value"])) for i in found if i.get("kind") == "anon"]
    deletes.append(token_key_of(entity_id, identity_id))
    table.batch_write(deletes=deletes)
    return len(deletes)


def _all(query: Callable[..., Any], partition: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    start = None
    while True:
        page = query(partition, start_key=start, **kwargs)
        items += page.items
        if page.last_key is None:
            return items
        start = page.last_key


class _Budget:
    def __init__(self, items: int) -> None:
        self.left, self.spent = items, 0

    def spend(self, n: int) -> None:
        self.left -= n
        self.spent += n

    @property
    def exhausted(self) -> bool:
        return self.left <= 0


class _Stopped(Exception):
    """Internal: this invocation's budget is spent; the next one carries on."""


def _drain(
    budget: _Budget,
    partition: str,
    *,
    index: str | None = None,
    also: Callable[[dict[str, Any]], Iterable[keys.Key]] = lambda item: (),
    keep: Callable[[dict[str, Any]], bool] = lambda item: False,
) -> None:
    """Delete every item of a partition (of the table or an index), with what `also` names beside each."""
    table = get_table()
    start = None
    while True:
        if budget.exhausted:
            raise _Stopped
        page = table.query(partition, index=index, start_key=start, limit=min(max(budget.left, 25), 1000))
        deletes: list[keys.Key] = []
        for item in page.items:
            if keep(item):
                continue
            deletes.append({PK: item[PK], SK: item[SK]})
            deletes += list(also(item))
        if deletes:
            table.batch_write(deletes=deletes)
        budget.spend(len(deletes))
        if page.last_key is None:
            return
        start = page.last_key


def sweep(entity_id: str, identity_id: str, *, budget_items: int | None = None) -> bool:
    """Remove what is left of a person being erased, within a budget. True when the erasure is finished
    (or there is none to do); False when the budget ran out (queue the message again)."""
    table = get_table()
    root = table.get(keys.identity(entity_id, identity_id), consistent=True)
    if root is None or root.get("status") != ERASING:
        return True
    budget = _Budget(budget_items or get_settings().erasure_batch_items)
    ids = partitions_of(root)
    try:
        for one in ids:
            budget.spend(_release(entity_id, one))
            _sweep_identity(entity_id, one, budget)
    except _Stopped:
        table.update(
            keys.identity(entity_id, identity_id),
            Update(add={"removed_items": budget.spent}),
            return_values="NONE",
        )
        return False
    _finish(entity_id, root, ids, budget.spent)
    return True


def _sweep_identity(entity_id: str, identity_id: str, budget: _Budget) -> None:
    from questline.campaigns.merges import campaigns_of

    for pid in campaigns_of(entity_id, identity_id):
        _sweep_participant(entity_id, pid, identity_id, budget)
    _drain(budget, keys.webhook_deliveries_naming(entity_id, identity_id), index=GSI2)
    _drain(budget, keys.notifications_of(entity_id, identity_id))

    def beside(item: dict[str, Any]) -> list[keys.Key]:
        if item.get("type") == "device" and item.get("token_hash"):
            return [keys.push_token(entity_id, str(item["token_hash"]))]
        if item.get("type") == "event_log" and item.get("unique_identifier"):
            return [keys.idempotency(entity_id, str(item["event_key"]), str(item["unique_identifier"]))]
        if item.get("type") == "identity_conflict" and item.get("other_identity_id"):
            # the other side's record of the refused merge names this person (and maybe an identifier)
            return [keys.identity_conflict(entity_id, str(item["other_identity_id"]), identity_id)]
        return []

    _drain(
        budget, keys.identity_partition(entity_id, identity_id), also=beside, keep=lambda i: i[SK] == "#META"
    )


def _sweep_participant(entity_id: str, pid: str, identity_id: str, budget: _Budget) -> None:
    table = get_table()
    _leave_board(entity_id, pid, identity_id)
    _leave_recurring_boards(entity_id, pid, identity_id, budget)
    state = table.get(keys.participant(entity_id, pid, identity_id)) or {}
    # a credit whose points expire was filed in the points-expiry sweep's due index: gone with it
    _drain(budget, keys.ledger_of(entity_id, pid, identity_id), index=GSI1, also=due_keys_of)
    used = table.get(keys.code_use(entity_id, pid, identity_id))
    if used is not None:
        label = str(used.get("user") or "")
        with suppress(ConditionFailed):  # the code's use count stays: an aggregate
            table.update(
                keys.invite_code(entity_id, pid, str(used["code"])),
                Update(delete={"used_by": {label}}, remove=[("holders", label)]),
                condition=exists(),
                return_values="NONE",
            )
    deletes = [keys.code_use(entity_id, pid, identity_id), keys.referral(entity_id, pid, identity_id)]
    if state.get("ref_id"):
        deletes.append(keys.ref_id(entity_id, pid, str(state["ref_id"])))
    if state.get("referrer"):
        deletes.append(keys.referee(entity_id, pid, str(state["referrer"]), identity_id))
    table.batch_write(deletes=deletes)
    budget.spend(len(deletes))

    def beside(item: dict[str, Any]) -> list[keys.Key]:  # a preview's event (`env=dev`) and its key
        if item.get("type") == "event_log" and item.get("unique_identifier"):
            return [
                keys.preview_idempotency(
                    entity_id, pid, str(item["event_key"]), str(item["unique_identifier"])
                )
            ]
        return []

    _drain(budget, keys.participant_partition(entity_id, pid, identity_id), also=beside)


def _leave_board(entity_id: str, pid: str, identity_id: str) -> None:
    """The participant leaves the leaderboard's count tree (every other rank stays right) and its
    projection becomes a tombstone without name or avatar, which the stream's projection never counts
    again (`merged`), whatever balance record arrives late."""
    table = get_table()
    at = keys.stats_projection(entity_id, pid, identity_id)
    for _ in range(8):
        seen = table.get(at, consistent=True)
        if seen is not None and seen.get("erased"):
            return
        if seen is None:
            tombstone = {
                **at,
                "type": "stats_projection",
                "entity_id": entity_id,
                "pid": pid,
                "identity_id": identity_id,
                "rev": 0,
                "merged": True,
                "erased": True,
            }
            with suppress(ConditionFailed):
                table.transact_write([TxPut(tombstone, condition=not_exists())])
                return
            continue
        old_key = seen.get("board_key")
        operations: list[Any] = [
            TxUpdate(
                at,
                Update(
                    set={"merged": True, "erased": True},
                    remove=["board_key", "name", "avatar", keys.GSI2PK, keys.GSI2SK],
                ),
                condition=equals("rev", int(seen.get("rev", 0))),
            ),
            *leaderboard.tree_operations(entity_id, pid, None if seen.get("merged") else old_key, None),
        ]
        try:
            table.transact_write(operations)
            return
        except ConditionFailed:
            continue
    raise Retryable("the leaderboard projection kept changing; the erasure will carry on")


def _leave_recurring_boards(entity_id: str, pid: str, identity_id: str, budget: _Budget) -> None:
    """The participant's entries on the recurring boards (decision 10) go, each with its count in that
    board's tree (conditional on the entry, so a sweep that runs again subtracts nothing twice). The
    projection is a tombstone by now: the stream adds no entry again."""
    from questline.campaigns import recurring

    table = get_table()
    partition = keys.stats_projection(entity_id, pid, identity_id)[PK]
    start = None
    while True:
        if budget.exhausted:
            raise _Stopped
        page = table.query(
            partition, begins_with=keys.BOARD_ENTRY_PREFIX, limit=25, consistent=True, start_key=start
        )
        for entry in page.items:
            at = {PK: entry[PK], SK: entry[SK]}
            board, key = str(entry["board"]), recurring.rank_key(entry.get("board_key"))
            with suppress(ConditionFailed):
                table.transact_write(
                    [
                        TxDelete(at, condition=exists()),
                        *leaderboard.tree_operations(entity_id, pid, key, None, board=board),
                    ]
                )
        budget.spend(len(page.items))
        if page.last_key is None:
            return
        start = page.last_key


def _finish(entity_id: str, root: Mapping[str, Any], ids: list[str], removed: int) -> None:
    """The erase record: the survivor says `erased`, each merged identity points to it; then the webhook."""
    from questline.webhooks import fanout

    table = get_table()
    identity_id = str(root["identity_id"])
    now = clock.iso()
    for other in ids[1:]:
        with suppress(ConditionFailed):
            table.update(
                keys.identity(entity_id, other),
                Update(set={"status": ERASED, "erased_with": identity_id, "erased_at": now}, remove=PERSONAL),
                condition=exists(),
                return_values="NONE",
            )
    fanout.fan_out_event(
        f"erased:{entity_id}:{identity_id}",
        entity_id,
        fanout.IDENTITY_SCOPE,
        "identity.erased",
        {"entity_id": entity_id, "identity_id": identity_id, "erased_at": now},
    )
    with suppress(ConditionFailed):  # finished by a concurrent copy of the message
        table.update(
            keys.identity(entity_id, identity_id),
            Update(
                set={"status": ERASED, "erased_at": now, "erased_ids": ids},
                add={"removed_items": removed},
                remove=PERSONAL,
            ),
            condition=equals("status", ERASING),
            return_values="NONE",
        )


def continue_erasure(message: Mapping[str, Any]) -> bool:
    """One queue message of the erasure function: sweep within the budget, and queue the message again
    when the budget ran out (no wait: the settling happened before the first). True when finished."""
    entity_id, identity_id = str(message["entity_id"]), str(message["identity_id"])
    done = sweep(entity_id, identity_id)
    if not done:
        _queue(entity_id, identity_id, delay=0)
    return done
