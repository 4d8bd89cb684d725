"""API models of the entity routes, mapped explicitly from and to stored items.

Field names are Quest Protocol's (camelCase); stored attributes are snake_case. Loaded on first use by the
route modules (`questline.http.lazy`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from entity_envelopes import QuestPage
from pydantic import ConfigDict, Field

from questline.errors import BadRequest
from questline.http.models import ApiModel, QuestOk

ENTITY_ID_PATTERN = r"^e-[0-9a-f]{32}$"
ALIAS_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$"
WORD_PATTERN = r"^[A-Z][A-Z0-9_]{1,31}$"
COLOR_PATTERN = r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"

Name = Annotated[str, Field(min_length=1, max_length=100)]
Text = Annotated[str, Field(max_length=2000)]
Link = Annotated[str, Field(max_length=2048)]
Handle = Annotated[str, Field(max_length=200)]
Word = Annotated[str, Field(pattern=WORD_PATTERN)]
Feature = Literal["CAMPAIGN_CREATION", "SUB_ENTITY"]
Color = Annotated[str, Field(pattern=COLOR_PATTERN)]


# --- entities -------------------------------------------------------------------------------------------


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


class EntityCreated(QuestOk[EntityView]):
    """Quest Protocol answers a create with the new id at the top level too."""

    entityId: str


class EntityCreate(ApiModel):
    name: Name
    chainSource: Word
    contracts: str | list[Annotated[str, Field(max_length=200)]] | None = Field(default=None, max_length=50)
    openseaSlug: Handle | None = None
    description: Text | None = None
    website: Link | None = None
    imageUrl: Link | None = None
    bannerUrl: Link | None = None
    entityURLAlias: Annotated[str, Field(pattern=ALIAS_PATTERN)] | None = None
    parentEntityId: Annotated[str, Field(pattern=ENTITY_ID_PATTERN)] | None = None


class EntityUpdate(ApiModel):
    """Only the fields sent change; `null` clears one (not `name`)."""

    name: Name | None = None
    chainSource: Word | None = None
    contracts: str | list[Annotated[str, Field(max_length=200)]] | None = Field(default=None, max_length=50)
    openseaSlug: Handle | None = None
    description: Text | None = None
    website: Link | None = None
    imageUrl: Link | None = None
    bannerUrl: Link | None = None
    entityURLAlias: Annotated[str, Field(pattern=ALIAS_PATTERN)] | None = None
    twitter: Handle | None = None
    discord: Handle | None = None
    telegram: Handle | None = None
    instagram: Handle | None = None
    medium: Handle | None = None
    isPublic: bool | None = None
    features: list[Feature] | None = Field(default=None, max_length=10)


class EnableIn(ApiModel):
    entityId: Annotated[str, Field(pattern=ENTITY_ID_PATTERN)] | None = None
    baseName: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    baseSymbol: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,16}$")] | None = None


class PlanIn(ApiModel):
    plan: Word


class DeletedView(ApiModel):
    entityId: str
    status: Literal["deleted"] = "deleted"


class MauView(ApiModel):
    entityId: str
    month: str
    count: int


class Theme(ApiModel):
    """An entity's theme, as its widgets read it. Unknown fields are refused (a typo would be lost)."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["light", "dark"] | None = None
    primaryColor: Color | None = None
    secondaryColor: Color | None = None
    accentColor: Color | None = None
    backgroundColor: Color | None = None
    textColor: Color | None = None
    borderColor: Color | None = None
    buttonColor: Color | None = None
    fontFamily: Annotated[str, Field(max_length=100)] | None = None
    borderRadius: Annotated[int, Field(ge=0, le=64)] | None = None
    logoUrl: Link | None = None
    faviconUrl: Link | None = None


class CustomIdIn(ApiModel):
    platform: Word  # e.g. DISCORD
    platformId: Annotated[str, Field(min_length=1, max_length=200)]
    name: Name | None = None
    username: Handle | None = None
    link: Link | None = None
    accessToken: Annotated[str, Field(max_length=4096)] | None = None
    refreshToken: Annotated[str, Field(max_length=4096)] | None = None
    expiry: Annotated[str, Field(max_length=64)] | None = None


class CustomIdView(ApiModel):
    """A custom id as stored, without its tokens (they are kept, never answered)."""

    entityId: str
    platform: str
    platformId: str
    name: str | None = None
    username: str | None = None
    link: str | None = None
    expiry: str | None = None
    hasTokens: bool


# --- mapping ----------------------------------------------------------------------------------------------

# API field -> stored attribute, for the profile fields a create or an update writes as they are.
PROFILE_FIELDS = {
    "name": "name",
    "chainSource": "chain_source",
    "openseaSlug": "opensea_slug",
    "description": "description",
    "website": "website",
    "imageUrl": "image_url",
    "bannerUrl": "banner_url",
    "twitter": "twitter",
    "discord": "discord",
    "telegram": "telegram",
    "instagram": "instagram",
    "medium": "medium",
    "isPublic": "is_public",
    "features": "features",
}


def _contracts(value: str | list[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def create_profile(body: EntityCreate) -> dict[str, Any]:
    """The stored attributes of a new entity (alias and parent are handled by the service)."""
    profile = {
        PROFILE_FIELDS[field]: getattr(body, field)
        for field in ("name", "chainSource", "openseaSlug", "description", "website", "imageUrl", "bannerUrl")
    }
    profile["contracts"] = _contracts(body.contracts)
    return {k: v for k, v in profile.items() if v is not None}


def update_changes(body: EntityUpdate) -> dict[str, Any]:
    """The stored attributes an update sets (None: remove), from the fields the client sent."""
    if not body.model_fields_set:
        raise BadRequest("body: send at least one field to change", field="body")
    if "name" in body.model_fields_set and body.name is None:
        raise BadRequest("name: an entity keeps a name", field="name")
    changes: dict[str, Any] = {}
    for field in sorted(body.model_fields_set):
        value = getattr(body, field)
        if field == "contracts":
            changes["contracts"] = _contracts(value)
        elif field in PROFILE_FIELDS:
            changes[PROFILE_FIELDS[field]] = value
    return changes


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


def entity_page(items: list[dict[str, Any]], page: int, limit: int, has_more: bool) -> QuestPage[EntityView]:
    return QuestPage[EntityView](
        data=[entity_view(item) for item in items], page=page, limit=limit, hasMore=has_more
    )


def custom_id_view(item: dict[str, Any]) -> CustomIdView:
    return CustomIdView(
        entityId=item["entity_id"],
        platform=item["platform"],
        platformId=item["platform_id"],
        name=item.get("name"),
        username=item.get("username"),
        link=item.get("link"),
        expiry=item.get("expiry"),
        hasTokens=bool(item.get("access_token") or item.get("refresh_token")),
    )


def custom_id_record(body: CustomIdIn) -> dict[str, Any]:
    return {
        "name": body.name,
        "username": body.username,
        "link": body.link,
        "access_token": body.accessToken,
        "refresh_token": body.refreshToken,
        "expiry": body.expiry,
    }
