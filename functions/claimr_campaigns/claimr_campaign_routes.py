"""Campaign information, season points, statistics, the leaderboard; invite codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query

from questline.auth import SECRET_KEY
from questline.auth.policy import WIDGET_TOKEN
from questline.errors import Conflict, NotFound, RuleViolation
from questline.http import CurrentPrincipal, Routes
from questline.http.lazy import lazy_import
from questline.http.models import QuestOk

if TYPE_CHECKING:
    from questline.campaigns import api_models as models
    from questline.campaigns import claimr, codes, dry_run, stats
else:
    models = lazy_import("questline.campaigns.api_models")
    claimr = lazy_import("questline.campaigns.claimr")
    codes = lazy_import("questline.campaigns.codes")
    dry_run = lazy_import("questline.campaigns.dry_run")
    stats = lazy_import("questline.campaigns.stats")

routes = Routes(tag="claimr campaigns", errors=(NotFound,))
PidQ = Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
EnvQ = Annotated[str | None, Query(max_length=16)]


@routes.get("/campaign/info", auth=SECRET_KEY, summary="A campaign's tasks and quests (env=dev: the draft)")
def campaign_info(caller: CurrentPrincipal, pid: PidQ, env: EnvQ = None) -> QuestOk[dict[str, Any]]:
    return QuestOk(data=claimr.campaign_info(str(caller.entity_id), pid, env))


@routes.get(
    "/campaign/points",
    auth=SECRET_KEY | WIDGET_TOKEN,  # a widget shows the season; totals name nobody
    etag=True,
    summary="Points awarded so far and the season they reach",
)
def campaign_points(caller: CurrentPrincipal, pid: PidQ) -> QuestOk[dict[str, Any]]:
    return QuestOk(data=stats.points(str(caller.entity_id), pid))


@routes.get(
    "/campaign/stats", auth=SECRET_KEY, summary="Points awarded, users, users active in the last 30 days"
)
def campaign_stats(caller: CurrentPrincipal, pid: PidQ) -> QuestOk[dict[str, Any]]:
    return QuestOk(data=stats.summary(str(caller.entity_id), pid))


@routes.get("/code", auth=SECRET_KEY, summary="An invite code and who uses it")
def get_code(
    caller: CurrentPrincipal, code: Annotated[str, Query(min_length=1, max_length=64)], pid: PidQ
) -> QuestOk[dict[str, Any]]:
    info = codes.code_info(str(caller.entity_id), pid, code)
    return QuestOk(
        data={
            "used_by": sorted(info.get("used_by") or ()),
            "uses": int(info["uses"]),
            "max_uses": int(info["max_uses"]),
        }
    )


@routes.post(
    "/code",
    errors=(
        Conflict,
        RuleViolation,
    ),
    auth=SECRET_KEY,
    summary="Assign an invite code to a wallet (registers the user)",
)
def post_code(body: models.InviteCodeIn, caller: CurrentPrincipal) -> QuestOk[dict[str, Any]]:
    claimr.assign_code(str(caller.entity_id), body.pid, body.code, body.used_by)
    return QuestOk(data={})


@routes.delete(
    "/code", auth=SECRET_KEY, summary="Release an invite code: from the wallet named, or from every holder"
)
def delete_code(body: models.InviteCodeIn, caller: CurrentPrincipal) -> QuestOk[dict[str, Any]]:
    claimr.release_code(str(caller.entity_id), body.pid, body.code, body.used_by)
    return QuestOk(data={})


@routes.get(
    "/leaderboard",
    auth=SECRET_KEY | WIDGET_TOKEN,
    etag=True,
    summary="The campaign's leaderboard: the top, a page after a cursor, or the users around a user",
)
def get_leaderboard(
    caller: CurrentPrincipal,
    pid: PidQ,
    account: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    platform: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000, description="entries per page")] = None,
    after: Annotated[str | None, Query(max_length=2048, description="the `next` cursor of a page")] = None,
    around: Annotated[
        int | None, Query(ge=1, le=50, description="the N entries above and below the user")
    ] = None,
    period: Annotated[
        Literal["daily", "weekly", "monthly"] | None,
        Query(description="a recurring board the campaign keeps (`leaderboard.periods`): the current one"),
    ] = None,
    at: Annotated[
        str | None,
        Query(
            min_length=10,
            max_length=10,
            description="with `period`: the board of the period holding this local date (YYYY-MM-DD)",
        ),
    ] = None,
    season: Annotated[
        int | None,
        Query(ge=0, le=49, description="a season's board (its index, from 0; `leaderboard.seasons`)"),
    ] = None,
) -> QuestOk[dict[str, Any]]:
    return QuestOk(
        data=claimr.leaderboard_view(
            caller,
            pid,
            account,
            platform,
            limit=limit,
            after=after,
            around=around,
            period=period,
            at=at,
            season=season,
        )
    )


@routes.post(
    "/campaign/dry-run",
    auth=SECRET_KEY,
    summary="What an action, stream value, event or reward (or a list of them) would do: writes nothing",
)
def campaign_dry_run(body: models.DryRunIn, caller: CurrentPrincipal) -> QuestOk[dict[str, Any]]:
    return QuestOk(data=dry_run.dry_run(str(caller.entity_id), body.model_dump()))
