"""Entity API keys: `sk_` (secret, full access to the entity) and `pk_` (publishable, ingest only).

A key is shown once, when it is issued; the table keeps only its SHA-256 (the item's key, so auth is one
GetItem) and a masked form for listings.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from questline import clock
from questline.auth import CredentialKind
from questline.ids import new_secret, prefixed_id, secret_hash
from questline.storage import keys

KEY_PREFIX = {CredentialKind.SECRET_KEY: "sk", CredentialKind.PUBLISHABLE_KEY: "pk"}


class IssuedKey(NamedTuple):
    key_id: str
    kind: CredentialKind
    plain: str  # shown to the caller once, never stored
    item: dict[str, Any]


def mask(secret: str) -> str:
    prefix, _, rest = secret.partition("_")
    return f"{prefix}_{rest[:4]}…{rest[-4:]}"


def issue_key(
    entity_id: str, kind: CredentialKind, *, status: str = "active", name: str | None = None
) -> IssuedKey:
    """A new key and the item that stores it (not yet written: callers write it in their transaction)."""
    plain = new_secret(KEY_PREFIX[kind])
    key_id = prefixed_id("k")
    item = {
        **keys.api_key(secret_hash(plain)),
        **keys.api_key_listing(entity_id, key_id),
        "type": "api_key",
        "key_id": key_id,
        "entity_id": entity_id,
        "kind": kind.value,
        "status": status,
        "masked": mask(plain),
        "name": name,
        "created_at": clock.iso(),
    }
    return IssuedKey(key_id=key_id, kind=kind, plain=plain, item=item)
