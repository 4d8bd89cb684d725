"""Entities (tenants). The full Entity API builds on these items; the foundation needs to create an
enabled entity with its keys (operator bootstrap, local seeding) and to read one."""

from __future__ import annotations

from typing import Any, NamedTuple

from questline import clock
from questline.auth import CredentialKind
from questline.errors import NotFound
from questline.ids import prefixed_id
from questline.storage import get_table, keys
from questline.storage.table import TxPut, not_exists
from questline.tenancy.keys import IssuedKey, issue_key


class CreatedEntity(NamedTuple):
    entity: dict[str, Any]
    secret_key: IssuedKey
    publishable_key: IssuedKey


def new_entity_item(
    *, name: str, status: str, owner_user_id: str | None = None, **fields: Any
) -> dict[str, Any]:
    entity_id = prefixed_id("e")
    now = clock.iso()
    return {
        **keys.entity(entity_id),
        **keys.entity_directory(entity_id),
        "type": "entity",
        "entity_id": entity_id,
        "name": name,
        "status": status,
        "plan": "FREE",
        "owner_user_id": owner_user_id,
        "created_at": now,
        "updated_at": now,
        **fields,
    }


def create_enabled_entity(name: str, *, owner_user_id: str | None = None) -> CreatedEntity:
    """An enabled entity with one `sk_` and one `pk_` key, written in one transaction."""
    entity = new_entity_item(name=name, status="enabled", owner_user_id=owner_user_id)
    entity_id = entity["entity_id"]
    secret = issue_key(entity_id, CredentialKind.SECRET_KEY, name="default secret key")
    publishable = issue_key(entity_id, CredentialKind.PUBLISHABLE_KEY, name="default publishable key")
    get_table().transact_write(
        [
            TxPut(entity, condition=not_exists()),
            TxPut(secret.item, condition=not_exists()),
            TxPut(publishable.item, condition=not_exists()),
        ]
    )
    return CreatedEntity(entity=entity, secret_key=secret, publishable_key=publishable)


def get_entity(entity_id: str) -> dict[str, Any]:
    item = get_table().get(keys.entity(entity_id))
    if item is None or item.get("status") == "deleted":
        raise NotFound(f"entity {entity_id} does not exist", field="entityId")
    return item
