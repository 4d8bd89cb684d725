"""Admin invitations: the owner (or the operator) invites a platform user, named by email or by user id, to
become an ADMIN; nothing changes for the invitee until they accept. Nobody is added to an entity without
their consent, and an admin can leave (`members.remove_admin` on themselves).

Inviting answers the same whether or not a platform user has the email: an invitation is addressed to the
address itself (a person who signs up with it later finds it waiting), so the answer tells the inviter
nothing about who has an account. An invitation's id is derived from the entity and the invitee, so
inviting someone again refreshes the one invitation; it expires after `INVITATION_SECONDS` (its `ttl`).

Only the invitee reads and answers an invitation: to anyone else it does not exist (404).
"""

from __future__ import annotations

import hashlib
from typing import Any

from questline import clock
from questline.auth import CredentialKind, Principal
from questline.errors import BadRequest, Forbidden, NotFound, RuleViolation
from questline.storage import get_table, keys
from questline.storage.table import (
    TxCheck,
    TxDelete,
    TxPut,
    TxUpdate,
    Update,
    differs,
    equals,
    exists,
    not_exists,
)
from questline.storage.transaction import Transaction
from questline.tenancy.access import (
    OWNERSHIP,
    Role,
    entity_not_found,
    is_live,
    live,
    membership_checks,
    screen,
)
from questline.tenancy.members import Member, membership_fields, with_users
from questline.tenancy.users import active_user, normalise_email, users_by_id

INVITATION_SECONDS = 7 * 24 * 3600
MAX_LISTED = 100


def _invitee(user_id: str | None, email: str | None) -> str:
    return f"user:{user_id}" if user_id else f"email:{normalise_email(email or '')}"


def invitation_id_of(entity_id: str, invitee: str) -> str:
    return "i-" + hashlib.sha256(f"{entity_id}|{invitee}".encode()).hexdigest()[:32]


def invite_admin(
    caller: Principal,
    entity_id: str,
    *,
    user_id: str | None = None,
    email: str | None = None,
    display_name: str | None = None,
) -> dict[str, Any]:
    """Invite a platform user (by id, or by email whether or not someone has it) to be an ADMIN."""
    screen(caller, entity_id, OWNERSHIP)
    if caller.kind is CredentialKind.PLATFORM_USER and caller.user_id == user_id:
        raise RuleViolation("the owner cannot be made an admin", field="userId")
    invitee = _invitee(user_id, email)
    invitation_id = invitation_id_of(entity_id, invitee)
    now = clock.now()
    item = {
        **keys.entity_invitation(entity_id, invitation_id),
        **keys.invitation_listing(invitee, entity_id),
        "type": "entity_invitation",
        "entity_id": entity_id,
        "invitation_id": invitation_id,
        "invitee": invitee,
        "email": normalise_email(email) if email and not user_id else None,
        "user_id": user_id,
        "role": Role.ADMIN.value,
        "display_name": display_name,
        "invited_by": caller.describe(),
        "invited_at": clock.iso(now),
        "expires_at": int(now) + INVITATION_SECONDS,
        "ttl": int(now) + INVITATION_SECONDS,
    }
    transaction = Transaction().add(TxCheck(keys.entity(entity_id), live()), entity_not_found(entity_id))
    transaction.extend(membership_checks(caller, entity_id, OWNERSHIP))
    if user_id:  # a user id is not a secret to enumerate (128 random bits): it must name a user
        transaction.add(
            TxCheck(keys.platform_user(user_id), active_user()),
            BadRequest(f"userId: no platform user {user_id}", field="userId"),
        )
        transaction.add(
            TxCheck(keys.entity_member(entity_id, user_id), not_exists() | differs("role", Role.OWNER.value)),
            RuleViolation("the owner cannot be made an admin", field="userId"),
        )
    transaction.add(TxPut(item))
    transaction.commit()
    return item


def _addressed_to(invitation: dict[str, Any], user_id: str, email: str | None) -> bool:
    invitee = str(invitation.get("invitee", ""))
    return invitee == f"user:{user_id}" or (email is not None and invitee == f"email:{email}")


def _own_invitation(caller: Principal, entity_id: str, invitation_id: str) -> tuple[dict[str, Any], str]:
    """The invitation, when `caller` is its invitee and it has not expired; a 404 otherwise."""
    if caller.kind is not CredentialKind.PLATFORM_USER or caller.user_id is None:
        raise Forbidden("only the invited platform user answers an invitation")
    missing = NotFound(f"invitation {invitation_id} does not exist", field="invitationId")
    table = get_table()
    found = table.batch_get(
        [keys.entity_invitation(entity_id, invitation_id), keys.platform_user(caller.user_id)],
        consistent=True,
    )
    invitation = next((i for i in found if i.get("type") == "entity_invitation"), None)
    user = next((i for i in found if i.get("type") == "platform_user"), {})
    if invitation is None or int(invitation.get("expires_at", 0)) <= clock.now():
        raise missing
    if not _addressed_to(invitation, caller.user_id, user.get("email")):
        raise missing
    return invitation, str(invitation["invitee"])


def accept(caller: Principal, entity_id: str, invitation_id: str) -> Member:
    """The invitee becomes an ADMIN (an owner stays the owner), and the invitation is used up."""
    invitation, invitee = _own_invitation(caller, entity_id, invitation_id)
    assert caller.user_id is not None
    user_id = caller.user_id
    now = clock.iso()
    granted = {
        **membership_fields(entity_id, user_id),
        "role": Role.ADMIN.value,
        "display_name": invitation.get("display_name"),
        "granted_by": invitation.get("invited_by"),
        "accepted_at": now,
    }
    transaction = Transaction().add(TxCheck(keys.entity(entity_id), live()), entity_not_found(entity_id))
    transaction.add(
        TxDelete(keys.entity_invitation(entity_id, invitation_id), condition=equals("invitee", invitee)),
        NotFound(f"invitation {invitation_id} does not exist", field="invitationId"),
    )
    transaction.add(
        TxUpdate(
            keys.entity_member(entity_id, user_id),
            Update(set=granted, set_if_absent={"added_at": now}),
            condition=not_exists() | differs("role", Role.OWNER.value),
        ),
        RuleViolation("the owner of an entity is already more than its admin", field="invitationId"),
    )
    transaction.commit()
    # (read back for its `added_at`; a removal racing right behind leaves what was granted)
    membership = get_table().get(keys.entity_member(entity_id, user_id), consistent=True)
    return with_users([membership or {**granted, "added_at": now}])[0]


def decline(caller: Principal, entity_id: str, invitation_id: str) -> None:
    _, invitee = _own_invitation(caller, entity_id, invitation_id)
    get_table().delete(keys.entity_invitation(entity_id, invitation_id), condition=equals("invitee", invitee))


def pending(caller: Principal, entity_id: str) -> list[dict[str, Any]]:
    """The entity's pending invitations (its owner, or the operator)."""
    screen(caller, entity_id, OWNERSHIP)
    table = get_table()
    if caller.kind is CredentialKind.PLATFORM_USER:
        assert caller.user_id is not None
        found = table.batch_get(
            [keys.entity(entity_id), keys.entity_member(entity_id, caller.user_id)], consistent=True
        )
        entity = next((i for i in found if i.get("type") == "entity"), None)
        member = next((i for i in found if i.get("type") == "entity_member"), None)
        if not is_live(entity):
            raise entity_not_found(entity_id)
        if member is None or member.get("role") != Role.OWNER.value:
            raise Forbidden("only the entity's owner sees its invitations")
    elif not is_live(table.get(keys.entity(entity_id))):
        raise entity_not_found(entity_id)
    items = table.query(
        keys.entity_partition(entity_id), begins_with=keys.INVITATION_PREFIX, limit=MAX_LISTED
    ).items
    now = clock.now()
    return [i for i in items if int(i.get("expires_at", 0)) > now]


def revoke(caller: Principal, entity_id: str, invitation_id: str) -> None:
    """Withdraw a pending invitation (its entity's owner, or the operator)."""
    screen(caller, entity_id, OWNERSHIP)
    transaction = Transaction().add(TxCheck(keys.entity(entity_id), live()), entity_not_found(entity_id))
    transaction.extend(membership_checks(caller, entity_id, OWNERSHIP))
    transaction.add(
        TxDelete(keys.entity_invitation(entity_id, invitation_id), condition=exists()),
        NotFound(f"invitation {invitation_id} does not exist", field="invitationId"),
    )
    transaction.commit()


def invitations_for(caller: Principal, user_id: str) -> list[dict[str, Any]]:
    """The invitations waiting for a platform user (the user itself, or the operator): those addressed to
    its id and to its email, with the inviting entity's name."""
    if not caller.is_operator and not (
        caller.kind is CredentialKind.PLATFORM_USER and caller.user_id == user_id
    ):
        raise Forbidden("a platform user reads only its own invitations")
    user = users_by_id([user_id]).get(user_id)
    if user is None:
        raise NotFound(f"platform user {user_id} does not exist", field="userId")
    table = get_table()
    invitees = [f"user:{user_id}", *([f"email:{user['email']}"] if user.get("email") else [])]
    found: list[dict[str, Any]] = []
    for invitee in invitees:
        found += table.query(keys.invitations_of_partition(invitee), index=keys.GSI1, limit=MAX_LISTED).items
    now = clock.now()
    found = [i for i in found if int(i.get("expires_at", 0)) > now]
    entities = {
        str(e["entity_id"]): e
        for e in table.batch_get([keys.entity(str(i["entity_id"])) for i in found])
        if is_live(e)
    }
    return [
        {**i, "entity_name": entities[str(i["entity_id"])].get("name")}
        for i in found
        if i["entity_id"] in entities
    ]
