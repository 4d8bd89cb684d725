"""HeyMint's request and response shapes (camelCase, as its docs and clients use them)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from questline.http.json_text import ClientJson
from questline.http.models import ApiModel


class HeyMintModel(ApiModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")


class CreateIdentityIn(HeyMintModel):
    uniqueIdentifier: str | None = Field(default=None, min_length=1, max_length=256)


class IdentityOut(HeyMintModel):
    id: str


class AssociationOut(HeyMintModel):
    identityId: str
    url: str


class ClaimIn(HeyMintModel):
    """The account the app verified for its user: a platform account, or a wallet address."""

    platform: str | None = Field(default=None, min_length=1, max_length=64)
    account: str | None = Field(default=None, min_length=1, max_length=256)
    wallet: str | None = Field(default=None, min_length=1, max_length=256)


class ClaimOut(HeyMintModel):
    identityId: str
    claimed: bool
    mergedIdentityIds: list[str]


class CreateEventIn(HeyMintModel):
    name: str = Field(min_length=1, max_length=256)
    slug: str = Field(min_length=1, max_length=60, pattern=r"^[^\s#]+$")


class EventOut(HeyMintModel):
    id: str
    slug: str
    name: str


class LogEventIn(HeyMintModel):
    """Both documented bodies: (A) the event by its slug, (B) `identityId` + `eventId`."""

    eventId: str | None = Field(default=None, min_length=1, max_length=64)
    eventSlug: str | None = Field(default=None, min_length=1, max_length=60)
    slug: str | None = Field(default=None, min_length=1, max_length=60)
    identityId: str | None = Field(default=None, min_length=1, max_length=64)
    identityUniqueIdentifier: str | None = Field(default=None, min_length=1, max_length=256)
    uniqueIdentifier: str | None = Field(default=None, min_length=1, max_length=256)
    data: dict[str, Any] | None = None


class LoggedByIdOut(HeyMintModel):
    """The answer to body (B): `identityId` + `eventId`."""

    logId: str
    identityClaimed: bool


class LoggedOut(LoggedByIdOut):
    """The answer to body (A): the event by its slug."""

    createdAt: str


class LogOut(HeyMintModel):
    id: str
    eventId: str | None
    eventSlug: str
    identityId: str
    uniqueIdentifier: str | None
    source: str
    data: ClientJson  # numbers answered exactly as they were sent
    createdAt: str


class LogsOut(HeyMintModel):
    logs: list[LogOut]
    hasMore: bool
