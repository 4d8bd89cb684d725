"""Entities: read one. (The full Entity API arrives with the tenancy work.)"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from entity_models import EntityView, entity_view

from questline.auth import OPERATOR, SECRET_KEY
from questline.http import CurrentPrincipal, Routes
from questline.http.models import QuestOk
from questline.tenancy.access import require_entity_access
from questline.tenancy.entities import get_entity

routes = Routes(tag="entities")

EntityId = Annotated[str, Path(pattern=r"^e-[0-9a-f]{32}$", description="Entity id (e-…)")]


@routes.get("/api/entities/{entityId}", auth=OPERATOR | SECRET_KEY, summary="Get an entity")
def get_one(entityId: EntityId, caller: CurrentPrincipal) -> QuestOk[EntityView]:
    require_entity_access(caller, entityId)
    return QuestOk(data=entity_view(get_entity(entityId)))
