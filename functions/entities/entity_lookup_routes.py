"""Finding an entity by its alias or a custom entity id, and adding custom ids."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from entity_params import EntityId

from questline.auth import OPERATOR, PLATFORM_USER, SECRET_KEY
from questline.errors import NotFound
from questline.http import CurrentPrincipal, Routes
from questline.http.lazy import lazy_import
from questline.http.models import QuestOk
from questline.tenancy import lookups

if TYPE_CHECKING:
    import entity_custom_id_models as models
else:
    models = lazy_import("entity_custom_id_models")

routes = Routes(tag="entity lookups", errors=(NotFound,))

ANYONE_WITH_A_ROLE = OPERATOR | SECRET_KEY | PLATFORM_USER
Alias = Annotated[str, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$", description="The entityURLAlias")]
Platform = Annotated[
    str, Query(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,31}$", description="e.g. DISCORD (any case)")
]
CustomEntityId = Annotated[
    str, Query(min_length=1, max_length=200, description="The platform's id for the entity (platformId)")
]


@routes.get(
    "/api/entities/by-alias",
    auth=ANYONE_WITH_A_ROLE,
    summary="The entityId of an entityURLAlias (within the caller's reach)",
)
def by_alias(entityURLAlias: Alias, caller: CurrentPrincipal) -> QuestOk[str]:
    return QuestOk(data=lookups.entity_id_by_alias(caller, entityURLAlias))


@routes.get(
    "/api/entities/by-custom-id",
    auth=ANYONE_WITH_A_ROLE,
    summary="The entityId of a custom entity id (within the caller's reach)",
)
def by_custom_id(
    platform: Platform, customEntityId: CustomEntityId, caller: CurrentPrincipal
) -> QuestOk[str]:
    return QuestOk(data=lookups.entity_id_by_custom_id(caller, platform, customEntityId))


@routes.post(
    "/api/entities/{entityId}/custom-ids",
    auth=ANYONE_WITH_A_ROLE,
    summary="Add a custom entity id (a platform's id for the entity, with its tokens)",
    status_code=201,
)
def add_custom_id(
    entityId: EntityId,
    body: models.CustomIdIn,
    caller: CurrentPrincipal,
) -> Response[QuestOk[models.CustomIdView]]:
    stored = lookups.add_custom_id(
        caller, entityId, body.platform, body.platformId, models.custom_id_record(body)
    )
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=QuestOk(data=models.custom_id_view(stored)),
    )
