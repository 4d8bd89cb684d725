"""Platform users: the people who manage entities (Quest Protocol's `userid` + `token`).

The operator creates them. A token is random, shown once (at creation or rotation) and stored as its
SHA-256; authentication compares hashes (`questline.auth`). An email address belongs to one user: its claim
is written in the same transaction as the user.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from questline import clock
from questline.auth import CredentialKind, Principal, forget_principals
from questline.errors import BadRequest, Forbidden, NotFound
from questline.ids import new_secret, prefixed_id, secret_hash
from questline.storage import get_table, keys
from questline.storage.table import Condition, TxPut, TxUpdate, Update, equals, exists, not_exists
from questline.storage.transaction import Transaction

TOKEN_PREFIX = "ut"  # noqa: S105 - a prefix, not a secret; a platform user's token: travels in the `token` header, never in a key header


class NewUser(NamedTuple):
    item: dict[str, Any]
    token: str  # shown once


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(email: str, name: str) -> NewUser:
    address = normalise_email(email)
    user_id = prefixed_id("u")
    token = new_secret(TOKEN_PREFIX)
    now = clock.iso()
    user = {
        **keys.platform_user(user_id),
        "type": "platform_user",
        "user_id": user_id,
        "email": address,
        "name": name.strip(),
        "token_hash": secret_hash(token),
        "status": "active",
        "created_at": now,
        "token_rotated_at": now,
    }
    claim = {**keys.platform_user_email(address), "type": "user_email", "user_id": user_id, "email": address}
    Transaction().add(TxPut(user, condition=not_exists())).add(
        TxPut(claim, condition=not_exists()),
        BadRequest("email: another platform user has this email", field="email"),
    ).commit()
    return NewUser(item=user, token=token)


def rotate_token(caller: Principal, user_id: str) -> str:
    """A new token for `user_id` (the user itself or the operator); the old one stops working at once in
    this container and within the auth cache's TTL in the others."""
    if not caller.is_operator and not (
        caller.kind is CredentialKind.PLATFORM_USER and caller.user_id == user_id
    ):
        raise Forbidden("a platform user rotates only its own token")
    token = new_secret(TOKEN_PREFIX)
    Transaction().add(
        TxUpdate(
            keys.platform_user(user_id),
            Update(set={"token_hash": secret_hash(token), "token_rotated_at": clock.iso()}),
            condition=active_user(),
        ),
        NotFound(f"platform user {user_id} does not exist", field="userId"),
    ).commit()
    forget_principals(user_id=user_id)
    return token


def read_user(caller: Principal, user_id: str) -> dict[str, Any]:
    """A platform user as the user itself or the operator may read it (never its token hash)."""
    if not caller.is_operator and not (
        caller.kind is CredentialKind.PLATFORM_USER and caller.user_id == user_id
    ):
        raise Forbidden("a platform user reads only itself")
    user = get_table().get(keys.platform_user(user_id))
    if user is None or user.get("status") != "active":
        raise NotFound(f"platform user {user_id} does not exist", field="userId")
    return user


def user_id_for_email(email: str) -> str | None:
    claim = get_table().get(keys.platform_user_email(normalise_email(email)), consistent=True)
    return str(claim["user_id"]) if claim else None


def users_by_id(user_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Platform users by id (for listings: email and name, never the token hash)."""
    if not user_ids:
        return {}
    found = get_table().batch_get([keys.platform_user(user_id) for user_id in user_ids])
    return {str(item["user_id"]): item for item in found}


def active_user() -> Condition:
    """A platform user item exists and is active."""
    return exists() & equals("status", "active")
