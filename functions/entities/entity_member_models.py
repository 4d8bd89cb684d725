"""API models of an entity's users and admins (loaded on first use)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from questline.http.models import ApiModel

# As loose as the vendor's ids (the seed's `"userId"`): an id that is no user's is a 404, not a 400.
USER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
UserRef = Annotated[str, Field(pattern=USER_ID_PATTERN)]


class MemberView(ApiModel):
    userId: str
    role: Literal["OWNER", "ADMIN", "MEMBER"]
    email: str | None = None
    name: str | None = None
    displayName: str | None = None
    addedAt: str | None = None


class UsersAdd(ApiModel):
    """`{"userIds": [...]}`, or the bare array of user ids the Quest Protocol seed's example sends (the
    route takes it as `userIds`)."""

    userIds: list[UserRef] = Field(min_length=1, max_length=25)


class AdminAdd(ApiModel):
    """The admin is named by `email` (as Quest Protocol does) or by `userId`."""

    role: Literal["ADMIN"] = "ADMIN"
    email: Annotated[str, Field(min_length=3, max_length=320)] | None = None
    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    userId: UserRef | None = None


def member_view(membership: dict[str, Any], user: dict[str, Any]) -> MemberView:
    return MemberView(
        userId=membership["user_id"],
        role=membership["role"],
        email=user.get("email"),
        name=user.get("name"),
        displayName=membership.get("display_name"),
        addedAt=membership.get("added_at"),
    )


class InvitationView(ApiModel):
    """A pending invitation to become an admin. It names its invitee as the inviter named them (an email,
    or a user id), never who holds the email."""

    invitationId: str
    entityId: str
    role: Literal["ADMIN"]
    status: Literal["pending"] = "pending"
    email: str | None = None
    userId: str | None = None
    displayName: str | None = None
    entityName: str | None = None
    invitedAt: str
    expiresAt: int


def invitation_view(item: dict[str, Any]) -> InvitationView:
    return InvitationView(
        invitationId=item["invitation_id"],
        entityId=item["entity_id"],
        role=item["role"],
        email=item.get("email"),
        userId=item.get("user_id"),
        displayName=item.get("display_name"),
        entityName=item.get("entity_name"),
        invitedAt=item["invited_at"],
        expiresAt=int(item["expires_at"]),
    )
