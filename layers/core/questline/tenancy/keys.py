"""Entity API keys: `sk_` (secret, full access to the entity) and `pk_` (publishable, ingest only).

A key is shown once, when it is issued; the table keeps only its SHA-256 (the item's key, so auth is one
GetItem) and a masked form for listings. Next to it, in the entity's partition, a small reference maps the
key's id to its hash, so rotation, revocation and the entity's deletion find every key with consistent
reads (the GSI listing is only eventually consistent).

Every issuance adds 1 to the entity's `key_seq` in the same transaction, and requires the entity to be
enabled: a pending entity has no keys (they are created once the operator enables it). Deleting an entity
requires `key_seq` unchanged since it read the references, so no key issued meanwhile escapes revocation.

Rotation issues a new key and lets the old one work for `KEY_ROTATION_GRACE_SECONDS` more (its
`expires_at`, which authentication honours); revocation stops a key at once.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from questline import clock
from questline.auth import CredentialKind, Principal, forget_principals
from questline.errors import NotFound, RuleViolation
from questline.ids import new_secret, prefixed_id, secret_hash
from questline.settings import get_settings
from questline.storage import get_table, keys
from questline.storage.table import TxCheck, TxPut, TxUpdate, Update, equals, exists, not_exists
from questline.storage.transaction import Failure, Transaction
from questline.tenancy.access import (
    CREDENTIALS,
    MANAGE,
    READ,
    entity_not_found,
    is_live,
    live,
    load_entity,
    membership_checks,
    screen,
)

KEY_PREFIX = {CredentialKind.SECRET_KEY: "sk", CredentialKind.PUBLISHABLE_KEY: "pk"}
KIND_OF_PREFIX = {prefix: kind for kind, prefix in KEY_PREFIX.items()}
RETIRED_KEY_KEPT_SECONDS = 30 * 24 * 3600  # a revoked or expired key stays listed this long, then TTL


class IssuedKey(NamedTuple):
    key_id: str
    kind: CredentialKind
    plain: str  # shown to the caller once, never stored
    item: dict[str, Any]
    key_hash: str = ""  # what the table stores and looks the key up by

    @property
    def ref(self) -> dict[str, Any]:
        """The reference from the key's id to its hash, in the entity's partition."""
        return {
            **keys.api_key_ref(self.item["entity_id"], self.key_id),
            "type": "api_key_ref",
            "entity_id": self.item["entity_id"],
            "key_id": self.key_id,
            "key_hash": self.key_hash,
            "kind": self.kind.value,
            "name": self.item.get("name"),
            "status": self.item["status"],
        }

    def writes(self) -> list[TxPut]:
        return [TxPut(self.item, condition=not_exists()), TxPut(self.ref, condition=not_exists())]


class Rotation(NamedTuple):
    new: IssuedKey
    old_key_id: str
    old_expires_at: int


def mask(secret: str) -> str:
    prefix, _, rest = secret.partition("_")
    return f"{prefix}_{rest[:4]}…{rest[-4:]}"


def issue_key(
    entity_id: str, kind: CredentialKind, *, status: str = "active", name: str | None = None
) -> IssuedKey:
    """A new key and the item that stores it (not yet written: callers write it in their transaction)."""
    plain = new_secret(KEY_PREFIX[kind])
    key_hash = secret_hash(plain)
    key_id = prefixed_id("k")
    item = {
        **keys.api_key(key_hash),
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
    return IssuedKey(key_id=key_id, kind=kind, plain=plain, item=item, key_hash=key_hash)


def key_state(item: dict[str, Any], now: float | None = None) -> str:
    """`active`, `expiring` (rotated, still in its grace period), `expired` or `revoked`."""
    if item.get("status") != "active":
        return str(item.get("status", "revoked"))
    expires_at = item.get("expires_at")
    if expires_at is None:
        return "active"
    return "expiring" if float(expires_at) > (clock.now() if now is None else now) else "expired"


def _entity_open_for_keys(entity_id: str) -> tuple[TxUpdate, Failure]:
    """The entity takes a new key: it is enabled, and its `key_seq` counts the issuance."""

    def refused(item: dict[str, Any] | None) -> RuleViolation | NotFound:
        if not is_live(item):
            return entity_not_found(entity_id)
        return RuleViolation(
            "the entity is pending: its keys are issued once the operator enables it", field="entityId"
        )

    update = TxUpdate(
        keys.entity(entity_id),
        Update(add={"key_seq": 1}),
        condition=live() & equals("status", "enabled"),
        return_old_on_failure=True,
    )
    return update, refused


def list_keys(caller: Principal, entity_id: str) -> list[dict[str, Any]]:
    """Every key of the entity (metadata and the masked key), newest first."""
    load_entity(caller, entity_id, MANAGE._replace(action="read this entity's keys"))
    return _listed_keys(entity_id)


def tracking_tokens(caller: Principal, entity_id: str) -> list[dict[str, Any]]:
    """The publishable keys client-side tracking sends (Parcelvoy client routes, Endu ingest) that work
    now: masked, since the plain key is shown only when it is issued."""
    load_entity(caller, entity_id, READ)
    now = clock.now()
    return [
        item
        for item in _listed_keys(entity_id)
        if item.get("kind") == CredentialKind.PUBLISHABLE_KEY.value
        and key_state(item, now) in ("active", "expiring")
    ]


def _listed_keys(entity_id: str) -> list[dict[str, Any]]:
    table = get_table()
    found: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        page = table.query(
            keys.api_key_listing_partition(entity_id), index=keys.GSI1, forward=False, start_key=start
        )
        found.extend(page.items)
        start = page.last_key
        if start is None:
            return found


def create_key(caller: Principal, entity_id: str, kind: CredentialKind, name: str | None) -> IssuedKey:
    issued = issue_key(entity_id, kind, name=name)
    transaction = Transaction().add(*_entity_open_for_keys(entity_id))
    transaction.extend(membership_checks(caller, entity_id, CREDENTIALS))
    for write in issued.writes():
        transaction.add(write)
    transaction.commit()
    return issued


def _key_ref(caller: Principal, entity_id: str, key_id: str) -> dict[str, Any]:
    screen(caller, entity_id, CREDENTIALS)
    ref = get_table().get(keys.api_key_ref(entity_id, key_id), consistent=True)
    if ref is None or ref.get("entity_id") != entity_id:
        raise NotFound(f"key {key_id} does not exist", field="keyId")
    return ref


def rotate_key(caller: Principal, entity_id: str, key_id: str) -> Rotation:
    """A new key of the same kind and name; the old one keeps working for the grace period."""
    ref = _key_ref(caller, entity_id, key_id)
    now = clock.now()
    expires_at = int(now) + max(0, get_settings().key_rotation_grace_seconds)
    new = issue_key(entity_id, CredentialKind(ref["kind"]), name=ref.get("name"))
    retire = Update(
        set={
            "expires_at": expires_at,
            "rotated_to": new.key_id,
            "rotated_at": clock.iso(now),
            "ttl": expires_at + RETIRED_KEY_KEPT_SECONDS,
        }
    )
    transaction = Transaction().add(*_entity_open_for_keys(entity_id))
    transaction.extend(membership_checks(caller, entity_id, CREDENTIALS))
    transaction.add(
        TxUpdate(
            keys.api_key(ref["key_hash"]),
            retire,
            condition=equals("entity_id", entity_id) & equals("status", "active") & not_exists("rotated_to"),
        ),
        RuleViolation(f"key {key_id} was already rotated or revoked", field="keyId"),
    )
    transaction.add(TxUpdate(keys.api_key_ref(entity_id, key_id), retire, condition=exists()))
    for write in new.writes():
        transaction.add(write)
    transaction.commit()
    forget_principals(key_id=key_id)  # this container re-reads the old key and sees its expiry
    return Rotation(new=new, old_key_id=key_id, old_expires_at=expires_at)


def revoke_key(caller: Principal, entity_id: str, key_id: str) -> dict[str, Any]:
    """Stop a key at once (in this container; other warm containers within the auth cache's TTL)."""
    ref = _key_ref(caller, entity_id, key_id)
    now = clock.now()
    revoked = Update(
        set={"status": "revoked", "revoked_at": clock.iso(now), "ttl": int(now) + RETIRED_KEY_KEPT_SECONDS}
    )
    transaction = Transaction().add(TxCheck(keys.entity(entity_id), live()), entity_not_found(entity_id))
    transaction.extend(membership_checks(caller, entity_id, CREDENTIALS))
    transaction.add(
        TxUpdate(keys.api_key(ref["key_hash"]), revoked, condition=equals("entity_id", entity_id)),
        NotFound(f"key {key_id} does not exist", field="keyId"),
    )
    transaction.add(TxUpdate(keys.api_key_ref(entity_id, key_id), revoked, condition=exists()))
    transaction.commit()
    forget_principals(key_id=key_id)
    item = get_table().get(keys.api_key(ref["key_hash"]), consistent=True)
    return item or {**ref, "status": "revoked"}


def revocations(entity_id: str, refs: list[dict[str, Any]]) -> list[TxUpdate]:
    """Revoke, inside the caller's transaction, every key of `refs` that still works."""
    now = clock.now()
    revoked = Update(
        set={"status": "revoked", "revoked_at": clock.iso(now), "ttl": int(now) + RETIRED_KEY_KEPT_SECONDS}
    )
    return [
        TxUpdate(keys.api_key(ref["key_hash"]), revoked, condition=equals("entity_id", entity_id))
        for ref in refs
        if key_state(ref, now) in ("active", "expiring")
    ]


def key_refs(entity_id: str) -> list[dict[str, Any]]:
    """Every key reference of the entity, read consistently."""
    table = get_table()
    found: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        page = table.query(
            keys.entity_partition(entity_id),
            begins_with=keys.KEY_REF_PREFIX,
            consistent=True,
            start_key=start,
        )
        found.extend(page.items)
        start = page.last_key
        if start is None:
            return found
