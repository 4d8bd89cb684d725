"""Invite codes: they belong to a campaign and have a use limit. A user holds at most one code per
campaign. Assigning is one transaction of the user's code use (conditional on holding none) and the
code's count (conditional on staying under its limit); releasing undoes both. The code item keeps who holds
it (`used_by`, as claimr answers it, and `holders`, the identity behind each)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from questline import clock
from questline.errors import Conflict, NotFound, RuleViolation
from questline.storage import get_table, keys
from questline.storage.table import (
    ConditionFailed,
    TxDelete,
    TxPut,
    TxUpdate,
    Update,
    attribute_below,
    equals,
    exists,
    not_exists,
)

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_USES = 1000  # the code item keeps its holders: a thousand keep it far below DynamoDB's 400 KB
RELEASES_PER_TRANSACTION = 99  # and the code's own update makes 100, a transaction's limit


def create_codes(entity_id: str, pid: str, codes: Sequence[str], max_uses: int) -> list[str]:
    """Create the given codes; if one exists already, none is created (409 naming it)."""
    now = clock.iso()
    operations = [
        TxPut(
            {
                **keys.invite_code(entity_id, pid, code),
                "type": "invite_code",
                "entity_id": entity_id,
                "pid": pid,
                "code": code,
                "max_uses": max_uses,
                "uses": 0,
                "holders": {},
                "created_at": now,
            },
            condition=not_exists(),
        )
        for code in codes
    ]
    for start in range(0, len(operations), 100):
        try:
            get_table().transact_write(operations[start : start + 100])
        except ConditionFailed as failed:
            raise Conflict(
                f"code {codes[start + (failed.index or 0)]!r} already exists", field="codes"
            ) from None
    return list(codes)


def generate(prefix: str, count: int) -> list[str]:
    return [prefix + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8)) for _ in range(count)]


def code_info(entity_id: str, pid: str, code: str) -> dict[str, Any]:
    item = get_table().get(keys.invite_code(entity_id, pid, code))
    if item is None:
        raise NotFound(f"code: there is no invite code {code!r} in this campaign", field="code")
    return item


def assign(entity_id: str, pid: str, code: str, identity_id: str, label: str) -> bool:
    """Give `code` to the user named `label`. True when assigned now, False when they hold it already."""
    try:
        get_table().transact_write(
            [
                TxPut(
                    {
                        **keys.code_use(entity_id, pid, identity_id),
                        "type": "code_use",
                        "entity_id": entity_id,
                        "pid": pid,
                        "identity_id": identity_id,
                        "code": code,
                        "user": label,
                        "at": clock.iso(),
                    },
                    condition=not_exists(),
                    return_old_on_failure=True,
                ),
                TxUpdate(
                    keys.invite_code(entity_id, pid, code),
                    Update(add={"uses": 1, "used_by": {label}}, set={("holders", label): identity_id}),
                    condition=exists() & attribute_below("uses", "max_uses"),
                ),
            ]
        )
    except ConditionFailed as failed:
        if failed.index == 0:
            held = (failed.item or {}).get("code")
            if held == code:
                return False
            raise Conflict(
                f"this user already holds code {held!r} in this campaign", field="used_by"
            ) from None
        code_info(entity_id, pid, code)  # an unknown code is a 404
        raise RuleViolation(f"code {code!r} has no uses left", code="code_exhausted", field="code") from None
    return True


def release(entity_id: str, pid: str, code: str, label: str | None) -> int:
    """Free the code from the user named `label` (a 404 naming `used_by` when they do not hold it), or,
    as claimr documents it, from every holder when none is named. Returns how many uses were freed."""
    holders: dict[str, Any] = dict(code_info(entity_id, pid, code).get("holders") or {})
    if label is not None:
        if label not in holders:
            raise NotFound(f"used_by: {label} does not hold code {code!r}", field="used_by")
        holders = {label: holders[label]}
    freed = 0
    names = sorted(holders)
    for start in range(0, len(names), RELEASES_PER_TRANSACTION):
        chunk = {name: str(holders[name]) for name in names[start : start + RELEASES_PER_TRANSACTION]}
        freed += _release(entity_id, pid, code, chunk)
    return freed


def _release(entity_id: str, pid: str, code: str, holders: dict[str, str]) -> int:
    """One transaction: the holders' uses deleted, the code's count and lists updated with them. A holder
    released meanwhile by another request fails the transaction: the rest are then released one by one."""
    operations: list[Any] = [
        TxDelete(keys.code_use(entity_id, pid, identity_id), condition=equals("code", code))
        for identity_id in holders.values()
    ]
    operations.append(
        TxUpdate(
            keys.invite_code(entity_id, pid, code),
            Update(
                add={"uses": -len(holders)},
                delete={"used_by": set(holders)},
                remove=[("holders", name) for name in holders],
            ),
            condition=exists(),
        )
    )
    try:
        get_table().transact_write(operations)
    except ConditionFailed:
        if len(holders) == 1:
            return 0  # released by someone else first
        return sum(_release(entity_id, pid, code, {name: who}) for name, who in holders.items())
    return len(holders)


def code_of(entity_id: str, pid: str, identity_id: str) -> str:
    item = get_table().get(keys.code_use(entity_id, pid, identity_id))
    return str(item["code"]) if item else ""
