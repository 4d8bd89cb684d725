"""API models of the platform-user routes (loaded on first use)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from questline.http.models import ApiModel

EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{2,63}$"


class UserCreate(ApiModel):
    email: Annotated[str, Field(pattern=EMAIL_PATTERN, max_length=320)]
    name: Annotated[str, Field(min_length=1, max_length=100)]


class UserCredentials(ApiModel):
    """A platform user with its token: answered once, at creation or rotation."""

    userId: str
    email: str | None = None
    name: str | None = None
    token: str
    createdAt: str | None = None


class UserView(ApiModel):
    """A platform user as the Quest Labs apps read it (`GET /api/users/{userId}`): no token."""

    userId: str
    email: str
    name: str
    createdAt: str


def user_view(item: dict[str, Any]) -> UserView:
    return UserView(
        userId=item["user_id"], email=item["email"], name=item["name"], createdAt=item["created_at"]
    )


def created_view(item: dict[str, Any], token: str) -> UserCredentials:
    return UserCredentials(
        userId=item["user_id"],
        email=item["email"],
        name=item["name"],
        token=token,
        createdAt=item["created_at"],
    )
