"""Organizations: an entity's child entities. A key of the parent may act for its organizations where a
surface names one (Endu's `organization_id`)."""

from __future__ import annotations

from questline.errors import Forbidden
from questline.storage import get_table, keys


def organization_of(key_entity_id: str, organization_id: str, *, field: str = "organization_id") -> str:
    """The entity an event for `organization_id` belongs to: the key's own entity, or one of its
    enabled organizations; a 403 naming `field` otherwise."""
    if organization_id == key_entity_id:
        return key_entity_id
    child = get_table().get(keys.entity(organization_id)) if organization_id.startswith("e-") else None
    if child is None or child.get("parent_entity_id") != key_entity_id or child.get("status") != "enabled":
        raise Forbidden(f"{field} is neither this key's entity nor one of its organizations", field=field)
    return organization_id
