"""Identities: create-or-get, association (claim) URLs, and claims."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from heymint_models import AssociationOut, ClaimIn, ClaimOut, CreateIdentityIn, IdentityOut

from questline.auth import SECRET_KEY
from questline.errors import BadRequest, Conflict
from questline.http import CurrentPrincipal, Routes
from questline.identity import claims, identifiers
from questline.identity.graph import resolve
from questline.tenancy.mau import record_monthly_activity

routes = Routes(tag="heymint")

IdentityId = Annotated[str, Path(min_length=1, max_length=64, description="Identity id")]


@routes.post("/v1/identities", auth=SECRET_KEY, summary="Create an identity (or get it by uniqueIdentifier)")
def create_identity(
    caller: CurrentPrincipal, body: Annotated[CreateIdentityIn | None, Body()] = None
) -> IdentityOut:
    entity_id = str(caller.entity_id)
    wanted = [identifiers.unique_identifier(body.uniqueIdentifier)] if body and body.uniqueIdentifier else []
    resolved = resolve(entity_id, wanted)
    if resolved.created:
        record_monthly_activity(entity_id, resolved.identity_id)
    return IdentityOut(id=resolved.identity_id)


@routes.post(
    "/v1/identities/{identityId}/association",
    auth=SECRET_KEY,
    summary="Create a claim URL for an identity (signed, single use)",
)
def create_association(identityId: IdentityId, caller: CurrentPrincipal) -> AssociationOut:
    made = claims.association(str(caller.entity_id), identityId)
    return AssociationOut(identityId=made.identity_id, url=made.url)


@routes.post(
    "/v1/claims/{claimToken}",
    errors=(Conflict,),
    auth=SECRET_KEY,
    summary="Complete a claim: link the identity to the account your app verified",
)
def complete_claim(
    claimToken: Annotated[str, Path(min_length=1, max_length=2048)],
    body: ClaimIn,
    caller: CurrentPrincipal,
) -> ClaimOut:
    if body.wallet:
        account = identifiers.wallet(body.wallet, "wallet")
    elif body.platform and body.account:
        account = identifiers.account(body.platform, body.account)
    else:
        raise BadRequest("send the verified account as platform + account, or as wallet", field="account")
    resolved = claims.claim(str(caller.entity_id), claimToken, account)
    return ClaimOut(identityId=resolved.identity_id, claimed=True, mergedIdentityIds=list(resolved.merged))
