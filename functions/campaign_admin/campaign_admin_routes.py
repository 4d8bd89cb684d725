"""Drafts (PUT), publish, list, invite codes."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import ConfigDict, Field, StrictInt

from questline.auth import OPERATOR, SECRET_KEY
from questline.auth.policy import PLATFORM_USER
from questline.campaigns import admin
from questline.errors import Conflict
from questline.http import CurrentPrincipal, Routes
from questline.http.models import ApiModel, QuestOk

routes = Routes(tag="campaigns")
MANAGERS = OPERATOR | SECRET_KEY | PLATFORM_USER
EntityId = Annotated[str, Path(pattern=r"^e-[0-9a-f]{32}$", description="Entity id (e-…)")]
CampaignId = Annotated[
    str,
    Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$", description="Campaign id (claimr pid)"),
]


class CodesIn(ApiModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    codes: list[Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]] | None = (
        Field(default=None, max_length=admin.MAX_CODES)
    )
    count: Annotated[StrictInt, Field(ge=1, le=admin.MAX_CODES)] | None = None
    prefix: str = Field(default="", max_length=24, pattern=r"^[A-Za-z0-9_-]*$")
    max_uses: Annotated[StrictInt, Field(ge=1, le=admin.MAX_CODE_USES)] = 1


def _draft_view(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "pid": item["pid"],
        "stage": item.get("stage", "draft"),
        "version": int(item.get("version", 1)),
        "updatedAt": item.get("updated_at"),
        "publishedAt": item.get("published_at"),
        "definition": item["definition"],
    }


@routes.put(
    "/api/entities/{entityId}/campaigns/{pid}",
    auth=MANAGERS,
    summary="Write a campaign's draft (actions, quests, seasons, referral and leaderboard rules)",
)
def put_campaign(
    entityId: EntityId,
    pid: CampaignId,
    caller: CurrentPrincipal,
    body: Annotated[dict[str, Any], Body()],
) -> QuestOk[dict[str, Any]]:
    return QuestOk(data=_draft_view(admin.put_draft(caller, entityId, pid, body)))


@routes.post(
    "/api/entities/{entityId}/campaigns/{pid}/publish", auth=MANAGERS, summary="Publish a campaign's draft"
)
def publish_campaign(
    entityId: EntityId, pid: CampaignId, caller: CurrentPrincipal
) -> QuestOk[dict[str, Any]]:
    return QuestOk(data=_draft_view(admin.publish(caller, entityId, pid)))


@routes.get(
    "/api/entities/{entityId}/campaigns",
    auth=MANAGERS,
    summary="An entity's campaigns (drafts and published)",
)
def list_campaigns(entityId: EntityId, caller: CurrentPrincipal) -> QuestOk[list[dict[str, Any]]]:
    return QuestOk(data=admin.campaigns(caller, entityId))


@routes.post(
    "/api/entities/{entityId}/campaigns/{pid}/codes",
    errors=(Conflict,),
    auth=MANAGERS,
    summary="Create invite codes: a list, or count + prefix; each with max_uses",
    status_code=201,
)
def create_codes(
    entityId: EntityId,
    pid: CampaignId,
    body: CodesIn,
    caller: CurrentPrincipal,
) -> Response[QuestOk[dict[str, Any]]]:
    made = admin.create_codes(
        caller,
        entityId,
        pid,
        explicit=body.codes,
        count=body.count,
        prefix=body.prefix,
        max_uses=body.max_uses,
    )
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=QuestOk(data={"codes": made, "max_uses": body.max_uses}),
    )
