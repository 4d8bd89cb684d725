"""An entity's theme: read by anyone (widgets load it before sign-in), replaced by who manages the entity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from entity_params import EntityId

from questline.auth import OPERATOR, PLATFORM_USER, PUBLIC, SECRET_KEY
from questline.http import CurrentPrincipal, Routes
from questline.http.lazy import lazy_import
from questline.http.models import QuestOk
from questline.tenancy import entities

if TYPE_CHECKING:
    import entity_envelopes as envelopes
    import entity_theme_models as models
else:
    envelopes = lazy_import("entity_envelopes")
    models = lazy_import("entity_theme_models")

routes = Routes(tag="entity theme")


@routes.get("/api/entities/{entityId}/theme", auth=PUBLIC, summary="An entity's theme (no credential)")
def get_theme(entityId: EntityId) -> QuestOk[models.Theme]:
    return QuestOk(data=models.Theme.model_validate(entities.get_theme(entityId)))


@routes.put(
    "/api/entities/{entityId}/theme", auth=OPERATOR | SECRET_KEY | PLATFORM_USER, summary="Replace the theme"
)
def put_theme(
    entityId: EntityId,
    body: models.Theme,
    caller: CurrentPrincipal,
) -> envelopes.QuestDone[models.Theme]:
    stored = entities.set_theme(caller, entityId, body.model_dump(exclude_none=True))
    return envelopes.QuestDone(
        data=models.Theme.model_validate(stored), message="Entity theme updated successfully"
    )
