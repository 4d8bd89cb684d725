"""An entity's people: its users (MEMBERs) and its admins. The owner (or the operator) invites admins (they
join when they accept, `entity_invitation_routes`) and removes them; an admin may leave; the owner is never
removed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from entity_params import EntityId, Limit, MemberId, Page

from questline.auth import OPERATOR, PLATFORM_USER, SECRET_KEY
from questline.errors import BadRequest, RuleViolation
from questline.http import CurrentPrincipal, Routes
from questline.http.lazy import lazy_import
from questline.http.models import QuestOk
from questline.tenancy import invitations, members

if TYPE_CHECKING:
    import entity_envelopes as envelopes
    import entity_member_models as models
else:
    envelopes = lazy_import("entity_envelopes")
    models = lazy_import("entity_member_models")

routes = Routes(tag="entity members")

PEOPLE = OPERATOR | PLATFORM_USER


@routes.get(
    "/api/entities/{entityId}/users",
    auth=OPERATOR | SECRET_KEY | PLATFORM_USER,
    summary="The platform users of an entity, with their roles",
)
def list_users(
    entityId: EntityId,
    caller: CurrentPrincipal,
    page: Page = 1,
    limit: Limit = 10,
) -> envelopes.QuestPage[models.MemberView]:
    found, has_more = members.list_members(caller, entityId, page=page, limit=limit)
    views = [models.member_view(m.membership, m.user) for m in found]
    return envelopes.QuestPage(data=views, page=page, limit=limit, hasMore=has_more)


@routes.post(
    "/api/entities/{entityId}/users",
    auth=PEOPLE,
    bare_array_as="userIds",  # the seed's example body is the bare array ["userId"]
    summary="Add platform users to an entity",
)
def add_users(
    entityId: EntityId,
    body: models.UsersAdd,
    caller: CurrentPrincipal,
) -> QuestOk[list[models.MemberView]]:
    added = members.add_users(caller, entityId, body.userIds)
    return QuestOk(data=[models.member_view(m.membership, m.user) for m in added])


@routes.get(
    "/api/entities/{entityId}/admins",
    auth=OPERATOR | SECRET_KEY | PLATFORM_USER,
    summary="The owner and admins of an entity",
)
def list_admins(entityId: EntityId, caller: CurrentPrincipal) -> QuestOk[list[models.MemberView]]:
    return QuestOk(
        data=[models.member_view(m.membership, m.user) for m in members.list_admins(caller, entityId)]
    )


@routes.post(
    "/api/entities/{entityId}/admins",
    errors=(RuleViolation,),
    auth=PEOPLE,
    summary="Invite an admin (owner only): they become one when they accept; the same answer whoever has "
    "the email",
)
def add_admin(
    entityId: EntityId,
    body: models.AdminAdd,
    caller: CurrentPrincipal,
) -> envelopes.QuestDone[models.InvitationView]:
    if body.userId is None and body.email is None:
        raise BadRequest("email: name the admin by email or by userId", field="email")
    invited = invitations.invite_admin(
        caller, entityId, user_id=body.userId, email=body.email, display_name=body.name
    )
    # Quest Protocol's documented answer; `data` says it is an invitation, pending until accepted.
    return envelopes.QuestDone(data=models.invitation_view(invited), message="Admin added to entity")


@routes.delete(
    "/api/entities/{entityId}/admins/{userId}",
    errors=(RuleViolation,),
    auth=PEOPLE,
    summary="Remove an admin (the owner), or leave as an admin (the admin)",
)
def remove_admin(
    entityId: EntityId,
    userId: MemberId,
    caller: CurrentPrincipal,
) -> envelopes.QuestDone[dict[str, str]]:
    members.remove_admin(caller, entityId, userId)
    return envelopes.QuestDone(
        data={"entityId": entityId, "userId": userId}, message="Admin removed successfully."
    )
