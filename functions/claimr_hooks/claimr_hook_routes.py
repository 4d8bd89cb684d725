"""Webhooks: register and unregister (claimr's `POST /hook`, `DELETE /hook`); list hooks, list a hook's
deliveries and redeliver a message (ours)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from questline.auth import SECRET_KEY
from questline.errors import Conflict, NotFound, RuleViolation
from questline.http import CurrentPrincipal, Routes
from questline.http.lazy import lazy_import
from questline.http.models import QuestOk, Success

if TYPE_CHECKING:
    from questline.webhooks import api_models as models
    from questline.webhooks import hooks
else:
    models = lazy_import("questline.webhooks.api_models")
    hooks = lazy_import("questline.webhooks.hooks")

routes = Routes(tag="claimr webhooks", errors=(NotFound,))


@routes.post("/hook", auth=SECRET_KEY, summary="Register a webhook (or replace it: same scope and hook_id)")
def register_hook(body: models.HookIn, caller: CurrentPrincipal) -> Success:
    hooks.register(
        str(caller.entity_id), body.scope, body.hook_id, body.uri, body.secret, body.pids, top=body.top
    )
    return Success()


@routes.delete("/hook", auth=SECRET_KEY, summary="Unregister a webhook (404 when there is none)")
def delete_hook(body: models.HookRefIn, caller: CurrentPrincipal) -> Success:
    hooks.delete(str(caller.entity_id), body.scope, body.hook_id)
    return Success()


@routes.get("/hook", auth=SECRET_KEY, summary="The entity's webhooks (secrets masked), of one scope or all")
def list_hooks(
    caller: CurrentPrincipal, scope: Annotated[models.Scope | None, Query()] = None
) -> QuestOk[models.HookList]:
    found = hooks.list_hooks(str(caller.entity_id), scope)
    return QuestOk(data=models.HookList.model_validate({"hooks": found}))


@routes.get(
    "/hook/deliveries", auth=SECRET_KEY, summary="A webhook's deliveries and their attempts, newest first"
)
def list_deliveries(
    caller: CurrentPrincipal,
    scope: Annotated[models.Scope, Query()],
    hook_id: Annotated[models.HookId, Query()],
    status: Annotated[models.DeliveryStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=2048, description="the previous page's `next`")] = None,
) -> QuestOk[models.DeliveryPage]:
    page = hooks.deliveries(str(caller.entity_id), scope, hook_id, status=status, limit=limit, after=after)
    return QuestOk(data=models.DeliveryPage.model_validate(page))


@routes.post(
    "/hook/redeliver",
    errors=(
        Conflict,
        RuleViolation,
    ),
    auth=SECRET_KEY,
    summary="Queue a delivered, dead or pending message again",
)
def redeliver(body: models.RedeliverIn, caller: CurrentPrincipal) -> QuestOk[models.Delivery]:
    delivery = hooks.redeliver(str(caller.entity_id), body.message_id)
    return QuestOk(data=models.Delivery.model_validate(delivery))
