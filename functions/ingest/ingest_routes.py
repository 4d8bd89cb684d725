"""POST /api/events/record: identity keys in any combination ("mutations" link them to one person)."""

from __future__ import annotations

import math

from aws_lambda_powertools.event_handler import Response
from ingest_models import RecordIn

from questline import idempotency
from questline.auth import ANY_ENTITY_KEY
from questline.errors import BadRequest
from questline.events.ingest import EventIn, ingest
from questline.events.logs import LogInput
from questline.http import CurrentPrincipal, Routes
from questline.identity import identifiers
from questline.identity.authority import Authority
from questline.identity.identifiers import Identifier
from questline.storage.codec import check_client_value
from questline.tenancy.organizations import organization_of

routes = Routes(tag="endu")
PLATFORMS = {"discord", "telegram"}
_MAX_TIMESTAMP = 32_503_680_000  # year 3000


def _timestamp(value: str | int | float) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise BadRequest(
            "timestamp must be Unix seconds (a number, or digits in a string)", field="timestamp"
        ) from None
    if isinstance(value, bool) or math.isnan(seconds) or not 1 <= seconds < _MAX_TIMESTAMP:
        raise BadRequest(
            "timestamp must be Unix seconds (a number, or digits in a string)", field="timestamp"
        )
    return seconds


def _identity_keys(body: RecordIn) -> tuple[Identifier, ...]:
    found: list[Identifier] = []
    if body.p_user_id is not None or body.platform_type is not None:
        if body.p_user_id is None or body.platform_type is None:
            raise BadRequest("p_user_id and platform_type go together", field="platform_type")
        if body.platform_type.lower() not in PLATFORMS:
            raise BadRequest("platform_type must be one of Discord, Telegram", field="platform_type")
        found.append(
            identifiers.account(
                body.platform_type, body.p_user_id, platform_field="platform_type", account_field="p_user_id"
            )
        )
    if body.blockchain is not None:
        found.append(identifiers.wallet(body.blockchain.chain_account, "blockchain.chain_account"))
    if body.fingerprint is not None:
        found.append(identifiers.fingerprint(body.fingerprint))
    if not found and body.c_user_id is None:
        raise BadRequest(
            "an identity key is required: p_user_id + platform_type, c_user_id, blockchain or fingerprint",
            field="p_user_id",
        )
    return tuple(found)


@routes.post(
    "/api/events/record",
    auth=ANY_ENTITY_KEY,
    summary="Record an event (Endu); links the identity keys it carries",
)
def record(
    body: RecordIn,
    caller: CurrentPrincipal,
    idempotency_key: idempotency.IdempotencyKey = None,
) -> Response[str]:
    entity_id = organization_of(str(caller.entity_id), body.organization_id)
    client_ts = _timestamp(body.timestamp)
    check_client_value(body.event_data, "event_data")
    keys = _identity_keys(body)
    log = LogInput(
        source="endu",
        event_key=body.event_type,
        name=body.event_type,
        data=body.event_data,
        client_ts=client_ts,
        property_id=body.property_id,
        unique_key=f"request:{idempotency_key}" if idempotency_key else None,
    )
    event = EventIn(keys, log, identity_id=body.c_user_id)
    headers = idempotency.run_once(
        entity_id,
        "endu",
        idempotency_key,
        body.model_dump(),
        lambda: ingest(entity_id, [event], Authority.of(caller.kind)),
    )
    return Response(status_code=200, body="", headers=headers)
