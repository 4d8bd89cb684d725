"""Organizations: an entity's child entities, and the organization ids Endu clients send. A key of the parent
may act for its organizations where a surface names one (Endu's `organization_id`).

An Endu client migrating to Questline keeps sending its Chatsight `organization_id` (such as
`848WN4oEUgisKrV9dY9Ni6`). The entity registers it with the Entity API as a custom id of platform `ENDU`
(`POST /api/entities/{entityId}/custom-ids`); a custom id is claimed once across entities, so an
organization id names one entity, and events carrying it are that entity's from then on.
"""

from __future__ import annotations

from questline.errors import Forbidden
from questline.storage import get_table, keys

ENDU_PLATFORM = "ENDU"


def organization_of(key_entity_id: str, organization_id: str, *, field: str = "organization_id") -> str:
    """The entity an event for `organization_id` belongs to: the key's own entity or one of its enabled
    organizations, named by entity id or by a registered Endu organization id; a 403 naming `field`
    otherwise. No read when the id is the key's entity, at most two otherwise."""
    if organization_id == key_entity_id:
        return key_entity_id
    table = get_table()
    if organization_id.startswith("e-"):
        named = organization_id
    else:
        claim = table.get(keys.custom_id(ENDU_PLATFORM, organization_id))
        named = str(claim["entity_id"]) if claim else ""
        if named == key_entity_id:
            return key_entity_id
    child = table.get(keys.entity(named)) if named else None
    if child is None or child.get("parent_entity_id") != key_entity_id or child.get("status") != "enabled":
        raise Forbidden(f"{field} is neither this key's entity nor one of its organizations", field=field)
    return named
