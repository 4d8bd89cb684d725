"""A person (our extension, `sk_` only): export everything stored about them, erase them, and follow the
erasure. Use cases: `questline.identity.export` and `questline.identity.erasure`."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from heymint_person_models import ErasureOut, ExportOut

from questline.auth import SECRET_KEY
from questline.http import CurrentPrincipal, Routes
from questline.identity import erasure, export

routes = Routes(tag="heymint")

IdentityId = Annotated[str, Path(min_length=1, max_length=64, description="Identity id")]


def _erasure_out(made: erasure.Erasure) -> ErasureOut:
    return ErasureOut(
        identityId=made.identity_id,
        status="erased" if made.status == erasure.ERASED else "erasing",
        requestedAt=made.requested_at,
        erasedAt=made.erased_at,
        erasedIdentityIds=made.erased_ids,
        removedItems=made.removed_items,
    )


@routes.get(
    "/v1/identities/{identityId}/export",
    auth=SECRET_KEY,
    summary="Export everything stored about a person, in pages (follow nextCursor until null)",
)
def export_identity(
    identityId: IdentityId,
    caller: CurrentPrincipal,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=export.MAX_LIMIT)] = export.MAX_LIMIT,
) -> ExportOut:
    return ExportOut(**export.export_person(str(caller.entity_id), identityId, limit=limit, cursor=cursor))


@routes.delete(
    "/v1/identities/{identityId}",
    auth=SECRET_KEY,
    summary="Erase a person and every identity merged into it (202 while erasing, 200 once erased)",
    responses={202: {"description": "erasing: poll GET /v1/identities/{identityId}/erasure"}},
)
def erase_identity(identityId: IdentityId, caller: CurrentPrincipal) -> Response[ErasureOut]:
    made = _erasure_out(erasure.request_erasure(str(caller.entity_id), identityId))
    return Response(
        status_code=200 if made.status == "erased" else 202,
        content_type=content_types.APPLICATION_JSON,
        body=made,
    )


@routes.get(
    "/v1/identities/{identityId}/erasure",
    auth=SECRET_KEY,
    summary="Where a person's erasure stands (404 when none was asked for)",
)
def erasure_status(identityId: IdentityId, caller: CurrentPrincipal) -> ErasureOut:
    return _erasure_out(erasure.erasure_of(str(caller.entity_id), identityId))
