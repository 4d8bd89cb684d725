"""Identities: create-or-get, association (claim) URLs, and claims (HeyMint's); read a person, look one up
by any identifier, link and unlink identifiers (the identity API, ours: `questline.identity.people`)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from heymint_models import (
    AssociationOut,
    ClaimIn,
    ClaimOut,
    ConflictIdentifierOut,
    ConflictOut,
    CreateIdentityIn,
    DeviceOut,
    IdentifierIn,
    IdentifierKind,
    IdentifierOut,
    IdentityDocumentOut,
    IdentityOut,
    ProfileOut,
)

from questline.auth import SECRET_KEY
from questline.errors import BadRequest, Conflict, NotFound
from questline.http import CurrentPrincipal, Routes
from questline.http.json_text import tag_numbers
from questline.identity import claims, identifiers, people
from questline.identity.graph import resolve
from questline.storage.codec import client_json
from questline.tenancy.mau import record_monthly_activity

routes = Routes(tag="heymint")

IdentityId = Annotated[str, Path(min_length=1, max_length=64, description="Identity id")]
Kind = Annotated[IdentifierKind, Query(description="the identifier's kind")]
Value = Annotated[str, Query(min_length=1, max_length=256, description="the identifier (an account's id)")]
Platform = Annotated[
    str | None, Query(min_length=1, max_length=64, description="the account's platform (kind=account only)")
]
PERSON = (
    "The person: identifiers (kind, value, platform, the surface that linked it, when), the identities "
    "merged into it, the links the merge-authority rules refused (conflicts), claim state, profile and "
    "devices. An id that was merged answers its survivor's document, `redirectedFrom` naming the id asked "
    "for. Secret key only."
)


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


# --- the identity API (ours) -----------------------------------------------------------------------------


@routes.get(
    "/v1/identities/{identityId}",
    auth=SECRET_KEY,
    summary="Read a person: identifiers, merged ids, conflicts, claim state, profile, devices",
    description=PERSON,
)
def read_identity(identityId: IdentityId, caller: CurrentPrincipal) -> IdentityDocumentOut:
    return _document(people.read_person(str(caller.entity_id), identityId))


@routes.get(
    "/v1/identities",
    errors=(NotFound,),
    auth=SECRET_KEY,
    summary="Find a person by any identifier (kind + value, and platform for an account)",
    description="One key read of the identifier, then the person's document (as `GET /v1/identities/{id}`). "
    "404 when no identity holds it. Secret key only.",
)
def find_identity(
    caller: CurrentPrincipal, kind: Kind, value: Value, platform: Platform = None
) -> IdentityDocumentOut:
    identifier = people.identifier_of(kind, value, platform)
    return _document(people.find_person(str(caller.entity_id), identifier))


@routes.post(
    "/v1/identities/{identityId}/identifiers",
    errors=(Conflict,),
    auth=SECRET_KEY,
    summary="Link an identifier to a person (merges with its holder where the rules allow; 409 otherwise)",
    description="Under the secret key's merge-authority rules: a new identifier joins; another person's "
    "identifier merges the two (the older survives and answers); a second integrator user id, more than 16 "
    "identities or 50 identifiers is refused with a 409 `identity_conflict`, recorded as a conflict on both "
    "identities. Linking what the person holds already answers 200 and changes nothing.",
)
def link_identifier(
    identityId: IdentityId, body: IdentifierIn, caller: CurrentPrincipal
) -> IdentityDocumentOut:
    identifier = people.identifier_of(body.kind, body.value, body.platform)
    return _document(people.link(str(caller.entity_id), identityId, identifier))


@routes.delete(
    "/v1/identities/{identityId}/identifiers",
    errors=(Conflict,),
    auth=SECRET_KEY,
    summary="Unlink an identifier from a person (it is released; the person's only user id stays: 409)",
    description="The identifier is released: the next request carrying it resolves it afresh. Any identifier "
    "may go, even the last (the person stays, reachable by its id), except the person's only integrator user "
    "id (409 `user_id_kept`). 404 `identifier_not_linked` when the person does not hold it.",
)
def unlink_identifier(
    identityId: IdentityId, caller: CurrentPrincipal, kind: Kind, value: Value, platform: Platform = None
) -> IdentityDocumentOut:
    identifier = people.identifier_of(kind, value, platform)
    return _document(people.unlink(str(caller.entity_id), identityId, identifier))


def _document(person: people.Person) -> IdentityDocumentOut:
    return IdentityDocumentOut(
        id=person.identity_id,
        redirectedFrom=person.redirected_from,
        status=person.status,
        createdAt=person.created_at,
        claimed=person.claimed,
        claimedAt=person.claimed_at,
        identifiers=[
            IdentifierOut(
                kind=i.kind, value=i.value, platform=i.platform, surface=i.surface, linkedAt=i.linked_at
            )
            for i in person.identifiers
        ],
        mergedIds=person.merged_ids,
        conflicts=[
            ConflictOut(
                identityId=c.identity_id,
                otherIdentityId=c.other_identity_id,
                identifier=ConflictIdentifierOut.model_validate(c.identifier) if c.identifier else None,
                reason=c.reason,
                authority=c.authority,
                count=c.times,
                firstAt=c.first_at,
                lastAt=c.last_at,
                resolved=c.resolved,
            )
            for c in person.conflicts
        ],
        moreConflicts=person.more_conflicts,
        profile=ProfileOut(
            email=person.profile.get("email"),
            phone=person.profile.get("phone"),
            timezone=person.profile.get("timezone"),
            locale=person.profile.get("locale"),
            data=tag_numbers(client_json(person.profile.get("data") or {})),
        ),
        devices=[
            DeviceOut(
                deviceId=d.device_id,
                os=d.os,
                osVersion=d.os_version,
                model=d.model,
                appBuild=d.app_build,
                appVersion=d.app_version,
                pushToken=d.push_token,
                updatedAt=d.updated_at,
            )
            for d in person.devices
        ],
        moreDevices=person.more_devices,
    )
