"""API models of creating and changing entities (loaded on first use, see `questline.http.lazy`), and their
explicit mapping to stored attributes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from entity_models import EntityView
from pydantic import Field

from questline.errors import BadRequest
from questline.http.models import ApiModel, QuestOk
from questline.links import WebLink

ENTITY_ID_PATTERN = r"^e-[0-9a-f]{32}$"
# A parent the body names: as loose as the vendor's ids (the seed's `e-0000000000`), so an id that is no
# entity's is a 404 rather than a 400.
PARENT_ID_PATTERN = r"^e-[A-Za-z0-9_-]{1,64}$"
ALIAS_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$"
WORD_PATTERN = r"^[A-Z][A-Z0-9_]{1,31}$"

Name = Annotated[str, Field(min_length=1, max_length=100)]
Text = Annotated[str, Field(max_length=2000)]
Handle = Annotated[str, Field(max_length=200)]
Word = Annotated[str, Field(pattern=WORD_PATTERN)]
Feature = Literal["CAMPAIGN_CREATION", "SUB_ENTITY"]


class EntityCreated(QuestOk[EntityView]):
    """Quest Protocol answers a create with the new id at the top level too, and the Quest Labs apps read
    the new entity as `entityDoc` (`res.data.entityDoc.id`)."""

    entityId: str
    entityDoc: EntityView


class EntityCreate(ApiModel):
    name: Name
    chainSource: Word
    contracts: str | list[Annotated[str, Field(max_length=200)]] | None = Field(default=None, max_length=50)
    openseaSlug: Handle | None = None
    description: Text | None = None
    website: WebLink | None = None
    imageUrl: WebLink | None = None
    bannerUrl: WebLink | None = None
    entityURLAlias: Annotated[str, Field(pattern=ALIAS_PATTERN)] | None = None
    parentEntityId: Annotated[str, Field(pattern=PARENT_ID_PATTERN)] | None = None


class EntityUpdate(ApiModel):
    """Only the fields sent change; `null` clears one (not `name`)."""

    name: Name | None = None
    chainSource: Word | None = None
    contracts: str | list[Annotated[str, Field(max_length=200)]] | None = Field(default=None, max_length=50)
    openseaSlug: Handle | None = None
    description: Text | None = None
    website: WebLink | None = None
    imageUrl: WebLink | None = None
    bannerUrl: WebLink | None = None
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
