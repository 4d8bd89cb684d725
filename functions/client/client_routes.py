"""Alias, identify, devices and events: every route answers 204 with an empty body."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from client_models import AliasIn, DeviceIn, EventIn, Traits

from questline import idempotency
from questline.auth import ANY_ENTITY_KEY
from questline.errors import BadRequest
from questline.events.ingest import EventIn as Ingested
from questline.events.ingest import ingest
from questline.events.logs import LogInput
from questline.http import CurrentPrincipal, Routes
from questline.identity import aliases, identifiers
from questline.identity.authority import Authority
from questline.identity.devices import upsert_device
from questline.identity.graph import resolve
from questline.identity.identifiers import Identifier
from questline.identity.profiles import check_timezone, check_traits, update_profile
from questline.storage.codec import check_client_value
from questline.tenancy.mau import record_monthly_activity

routes = Routes(tag="parcelvoy")
MAX_EVENTS = 100
NO_CONTENT = 204


def _ids(
    anonymous_id: str | None, external_id: str | None, field: str = "external_id"
) -> tuple[Identifier, ...]:
    found = []
    if external_id is not None:
        found.append(identifiers.external_id(external_id))
    if anonymous_id is not None:
        found.append(identifiers.anonymous_id(anonymous_id))
    if not found:
        raise BadRequest("anonymous_id or external_id is required", field=field)
    return tuple(found)


def _profile(traits: Traits) -> dict[str, str | None]:
    if traits.timezone is not None:
        check_timezone(traits.timezone)
    if traits.data is not None:
        check_traits(traits.data)
    return {
        "email": traits.email,
        "phone": traits.phone,
        "timezone": traits.timezone,
        "locale": traits.locale,
    }


def _done() -> Response[str]:
    return Response(status_code=NO_CONTENT, body="")


@routes.post(
    "/api/client/alias",
    auth=ANY_ENTITY_KEY,
    empty=(204, "Success, no body"),
    summary="Merge an anonymous identity into a known one (once)",
)
def alias(body: AliasIn, caller: CurrentPrincipal) -> Response[str]:
    ids = (identifiers.anonymous_id(body.anonymous_id), identifiers.external_id(body.external_id))
    aliases.alias_once(str(caller.entity_id), *ids, authority=Authority.of(caller.kind))
    return _done()


@routes.post(
    "/api/client/identify",
    auth=ANY_ENTITY_KEY,
    empty=(204, "Success, no body"),
    summary="Create or update a user profile",
)
def identify(body: Traits, caller: CurrentPrincipal) -> Response[str]:
    entity_id = str(caller.entity_id)
    ids = _ids(body.anonymous_id, body.external_id)
    profile = _profile(body)
    identity_id = resolve(entity_id, ids, authority=Authority.of(caller.kind)).identity_id
    update_profile(entity_id, identity_id, fields=profile, traits=body.data)
    record_monthly_activity(entity_id, identity_id)
    return _done()


@routes.post(
    "/api/client/devices",
    auth=ANY_ENTITY_KEY,
    empty=(204, "Success, no body"),
    summary="Register a device and its push token",
)
def register_device(body: DeviceIn, caller: CurrentPrincipal) -> Response[str]:
    entity_id = str(caller.entity_id)
    ids = _ids(body.anonymous_id, body.external_id)
    identity_id = resolve(entity_id, ids, authority=Authority.of(caller.kind)).identity_id
    upsert_device(entity_id, identity_id, body.device_id, body.token, body.model_dump())
    record_monthly_activity(entity_id, identity_id)
    return _done()


@routes.post(
    "/api/client/events",
    auth=ANY_ENTITY_KEY,
    empty=(204, "Success, no body"),
    summary="Track events (creates users; `user` traits first)",
)
def track_events(
    body: Annotated[list[EventIn], Body()],
    caller: CurrentPrincipal,
    idempotency_key: idempotency.IdempotencyKey = None,
) -> Response[str]:
    if not body:
        raise BadRequest("send an array of at least one event", field="body")
    if len(body) > MAX_EVENTS:
        raise BadRequest(f"send at most {MAX_EVENTS} events per request", field="body")
    batch = []
    for index, event in enumerate(body):  # everything is checked before anything is written
        ids = _ids(event.anonymous_id, event.external_id, field=f"{index}.external_id")
        # The Android SDK sends `properties`; an error names the field the client sent.
        sent_as = "data" if event.data is not None or event.properties is None else "properties"
        data = event.data if event.data is not None else event.properties or {}
        check_client_value(data, f"{index}.{sent_as}")
        profile = _profile(event.user) if event.user else None
        # With an Idempotency-Key, each event is written once per (key, position): a retry of a batch that
        # failed half way writes only what is missing.
        unique = f"batch:{idempotency_key}:{index}" if idempotency_key else None
        log = LogInput(
            source="parcelvoy", event_key=event.name, name=event.name, data=data, unique_key=unique
        )
        batch.append(Ingested(ids, log, profile=profile, traits=event.user.data if event.user else None))
    entity_id = str(caller.entity_id)
    request = [e.model_dump(mode="json") for e in body]
    headers = idempotency.run_once(
        entity_id,
        "parcelvoy-events",
        idempotency_key,
        request,
        lambda: ingest(entity_id, batch, Authority.of(caller.kind)),
    )
    return Response(status_code=NO_CONTENT, body="", headers=headers)
