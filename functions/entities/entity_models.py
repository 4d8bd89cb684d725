"""API models of the Entity API, mapped explicitly from stored items (camelCase, as Quest Protocol)."""

from __future__ import annotations

from typing import Any

from questline.http.models import ApiModel


class EntityView(ApiModel):
    entityId: str
    name: str
    status: str
    isEnabled: bool
    plan: str
    parentEntityId: str | None = None
    createdAt: str
    updatedAt: str


def entity_view(item: dict[str, Any]) -> EntityView:
    return EntityView(
        entityId=item["entity_id"],
        name=item["name"],
        status=item["status"],
        isEnabled=item["status"] == "enabled",
        plan=item.get("plan", "FREE"),
        parentEntityId=item.get("parent_entity_id"),
        createdAt=item["created_at"],
        updatedAt=item["updated_at"],
    )
