"""Entities: create, list, read, update, delete; the operator's pending list, enable and plan; an
entity's organizations (child entities) and monthly active identities."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from entity_params import EntityId, Limit, Page

from questline import clock
from questline.auth import OPERATOR, PLATFORM_USER, SECRET_KEY
from questline.errors import BadRequest, NotFound
from questline.http import CurrentPrincipal, Routes
from questline.http.lazy import lazy_import
from questline.http.models import QuestOk
from questline.tenancy import entities
from questline.tenancy.access import READ, load_entity
from questline.tenancy.mau import monthly_active

if TYPE_CHECKING:
    import entity_change_models as changes
    import entity_envelopes as envelopes
    import entity_models as models
else:
    changes = lazy_import("entity_change_models")
    envelopes = lazy_import("entity_envelopes")
    models = lazy_import("entity_models")

routes = Routes(tag="entities")

ANYONE_WITH_A_ROLE = OPERATOR | SECRET_KEY | PLATFORM_USER
EntityCursor = Annotated[
    str | None,
    Query(pattern=r"^e-[0-9a-f]{32}$", description="Start after this entity id (instead of page)"),
]
Month = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM (UTC); the current month by default"),
]


@routes.post(
    "/api/entities",
    errors=(NotFound,),  # the parentEntityId named is no entity
    auth=PLATFORM_USER,
    summary="Create an entity (the caller becomes its OWNER)",
    status_code=201,
)
def create(body: changes.EntityCreate, caller: CurrentPrincipal) -> Response[changes.EntityCreated]:
    entity = entities.create_entity(
        caller,
        changes.create_profile(body),
        alias=body.entityURLAlias,
        parent_entity_id=body.parentEntityId,
    )
    view = models.entity_view(entity)
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=changes.EntityCreated(data=view, entityId=view.entityId, entityDoc=view),
    )


@routes.get("/api/entities", auth=ANYONE_WITH_A_ROLE, summary="List the entities the caller reaches")
def list_all(
    caller: CurrentPrincipal, page: Page = 1, limit: Limit = 10, after: EntityCursor = None
) -> envelopes.QuestPage[models.EntityView]:
    window = entities.list_entities(caller, page=page, limit=limit, after=after)
    return _page(window.items, page, limit, window.has_more)


@routes.get("/api/entities/pending", auth=OPERATOR, summary="Entities waiting to be enabled")
def pending(
    caller: CurrentPrincipal, page: Page = 1, limit: Limit = 10
) -> envelopes.QuestPage[models.EntityView]:
    window = entities.pending_entities(page=page, limit=limit)
    return _page(window.items, page, limit, window.has_more)


@routes.get("/api/entities/{entityId}", auth=ANYONE_WITH_A_ROLE, summary="Get an entity")
def get_one(entityId: EntityId, caller: CurrentPrincipal) -> QuestOk[models.EntityView]:
    return QuestOk(data=models.entity_view(entities.read_entity(caller, entityId)))


@routes.patch("/api/entities/{entityId}", auth=ANYONE_WITH_A_ROLE, summary="Update an entity's profile")
def update(
    entityId: EntityId,
    body: changes.EntityUpdate,
    caller: CurrentPrincipal,
) -> QuestOk[models.EntityView]:
    stored_changes = changes.update_changes(body)
    alias_sent = "entityURLAlias" in body.model_fields_set
    entity = entities.update_entity(
        caller,
        entityId,
        stored_changes,
        alias=body.entityURLAlias if alias_sent else None,
        clear_alias=alias_sent and body.entityURLAlias is None,
    )
    return QuestOk(data=models.entity_view(entity))


@routes.delete("/api/entities/{entityId}", auth=OPERATOR | PLATFORM_USER, summary="Delete an entity (owner)")
def delete(entityId: EntityId, caller: CurrentPrincipal) -> envelopes.QuestDone[changes.DeletedView]:
    entities.delete_entity(caller, entityId)
    return envelopes.QuestDone(
        data=changes.DeletedView(entityId=entityId), message="Entity deleted successfully"
    )


@routes.post("/api/entities/{entityId}/enable", auth=OPERATOR, summary="Enable a pending entity")
def enable(
    entityId: EntityId,
    body: changes.EnableIn,
    caller: CurrentPrincipal,
) -> QuestOk[models.EntityView]:
    if body.entityId is not None and body.entityId != entityId:
        raise BadRequest("entityId: the body names another entity than the path", field="entityId")
    entity = entities.enable_entity(entityId, base_name=body.baseName, base_symbol=body.baseSymbol)
    return QuestOk(data=models.entity_view(entity))


@routes.post("/api/entities/{entityId}/plan", auth=OPERATOR, summary="Change an entity's plan")
def plan(entityId: EntityId, body: changes.PlanIn, caller: CurrentPrincipal) -> QuestOk[models.EntityView]:
    return QuestOk(data=models.entity_view(entities.set_plan(entityId, body.plan)))


@routes.get(
    "/api/entities/{entityId}/organizations", auth=ANYONE_WITH_A_ROLE, summary="Child entities of an entity"
)
def organizations(
    entityId: EntityId,
    caller: CurrentPrincipal,
    page: Page = 1,
    limit: Limit = 10,
) -> envelopes.QuestPage[models.EntityView]:
    window = entities.organizations(caller, entityId, page=page, limit=limit)
    return _page(window.items, page, limit, window.has_more)


@routes.get(
    "/api/entities/{entityId}/mau",
    auth=ANYONE_WITH_A_ROLE,
    summary="Monthly active identities: distinct identities with any activity in the month",
)
def mau(entityId: EntityId, caller: CurrentPrincipal, month: Month = None) -> QuestOk[models.MauView]:
    load_entity(caller, entityId, READ)
    asked = month or clock.month_of()
    return QuestOk(data=models.MauView(entityId=entityId, month=asked, count=monthly_active(entityId, asked)))


def _page(
    items: list[dict[str, Any]], page: int, limit: int, has_more: bool
) -> envelopes.QuestPage[models.EntityView]:
    views = [models.entity_view(item) for item in items]
    return envelopes.QuestPage[models.EntityView](data=views, page=page, limit=limit, hasMore=has_more)
