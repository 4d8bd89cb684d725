"""Who may act on an entity. The key alone decides the tenant: a key of entity A never reaches B.

* The operator reaches every entity.
* An entity's own keys reach only that entity, and a secret key (`sk_`) only where the access allows one:
  it never manages keys or people, so a leaked key cannot mint more keys or let anyone in, and revoking it
  contains it.
* A platform user reaches an entity through a membership and its role: OWNER (the creator), ADMIN (added
  by the owner), MEMBER (added to the entity's users).

Reads check the membership with one consistent read next to the entity item; writes put the membership
check inside their own transaction (`membership_checks`), so a role removed a moment ago never lets a write
through.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NamedTuple

from questline.auth import CredentialKind, Principal
from questline.errors import Forbidden, NotFound
from questline.storage import get_table, keys
from questline.storage.table import Condition, TxCheck, differs, equals, exists
from questline.storage.transaction import Failure

DELETED = "deleted"


class Role(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


class Access(NamedTuple):
    roles: frozenset[Role]  # the platform-user roles that may act
    secret_key: bool  # whether the entity's own sk_ may act
    action: str  # what is being done, for refusals


READ = Access(frozenset(Role), True, "read this entity")
MANAGE = Access(frozenset({Role.OWNER, Role.ADMIN}), True, "change this entity")
CREDENTIALS = Access(frozenset({Role.OWNER, Role.ADMIN}), False, "manage this entity's keys and users")
OWNERSHIP = Access(frozenset({Role.OWNER}), False, "do what only the entity's owner does")


def require_entity_access(caller: Principal, entity_id: str) -> None:
    """The operator reaches every entity; an entity's own keys reach only it."""
    if caller.kind is CredentialKind.OPERATOR:
        return
    if (
        caller.kind in (CredentialKind.SECRET_KEY, CredentialKind.PUBLISHABLE_KEY)
        and caller.entity_id == entity_id
    ):
        return
    raise Forbidden("this credential may not act on that entity")


def screen(caller: Principal, entity_id: str, access: Access) -> None:
    """What can be decided without reading: the operator passes, keys are checked against their own
    entity and the access; a platform user's membership decides (`load_entity`, `membership_checks`)."""
    if caller.kind is CredentialKind.OPERATOR or caller.kind is CredentialKind.PLATFORM_USER:
        return
    require_entity_access(caller, entity_id)
    if caller.kind is CredentialKind.SECRET_KEY and access.secret_key:
        return
    raise Forbidden(f"an entity key may not {access.action}; a platform user (userid and token) may")


def live() -> Condition:
    """The entity item exists and is not deleted."""
    return exists() & differs("status", DELETED)


def role_in(roles: frozenset[Role]) -> Condition:
    ordered = sorted(roles)
    condition = equals("role", ordered[0].value)
    for role in ordered[1:]:
        condition = condition | equals("role", role.value)
    return exists() & condition


def entity_not_found(entity_id: str) -> NotFound:
    return NotFound(f"entity {entity_id} does not exist", field="entityId")


def role_refused(access: Access, membership: dict[str, Any] | None = None) -> Forbidden:
    if membership is None:
        return Forbidden(f"you have no role in this entity, so you may not {access.action}")
    return Forbidden(f"your role in this entity may not {access.action}")


def is_live(item: dict[str, Any] | None) -> bool:
    return item is not None and item.get("status") != DELETED


def load_entity(caller: Principal, entity_id: str, access: Access) -> dict[str, Any]:
    """The entity item, after checking `caller` may act on it as `access` says (404 when it does not exist
    or was deleted, 403 when the caller may not)."""
    screen(caller, entity_id, access)
    table = get_table()
    if caller.kind is not CredentialKind.PLATFORM_USER:
        entity = table.get(keys.entity(entity_id))
        if not is_live(entity):
            raise entity_not_found(entity_id)
        assert entity is not None
        return entity
    assert caller.user_id is not None
    member_key = keys.entity_member(entity_id, caller.user_id)
    found = table.batch_get([keys.entity(entity_id), member_key], consistent=True)
    entity = next((item for item in found if item[keys.SK] == keys.entity(entity_id)[keys.SK]), None)
    member = next((item for item in found if item[keys.SK] == member_key[keys.SK]), None)
    if not is_live(entity):
        raise entity_not_found(entity_id)
    assert entity is not None
    if member is None or member.get("role") not in access.roles:
        raise role_refused(access, member)
    return entity


def membership_checks(caller: Principal, entity_id: str, access: Access) -> list[tuple[TxCheck, Failure]]:
    """The condition a write adds to its transaction so that only a caller with the right role commits."""
    screen(caller, entity_id, access)
    if caller.kind is not CredentialKind.PLATFORM_USER:
        return []
    assert caller.user_id is not None
    check = TxCheck(keys.entity_member(entity_id, caller.user_id), role_in(access.roles))
    return [(check, lambda membership: role_refused(access, membership))]
