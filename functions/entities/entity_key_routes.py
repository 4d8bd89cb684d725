"""An entity's API keys: list (metadata and a masked key), create, rotate (the old key keeps working for a
grace period), revoke; and its tracking tokens (the publishable keys its SDKs send). Plain keys are
answered once, by create and rotate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler import Response, content_types
from entity_params import EntityId, KeyId

from questline.auth import OPERATOR, PLATFORM_USER, SECRET_KEY
from questline.errors import RuleViolation
from questline.http import CurrentPrincipal, Routes
from questline.http.lazy import lazy_import
from questline.http.models import QuestOk
from questline.tenancy import keys
from questline.tenancy.keys import KIND_OF_PREFIX

if TYPE_CHECKING:
    import entity_key_models as models
else:
    models = lazy_import("entity_key_models")

routes = Routes(tag="entity keys")

READERS = OPERATOR | SECRET_KEY | PLATFORM_USER
KEY_MANAGERS = OPERATOR | PLATFORM_USER  # a key never mints, rotates or revokes keys


@routes.get("/api/entities/{entityId}/keys", auth=READERS, summary="An entity's keys (masked)")
def list_keys(entityId: EntityId, caller: CurrentPrincipal) -> models.KeyListOk:
    return models.key_list(keys.list_keys(caller, entityId))


@routes.post(
    "/api/entities/{entityId}/keys",
    errors=(RuleViolation,),
    auth=KEY_MANAGERS,
    summary="Create a key (shown once)",
    status_code=201,
)
def create_key(
    entityId: EntityId,
    body: models.KeyCreate,
    caller: CurrentPrincipal,
) -> Response[models.IssuedKeyOk]:
    issued = keys.create_key(caller, entityId, KIND_OF_PREFIX[body.type], body.name)
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=models.IssuedKeyOk(data=models.issued_view(issued), key=issued.plain),
    )


@routes.post(
    "/api/entities/{entityId}/keys/{keyId}/rotate",
    errors=(RuleViolation,),
    auth=KEY_MANAGERS,
    summary="Rotate a key: a new key now, the old one until its grace period ends",
    status_code=201,
)
def rotate_key(
    entityId: EntityId,
    keyId: KeyId,
    caller: CurrentPrincipal,
) -> Response[models.IssuedKeyOk]:
    rotation = keys.rotate_key(caller, entityId, keyId)
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=models.IssuedKeyOk(data=models.issued_view(rotation.new, rotation), key=rotation.new.plain),
    )


@routes.delete("/api/entities/{entityId}/keys/{keyId}", auth=KEY_MANAGERS, summary="Revoke a key at once")
def revoke_key(
    entityId: EntityId,
    keyId: KeyId,
    caller: CurrentPrincipal,
) -> QuestOk[models.KeyView]:
    return QuestOk(data=models.key_view(keys.revoke_key(caller, entityId, keyId)))


@routes.get(
    "/api/entities/{entityId}/tracking-tokens",
    auth=READERS,
    summary="The publishable keys client-side tracking uses (masked)",
)
def tracking_tokens(entityId: EntityId, caller: CurrentPrincipal) -> QuestOk[list[models.KeyView]]:
    return QuestOk(data=[models.key_view(item) for item in keys.tracking_tokens(caller, entityId)])
