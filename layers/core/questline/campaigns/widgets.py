"""Widget tokens (claimr `GET /token`): a permanent token per user, for the embed script. It only reads that
user's own progress, balance, referrals and the leaderboard.

The token is derived (HMAC of the entity and identity with a deployment key), so asking again answers the
same token without storing it in plain text; the table keeps its SHA-256, which is how a request carrying
it is authenticated (one GetItem, then cached like every credential). The first issue writes a
`widget_token` item, which fires the `user_login` webhook.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from questline import clock, signing
from questline.auth.principal import CredentialKind, Principal
from questline.auth.resolve import Credential, register_resolver
from questline.errors import UnknownCredential
from questline.ids import secret_hash
from questline.storage import get_table, keys
from questline.storage.table import ConditionFailed

PURPOSE = "widget-tokens"


def _token(entity_id: str, identity_id: str) -> str:
    digest = hmac.new(
        signing.key_for(PURPOSE), f"{entity_id}:{identity_id}".encode(), hashlib.sha256
    ).digest()
    return "wt_" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_key_of(entity_id: str, identity_id: str) -> keys.Key:
    """Where the identity's widget token is authenticated (erasure removes it)."""
    return keys.widget_token(secret_hash(_token(entity_id, identity_id)))


def token_for(
    entity_id: str, identity_id: str, *, name: str | None = None, names: Mapping[str, str] | None = None
) -> tuple[str, bool]:
    """The user's widget token, and whether this call issued it (the first time). `names`: how the
    integrator knows the user (`questline.identity.names`), for the `user_login` webhook."""
    token = _token(entity_id, identity_id)
    item: dict[str, Any] = {
        **keys.widget_token(secret_hash(token)),
        "type": "widget_token",
        "entity_id": entity_id,
        "identity_id": identity_id,
        "name": name,
        "issued_at": clock.iso(),
        **dict(names or {}),
    }
    try:
        get_table().put_new(item)
    except ConditionFailed:
        return token, False
    return token, True


def _resolve(credential: Credential) -> tuple[Principal, float | None]:
    item = get_table().get(keys.widget_token(secret_hash(credential.secret)))
    if item is None or item.get("status") == "revoked":
        raise UnknownCredential("the widget token is not valid")
    return Principal(
        CredentialKind.WIDGET_TOKEN, entity_id=str(item["entity_id"]), user_id=str(item["identity_id"])
    ), None


def enable() -> None:
    """Let the shared auth resolve widget tokens (called by the functions that accept them)."""
    register_resolver(CredentialKind.WIDGET_TOKEN, _resolve)
