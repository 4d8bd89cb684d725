"""HeyMint's request and response shapes (camelCase, as its docs and clients use them)."""

from __future__ import annotations

from typing import Any, Literal

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


# --- the identity API (ours) --------------------------------------------------------------------------

IdentifierKind = Literal["user_id", "anonymous_id", "account", "wallet", "fingerprint"]


class IdentifierIn(HeyMintModel):
    """An identifier as every surface names it: `platform` only (and always) for `kind=account`."""

    kind: IdentifierKind
    value: str = Field(min_length=1, max_length=256, description="for an account, its id on the platform")
    platform: str | None = Field(default=None, min_length=1, max_length=64, description="accounts only")


class IdentifierOut(HeyMintModel):
    kind: IdentifierKind
    value: str
    platform: str | None = Field(description="the account's platform (accounts only)")
    surface: str | None = Field(
        description="the surface it was first linked through: heymint, parcelvoy, claimr, endu; null when "
        "linked before surfaces were recorded"
    )
    linkedAt: str | None


class ConflictIdentifierOut(HeyMintModel):
    kind: str
    value: str | None
    platform: str | None


class ConflictOut(HeyMintModel):
    identityId: str = Field(description="the identity it is recorded on: this person's or one merged into it")
    otherIdentityId: str | None = Field(description="the other identity, when the refused link was a merge")
    identifier: ConflictIdentifierOut | None = Field(description="what the refused link would have linked")
    reason: str = Field(
        description="named_by_id, another_user_id, account_held, wallet_held, two_user_ids, both_known, "
        "merge_limit or identifier_limit"
    )
    authority: str | None = Field(description="public (a pk_), secret (the sk_) or verified (a claim)")
    count: int = Field(description="how often the same link was refused")
    firstAt: str | None
    lastAt: str | None
    resolved: bool = Field(description="the other identity or the identifier is part of this person now")


class DeviceOut(HeyMintModel):
    deviceId: str
    os: str | None
    osVersion: str | None
    model: str | None
    appBuild: str | None
    appVersion: str | None
    pushToken: bool = Field(description="whether the device holds a push token (never the token)")
    updatedAt: str | None


class ProfileOut(HeyMintModel):
    email: str | None
    phone: str | None
    timezone: str | None
    locale: str | None
    data: ClientJson


class IdentityDocumentOut(HeyMintModel):
    """A person: the active identity and every identity merged into it."""

    id: str = Field(description="the person's identity id (the survivor of every merge)")
    redirectedFrom: str | None = Field(
        description="the id you asked for, when it was merged into this one (null otherwise)"
    )
    status: str
    createdAt: str | None
    claimed: bool
    claimedAt: str | None
    identifiers: list[IdentifierOut]
    mergedIds: list[str] = Field(description="identities merged into this one; each answers this document")
    conflicts: list[ConflictOut] = Field(description="links the merge-authority rules refused (at most 50)")
    moreConflicts: bool
    profile: ProfileOut
    devices: list[DeviceOut] = Field(description="at most 50")
    moreDevices: bool
