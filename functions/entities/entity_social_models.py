"""API models of an entity's social connections (loaded on first use). Stored tokens appear only in
`SocialTokensView`, the answer of the social-tokens read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, Field

from questline import clock
from questline.http.models import ApiModel

ENTITY_ID_PATTERN = r"^e-[0-9a-f]{32}$"
TokenType = Literal["TWITTER", "DISCORD", "INSTAGRAM"]
Token = Annotated[str, Field(min_length=1, max_length=4096)]
LAST_EPOCH = 253402300799  # 9999-12-31T23:59:59Z: the last second an answer's ISO date can show


def _within_iso_years(value: datetime) -> datetime:
    """A time that converts to a Unix second an answer can show again (a +14:00 offset on 0001-01-01
    falls before year 1 in UTC, which Python cannot represent)."""
    try:
        epoch = value.timestamp()
    except (OverflowError, ValueError):
        epoch = -1.0
    if not 0 <= epoch <= LAST_EPOCH:
        raise ValueError("must lie between 1970-01-01 and 9999-12-31 UTC")
    return value


Expiry = (
    Annotated[AwareDatetime, AfterValidator(_within_iso_years)] | Annotated[int, Field(ge=0, le=LAST_EPOCH)]
)


class OAuthConnect(ApiModel):
    """The authorization code a provider redirected back with. `userId`, `entityId` and `recordType`
    are accepted as Quest Protocol clients send them; `entityId`, when sent, must be the path's."""

    code: Annotated[str, Field(min_length=1, max_length=2048)]
    redirectUri: Annotated[str, Field(min_length=1, max_length=2048)] | None = None
    codeVerifier: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    userId: Annotated[str, Field(max_length=100)] | None = None
    entityId: Annotated[str, Field(pattern=ENTITY_ID_PATTERN)] | None = None
    recordType: Literal["ENTITY_RECORD"] | None = None
    id: Annotated[str, Field(max_length=100)] | None = None  # Discord: the server (guild) id


class Connected(ApiModel):
    type: str
    connected: bool
    username: str | None = None
    accountId: str | None = None
    teamId: str | None = None
    expiresAt: str | None = None


class SocialTokensIn(ApiModel):
    type: TokenType
    accessToken: Token
    refreshToken: Token | None = None
    expiry: Expiry | None = None
    username: Annotated[str, Field(max_length=200)] | None = None
    accountId: Annotated[str, Field(max_length=200)] | None = None


class SocialTokensView(ApiModel):
    type: str
    accessToken: str
    refreshToken: str | None = None
    expiry: str | None = None
    username: str | None = None
    accountId: str | None = None
    source: str | None = None
    connectedAt: str | None = None


class IntegrationView(ApiModel):
    connected: bool
    username: str | None = None
    expiresAt: str | None = None
    expired: bool = False
    connectedAt: str | None = None
    source: str | None = None


class IntegrationsView(ApiModel):
    twitter: IntegrationView
    discord: IntegrationView
    slack: IntegrationView
    instagram: IntegrationView


def expiry_epoch(value: datetime | int | None) -> int | None:
    if value is None:
        return None
    return value if isinstance(value, int) else int(value.timestamp())


def _iso(epoch: Any) -> str | None:
    return clock.iso(float(epoch)) if epoch is not None else None


def connected_view(item: dict[str, Any]) -> Connected:
    return Connected(
        type=item["provider"],
        connected=True,
        username=item.get("username"),
        accountId=item.get("account_id"),
        teamId=item.get("team_id"),
        expiresAt=_iso(item.get("expires_at")),
    )


def tokens_view(item: dict[str, Any]) -> SocialTokensView:
    return SocialTokensView(
        type=item["provider"],
        accessToken=item["access_token"],
        refreshToken=item.get("refresh_token"),
        expiry=_iso(item.get("expires_at")),
        username=item.get("username"),
        accountId=item.get("account_id"),
        source=item.get("source"),
        connectedAt=item.get("connected_at"),
    )


def integration_view(item: dict[str, Any] | None) -> IntegrationView:
    if item is None:
        return IntegrationView(connected=False)
    expires_at = item.get("expires_at")
    return IntegrationView(
        connected=True,
        username=item.get("username"),
        expiresAt=_iso(expires_at),
        expired=expires_at is not None and float(expires_at) <= clock.now(),
        connectedAt=item.get("connected_at"),
        source=item.get("source"),
    )


def integrations_view(found: dict[str, dict[str, Any]]) -> IntegrationsView:
    return IntegrationsView(
        twitter=integration_view(found.get("TWITTER")),
        discord=integration_view(found.get("DISCORD")),
        slack=integration_view(found.get("SLACK")),
        instagram=integration_view(found.get("INSTAGRAM")),
    )
