"""Admin invitations: the invitee lists, accepts or declines them; the owner lists and withdraws them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from entity_params import EntityId, UserId

from questline.auth import OPERATOR, PLATFORM_USER
from questline.errors import RuleViolation
from questline.http import CurrentPrincipal, Routes
from questline.http.lazy import lazy_import
from questline.http.models import QuestOk
from questline.tenancy import invitations

if TYPE_CHECKING:
    import entity_envelopes as envelopes
    import entity_member_models as models
else:
    envelopes = lazy_import("entity_envelopes")
    models = lazy_import("entity_member_models")

routes = Routes(tag="entity invitations")
PEOPLE = OPERATOR | PLATFORM_USER
InvitationId = Annotated[str, Path(pattern=r"^i-[0-9a-f]{32}$", description="Invitation id (i-…)")]


@routes.get(
    "/api/users/{userId}/invitations",
    auth=PEOPLE,
    summary="The invitations waiting for a platform user (the user itself, or the operator)",
)
def invitations_for(userId: UserId, caller: CurrentPrincipal) -> QuestOk[list[models.InvitationView]]:
    return QuestOk(data=[models.invitation_view(i) for i in invitations.invitations_for(caller, userId)])


@routes.get(
    "/api/entities/{entityId}/invitations",
    auth=PEOPLE,
    summary="An entity's pending admin invitations (owner only)",
)
def pending(entityId: EntityId, caller: CurrentPrincipal) -> QuestOk[list[models.InvitationView]]:
    return QuestOk(data=[models.invitation_view(i) for i in invitations.pending(caller, entityId)])


@routes.post(
    "/api/entities/{entityId}/invitations/{invitationId}/accept",
    errors=(RuleViolation,),
    auth=PLATFORM_USER,
    summary="Accept an invitation: the invitee becomes an admin of the entity",
)
def accept(
    entityId: EntityId, invitationId: InvitationId, caller: CurrentPrincipal
) -> envelopes.QuestDone[models.MemberView]:
    joined = invitations.accept(caller, entityId, invitationId)
    return envelopes.QuestDone(
        data=models.member_view(joined.membership, joined.user), message="Invitation accepted"
    )


@routes.post(
    "/api/entities/{entityId}/invitations/{invitationId}/decline",
    auth=PLATFORM_USER,
    summary="Decline an invitation (the invitee)",
)
def decline(
    entityId: EntityId, invitationId: InvitationId, caller: CurrentPrincipal
) -> envelopes.QuestDone[dict[str, str]]:
    invitations.decline(caller, entityId, invitationId)
    return envelopes.QuestDone(
        data={"entityId": entityId, "invitationId": invitationId}, message="Invitation declined"
    )


@routes.delete(
    "/api/entities/{entityId}/invitations/{invitationId}",
    auth=PEOPLE,
    summary="Withdraw a pending invitation (owner only)",
)
def withdraw(
    entityId: EntityId, invitationId: InvitationId, caller: CurrentPrincipal
) -> envelopes.QuestDone[dict[str, str]]:
    invitations.revoke(caller, entityId, invitationId)
    return envelopes.QuestDone(
        data={"entityId": entityId, "invitationId": invitationId}, message="Invitation withdrawn"
    )
