"""API models of custom entity ids (loaded on first use, see `questline.http.lazy`). The tokens a custom id
carries are stored, never answered."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from questline.http.models import ApiModel

# A platform name, any case (the seed's `dummy-platform`); stored upper-case, so DISCORD and discord are
# one platform and one claim.
PLATFORM_PATTERN = r"^[A-Za-z][A-Za-z0-9_.-]{0,31}$"


class CustomIdIn(ApiModel):
    platform: Annotated[str, Field(pattern=PLATFORM_PATTERN)]  # e.g. DISCORD, ENDU
    platformId: Annotated[str, Field(min_length=1, max_length=200)]
    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    username: Annotated[str, Field(max_length=200)] | None = None
    link: Annotated[str, Field(max_length=2048)] | None = None
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
