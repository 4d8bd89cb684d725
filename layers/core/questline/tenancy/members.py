"""Platform users in an entity: the owner (its creator), admins (invited by the owner, admins once they
accept: `invitations`; an admin may leave) and members (the entity's users). One membership item per
(entity, user) holds the role, and a GSI1 entry lists a user's entities.

Roles only change through conditional writes that keep the rule "exactly one OWNER": an admin grant never
overwrites the owner's membership and a removal deletes only an ADMIN's, so no interleaving of adds and
removes can leave an entity without its owner or with two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from questline import clock
from questline.auth import CredentialKind, Principal
from questline.errors import BadRequest, NotFound, QuestlineError, RuleViolation
from questline.storage import get_table, keys
from questline.storage.table import TxCheck, TxDelete, TxUpdate, Update, equals
from questline.storage.transaction import Transaction
from questline.tenancy.access import (
    CREDENTIALS,
    OWNERSHIP,
    READ,
    Role,
    entity_not_found,
    live,
    load_entity,
    membership_checks,
    role_refused,
    screen,
)
from questline.tenancy.paging import read_window
from questline.tenancy.users import active_user, users_by_id

MAX_USERS_PER_ADD = 25


class Member(NamedTuple):
    membership: dict[str, Any]
    user: dict[str, Any]  # the platform user (email, name); empty when it no longer exists


def membership_item(entity_id: str, user_id: str, role: Role, **extra: Any) -> dict[str, Any]:
    return {
        **keys.entity_member(entity_id, user_id),
        **keys.user_entity_listing(user_id, entity_id),
        "type": "entity_member",
        "entity_id": entity_id,
        "user_id": user_id,
        "role": role.value,
        "added_at": clock.iso(),
        **extra,
    }


def membership_fields(entity_id: str, user_id: str) -> dict[str, Any]:
    """What every membership carries besides its role (set on each grant, so a grant heals a partial item)."""
    return {
        **keys.user_entity_listing(user_id, entity_id),
        "type": "entity_member",
        "entity_id": entity_id,
        "user_id": user_id,
    }


def with_users(memberships: Sequence[dict[str, Any]]) -> list[Member]:
    users = users_by_id([str(m["user_id"]) for m in memberships])
    return [Member(m, users.get(str(m["user_id"]), {})) for m in memberships]


def list_members(caller: Principal, entity_id: str, *, page: int, limit: int) -> tuple[list[Member], bool]:
    load_entity(caller, entity_id, READ)
    window = read_window(
        keys.entity_partition(entity_id), begins_with=keys.MEMBER_PREFIX, page=page, limit=limit
    )
    return with_users(window.items), window.has_more


def list_admins(caller: Principal, entity_id: str) -> list[Member]:
    """The owner and the admins (an entity's staff is small: every membership is read)."""
    load_entity(caller, entity_id, READ)
    table = get_table()
    staff: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        page = table.query(
            keys.entity_partition(entity_id),
            begins_with=keys.MEMBER_PREFIX,
            start_key=start,
            filter=equals("role", Role.OWNER.value) | equals("role", Role.ADMIN.value),
        )
        staff.extend(page.items)
        start = page.last_key
        if start is None:
            break
    staff.sort(key=lambda m: (m["role"] != Role.OWNER.value, str(m.get("added_at", ""))))
    return with_users(staff)


def add_users(caller: Principal, entity_id: str, user_ids: Sequence[str]) -> list[Member]:
    """Add platform users as MEMBERs. A user who already has a role keeps it."""
    unique = list(dict.fromkeys(user_ids))
    if len(unique) > MAX_USERS_PER_ADD:
        raise BadRequest(f"userIds: at most {MAX_USERS_PER_ADD} users per request", field="userIds")
    transaction = Transaction().add(TxCheck(keys.entity(entity_id), live()), entity_not_found(entity_id))
    transaction.extend(membership_checks(caller, entity_id, CREDENTIALS))
    now = clock.iso()
    for user_id in unique:
        if caller.kind is CredentialKind.PLATFORM_USER and user_id == caller.user_id:
            continue  # already a member with a role that may add users
        transaction.add(
            TxCheck(keys.platform_user(user_id), active_user()),
            NotFound(f"userIds: no platform user {user_id}", field="userIds"),
        )
        transaction.add(
            TxUpdate(
                keys.entity_member(entity_id, user_id),
                Update(
                    set=membership_fields(entity_id, user_id),
                    set_if_absent={"role": Role.MEMBER.value, "added_at": now, "added_by": caller.describe()},
                ),
            )
        )
    transaction.commit()
    stored = get_table().batch_get([keys.entity_member(entity_id, u) for u in unique], consistent=True)
    order = {user_id: index for index, user_id in enumerate(unique)}
    return with_users(sorted(stored, key=lambda m: order[str(m["user_id"])]))


def remove_admin(caller: Principal, entity_id: str, user_id: str) -> None:
    """Remove an ADMIN from the entity: the owner (or the operator) does, or the admin leaves; the owner is
    never removed."""
    leaving = caller.kind is CredentialKind.PLATFORM_USER and caller.user_id == user_id
    if not leaving:
        screen(caller, entity_id, OWNERSHIP)

    def refused(item: dict[str, Any] | None) -> QuestlineError:
        if item is not None and item.get("role") == Role.OWNER.value:
            return RuleViolation("the owner cannot be removed", field="userId")
        if leaving:
            return role_refused(OWNERSHIP, item)
        return NotFound(f"{user_id} is not an admin of this entity", field="userId")

    transaction = Transaction().add(TxCheck(keys.entity(entity_id), live()), entity_not_found(entity_id))
    if not leaving:
        transaction.extend(membership_checks(caller, entity_id, OWNERSHIP))
    transaction.add(
        TxDelete(
            keys.entity_member(entity_id, user_id),
            condition=equals("role", Role.ADMIN.value),
            return_old_on_failure=True,
        ),
        refused,
    )
    transaction.commit()
