"""An entity's social connections: Twitter and Discord connected by OAuth (authorization-code exchange)
and disconnected, Slack connected, tokens set and read by type, and the integration status. Stored tokens
are answered only by the social-tokens read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from entity_params import EntityId

from questline.auth import OPERATOR, PLATFORM_USER, SECRET_KEY
from questline.errors import BadRequest, RuleViolation
from questline.http import CurrentPrincipal, Routes
from questline.http.lazy import lazy_import
from questline.http.models import QuestOk
from questline.tenancy import social

if TYPE_CHECKING:
    import entity_social_models as models
else:
    models = lazy_import("entity_social_models")

routes = Routes(tag="entity social")

MANAGERS = OPERATOR | SECRET_KEY | PLATFORM_USER
TokenTypeQuery = Annotated[
    Literal["TWITTER", "DISCORD", "INSTAGRAM"], Query(description="TWITTER, DISCORD or INSTAGRAM")
]


def _connect(
    entity_id: str, provider: str, body: models.OAuthConnect, caller: CurrentPrincipal
) -> models.Connected:
    if body.entityId is not None and body.entityId != entity_id:
        raise BadRequest("entityId: the body names another entity than the path", field="entityId")
    if provider != "SLACK" and body.redirectUri is None:
        raise BadRequest("redirectUri: is required", field="redirectUri")
    item = social.connect(
        caller,
        entity_id,
        provider,
        code=body.code,
        redirect_uri=body.redirectUri,
        code_verifier=body.codeVerifier,
        guild_id=body.id if provider == "DISCORD" else None,
    )
    return models.connected_view(item)


def _disconnected(provider: str) -> models.Connected:
    return models.Connected(type=provider, connected=False)


@routes.post(
    "/api/entities/{entityId}/twitter/connect",
    errors=(RuleViolation,),
    auth=MANAGERS,
    summary="Connect a Twitter (X) account: exchange the OAuth code, answer the username",
)
def twitter_connect(
    entityId: EntityId,
    body: models.OAuthConnect,
    caller: CurrentPrincipal,
) -> QuestOk[models.Connected]:
    return QuestOk(data=_connect(entityId, "TWITTER", body, caller))


@routes.post("/api/entities/{entityId}/twitter/disconnect", auth=MANAGERS, summary="Disconnect Twitter")
def twitter_disconnect(entityId: EntityId, caller: CurrentPrincipal) -> QuestOk[models.Connected]:
    social.disconnect(caller, entityId, "TWITTER")
    return QuestOk(data=_disconnected("TWITTER"))


@routes.post(
    "/api/entities/{entityId}/discord/connect",
    errors=(RuleViolation,),
    auth=MANAGERS,
    summary="Connect a Discord account: exchange the OAuth code, answer the username",
)
def discord_connect(
    entityId: EntityId,
    body: models.OAuthConnect,
    caller: CurrentPrincipal,
) -> QuestOk[models.Connected]:
    return QuestOk(data=_connect(entityId, "DISCORD", body, caller))


@routes.post("/api/entities/{entityId}/discord/disconnect", auth=MANAGERS, summary="Disconnect Discord")
def discord_disconnect(entityId: EntityId, caller: CurrentPrincipal) -> QuestOk[models.Connected]:
    social.disconnect(caller, entityId, "DISCORD")
    return QuestOk(data=_disconnected("DISCORD"))


@routes.post(
    "/api/entities/{entityId}/slack/connect",
    errors=(RuleViolation,),
    auth=MANAGERS,
    summary="Connect a Slack workspace: exchange the OAuth code",
)
def slack_connect(
    entityId: EntityId,
    body: models.OAuthConnect,
    caller: CurrentPrincipal,
) -> QuestOk[models.Connected]:
    return QuestOk(data=_connect(entityId, "SLACK", body, caller))


@routes.get(
    "/api/entities/{entityId}/social-tokens",
    auth=MANAGERS,
    summary="The stored tokens of one social connection (the one route that answers them)",
)
def get_social_tokens(
    entityId: EntityId,
    type: TokenTypeQuery,
    caller: CurrentPrincipal,
) -> QuestOk[models.SocialTokensView]:
    return QuestOk(data=models.tokens_view(social.get_tokens(caller, entityId, type)))


@routes.post(
    "/api/entities/{entityId}/social-tokens", auth=MANAGERS, summary="Add or replace a connection's tokens"
)
def set_social_tokens(
    entityId: EntityId,
    body: models.SocialTokensIn,
    caller: CurrentPrincipal,
) -> QuestOk[models.Connected]:
    item = social.set_tokens(
        caller,
        entityId,
        body.type,
        access_token=body.accessToken,
        refresh_token=body.refreshToken,
        expires_at=models.expiry_epoch(body.expiry),
        username=body.username,
        account_id=body.accountId,
    )
    return QuestOk(data=models.connected_view(item))


@routes.get(
    "/api/entities/{entityId}/integrations",
    auth=MANAGERS,
    summary="Integration status: which accounts are connected and when their tokens expire",
)
def integrations(entityId: EntityId, caller: CurrentPrincipal) -> QuestOk[models.IntegrationsView]:
    return QuestOk(data=models.integrations_view(social.connections(caller, entityId)))
