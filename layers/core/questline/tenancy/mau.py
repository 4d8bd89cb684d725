"""Monthly active identities: an identity counts once per entity and month, whatever it does.

Counting is one conditional write of a marker (the identity's first activity that month) and, only when
the marker is new, one atomic ADD to the month's counter; reading the month is one GetItem. Two writes
rather than one transaction: every first activity in a month touches the same counter, and concurrent
transactions on one item cancel each other, while ADDs do not. Should the ADD fail after the marker was
written, the marker is removed again so a retry counts the identity.

A per-container memo skips identities already counted this month, so a busy identity costs no write after
its first event in a container.
"""

from __future__ import annotations

import threading
from typing import Any

from questline import clock
from questline.storage import get_table, keys
from questline.storage.table import ConditionFailed, TxPut, TxUpdate, Update, exists, not_exists

MARKER_TTL_SECONDS = 400 * 24 * 3600  # a month's markers are only needed during that month
_memo: set[tuple[str, str, str]] = set()
_memo_lock = threading.Lock()
_MEMO_LIMIT = 100_000


def record_monthly_activity(entity_id: str, identity_id: str, *, at: float | None = None) -> bool:
    """Count `identity_id` as active in `entity_id` for the month of `at` (now by default).

    Returns True when this call counted it, False when it was already counted.
    """
    month = clock.month_of(at)
    memo_key = (entity_id, month, identity_id)
    with _memo_lock:
        if memo_key in _memo:
            return False
    table = get_table()
    marker: dict[str, Any] = {
        **keys.mau_marker(entity_id, month, identity_id),
        "type": "mau_marker",
        "entity_id": entity_id,
        "identity_id": identity_id,
        "month": month,
        "ttl": int(clock.now()) + MARKER_TTL_SECONDS,
    }
    try:
        table.put_new(marker)
    except ConditionFailed:
        _remember(memo_key)
        return False
    try:
        table.update(
            keys.mau_counter(entity_id, month),
            Update(
                add={"count": 1},
                set_if_absent={"type": "mau_counter", "entity_id": entity_id, "month": month},
            ),
            return_values="NONE",
        )
    except Exception:
        table.delete(keys.mau_marker(entity_id, month, identity_id))
        raise
    _remember(memo_key)
    return True


def fold_merged(entity_id: str, survivor_id: str, loser_id: str, *, at: float | None = None) -> bool:
    """A merge makes two active identities one person: the month's count loses one when both were active
    (the loser's marker is marked folded), and the survivor inherits the loser's activity when only the
    loser was. Each step is one transaction conditional on the loser's marker not being folded yet, so a
    replayed stream record changes nothing. True when the count went down."""
    month = clock.month_of(at)
    table = get_table()
    loser_marker = keys.mau_marker(entity_id, month, loser_id)
    fold = TxUpdate(
        loser_marker,
        Update(set={"merged_into": survivor_id}),
        condition=exists() & not_exists("merged_into"),
    )
    inherited = {
        **keys.mau_marker(entity_id, month, survivor_id),
        "type": "mau_marker",
        "entity_id": entity_id,
        "identity_id": survivor_id,
        "month": month,
        "ttl": int(clock.now()) + MARKER_TTL_SECONDS,
    }
    try:
        table.transact_write([fold, TxPut(inherited, condition=not_exists())])
        return False  # only the loser was active: the survivor counts in its place
    except ConditionFailed as failed:
        if failed.index != 1:
            return False  # the loser was not active this month, or this merge was counted already
    try:
        table.transact_write([fold, TxUpdate(keys.mau_counter(entity_id, month), Update(add={"count": -1}))])
    except ConditionFailed:
        return False
    return True


def monthly_active(entity_id: str, month: str) -> int:
    """The number of distinct identities active in `entity_id` during `month` (`YYYY-MM`)."""
    counter = get_table().get(keys.mau_counter(entity_id, month))
    return int(counter["count"]) if counter else 0


def _remember(memo_key: tuple[str, str, str]) -> None:
    with _memo_lock:
        if len(_memo) >= _MEMO_LIMIT:
            _memo.clear()
        _memo.add(memo_key)


def forget_memo() -> None:
    """Tests start each case with an empty memo."""
    with _memo_lock:
        _memo.clear()
