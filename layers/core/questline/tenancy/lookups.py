"""Finding an entity by another name: its `entityURLAlias`, or a custom entity id (the id a platform such as
Discord gives the entity's community, with the tokens to act there).

Both names are unique across entities: each is a claim item written with a condition in the same
transaction as what it names. A lookup answers only within the caller's reach: anything else, existing or
not, is 404, so a key of one entity learns nothing of another.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from questline import clock
from questline.auth import Principal
from questline.errors import BadRequest, Forbidden, NotFound
from questline.storage import get_table, keys
from questline.storage.table import TxCheck, TxPut, equals, not_exists
from questline.storage.transaction import Transaction
from questline.tenancy.access import MANAGE, READ, entity_not_found, live, load_entity, membership_checks


def entity_id_by_alias(caller: Principal, alias: str) -> str:
    claim = get_table().get(keys.entity_alias(alias.strip().lower()))
    return _within_reach(caller, claim, f"no entity has the alias {alias}", "entityURLAlias")


def platform_name(platform: str) -> str:
    """Custom ids' platforms are compared without case (stored upper-case): one claim per platform id."""
    return platform.strip().upper()


def entity_id_by_custom_id(caller: Principal, platform: str, platform_id: str) -> str:
    claim = get_table().get(keys.custom_id(platform_name(platform), platform_id))
    return _within_reach(caller, claim, f"no entity has the {platform} id {platform_id}", "customEntityId")


def _within_reach(caller: Principal, claim: dict[str, Any] | None, missing: str, field: str) -> str:
    if claim is None:
        raise NotFound(missing, field=field)
    entity_id = str(claim["entity_id"])
    try:
        load_entity(caller, entity_id, READ)
    except (Forbidden, NotFound) as refused:
        raise NotFound(missing, field=field) from refused
    return entity_id


def add_custom_id(
    caller: Principal, entity_id: str, platform: str, platform_id: str, record: Mapping[str, Any]
) -> dict[str, Any]:
    """Claim `platform`/`platform_id` for the entity and keep `record` (name, username, link and the
    platform's tokens) with it. Adding the same id again updates its record."""
    platform = platform_name(platform)
    claim = {
        **keys.custom_id(platform, platform_id),
        "type": "custom_id",
        "entity_id": entity_id,
        "platform": platform,
        "platform_id": platform_id,
    }
    stored = {
        **keys.entity_custom_id(entity_id, platform, platform_id),
        "type": "entity_custom_id",
        "entity_id": entity_id,
        "platform": platform,
        "platform_id": platform_id,
        "updated_at": clock.iso(),
        **record,
    }
    transaction = Transaction().add(TxCheck(keys.entity(entity_id), live()), entity_not_found(entity_id))
    transaction.extend(membership_checks(caller, entity_id, MANAGE))
    transaction.add(
        TxPut(claim, condition=not_exists() | equals("entity_id", entity_id)),
        BadRequest(f"platformId: this {platform} id belongs to another entity", field="platformId"),
    )
    transaction.add(TxPut(stored))
    transaction.commit()
    return stored
