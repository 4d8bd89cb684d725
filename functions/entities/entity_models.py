"""API models of an entity as answered (loaded on the first request that needs them, see
`questline.http.lazy`): Quest Protocol's camelCase fields, mapped explicitly from the stored item."""

from __future__ import annotations

from typing import Any, Literal

from questline.http.models import ApiModel


class EntityView(ApiModel):
    entityId: str
    id: str  # the same id under the name Quest Protocol's own answers use
    name: str
    status: Literal["pending", "enabled"]
    isEnabled: bool
    plan: str
    chainSource: str | None = None
    contracts: list[str] = []
    openseaSlug: str | None = None
    description: str | None = None
    website: str | None = None
    imageUrl: str | None = None
    bannerUrl: str | None = None
    entityURLAlias: str | None = None
    parentEntityId: str | None = None
    twitter: str | None = None
    discord: str | None = None
    telegram: str | None = None
    instagram: str | None = None
    medium: str | None = None
    isPublic: bool = False
    features: list[str] = []
    baseName: str | None = None
    baseSymbol: str | None = None
    ownerUserId: str | None = None
    createdAt: str
    updatedAt: str


class MauView(ApiModel):
    entityId: str
    month: str
    count: int


def entity_view(item: dict[str, Any]) -> EntityView:
    return EntityView(
        entityId=item["entity_id"],
        id=item["entity_id"],
        name=item["name"],
        status=item["status"],
        isEnabled=item["status"] == "enabled",
        plan=item.get("plan", "FREE"),
        chainSource=item.get("chain_source"),
        contracts=list(item.get("contracts") or []),
        openseaSlug=item.get("opensea_slug"),
        description=item.get("description"),
        website=item.get("website"),
        imageUrl=item.get("image_url"),
        bannerUrl=item.get("banner_url"),
        entityURLAlias=item.get("entity_url_alias"),
        parentEntityId=item.get("parent_entity_id"),
        twitter=item.get("twitter"),
        discord=item.get("discord"),
        telegram=item.get("telegram"),
        instagram=item.get("instagram"),
        medium=item.get("medium"),
        isPublic=bool(item.get("is_public", False)),
        features=list(item.get("features") or []),
        baseName=item.get("base_name"),
        baseSymbol=item.get("base_symbol"),
        ownerUserId=item.get("owner_user_id"),
        createdAt=item["created_at"],
        updatedAt=item["updated_at"],
    )
