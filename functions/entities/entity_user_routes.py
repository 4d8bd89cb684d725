"""Platform users (Quest Protocol's `userid` + `token`): the operator creates them; a user or the operator
rotates a user's token. Tokens are answered only here, once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler import Response, content_types
from entity_params import MemberId, UserId

from questline.auth import OPERATOR, PLATFORM_USER
from questline.http import CurrentPrincipal, Routes
from questline.http.lazy import lazy_import
from questline.http.models import QuestOk
from questline.tenancy import users

if TYPE_CHECKING:
    import entity_user_models as models
else:
    models = lazy_import("entity_user_models")

routes = Routes(tag="platform users")


@routes.post(
    "/api/users", auth=OPERATOR, summary="Create a platform user (its token is shown once)", status_code=201
)
def create_user(
    body: models.UserCreate, caller: CurrentPrincipal
) -> Response[QuestOk[models.UserCredentials]]:
    created = users.create_user(body.email, body.name)
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=QuestOk(data=models.created_view(created.item, created.token)),
    )


@routes.get(
    "/api/users/{userId}",
    auth=OPERATOR | PLATFORM_USER,
    summary="A platform user (the user itself or the operator); never its token",
)
def get_user(userId: MemberId, caller: CurrentPrincipal) -> QuestOk[models.UserView]:
    return QuestOk(data=models.user_view(users.read_user(caller, userId)))


@routes.post(
    "/api/users/{userId}/token",
    auth=OPERATOR | PLATFORM_USER,
    summary="Rotate a platform user's token (the user itself or the operator)",
)
def rotate_token(userId: UserId, caller: CurrentPrincipal) -> QuestOk[models.UserCredentials]:
    token = users.rotate_token(caller, userId)
    return QuestOk(data=models.UserCredentials(userId=userId, token=token))
