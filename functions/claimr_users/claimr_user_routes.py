"""/token and /user/*."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query

from questline.auth import SECRET_KEY
from questline.auth.policy import WIDGET_TOKEN
from questline.errors import Conflict, NotFound, RuleViolation
from questline.http import CurrentPrincipal, Routes
from questline.http.lazy import lazy_import
from questline.http.models import QuestOk

if TYPE_CHECKING:
    from questline.campaigns import api_models as models
    from questline.campaigns import claimr
else:
    models = lazy_import("questline.campaigns.api_models")
    claimr = lazy_import("questline.campaigns.claimr")

routes = Routes(tag="claimr users", errors=(NotFound,))

AccountQ = Annotated[str | None, Query(min_length=1, max_length=256)]
PlatformQ = Annotated[str | None, Query(min_length=1, max_length=64)]
PidQ = Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
EnvQ = Annotated[str | None, Query(max_length=16, description="dev: a preview of the draft campaign")]
LimitQ = Annotated[int, Query(ge=1, le=100, description="referrals per page")]
AfterQ = Annotated[str | None, Query(max_length=2048, description="the previous page's `next`")]
OWN_READ = SECRET_KEY | WIDGET_TOKEN


@routes.get(
    "/token", auth=SECRET_KEY, summary="Create or get a user's permanent widget token (registers the user)"
)
def get_token(
    caller: CurrentPrincipal,
    account: Annotated[str, Query(min_length=1, max_length=256)],
    platform: Annotated[str, Query(min_length=1, max_length=64)],
    name: Annotated[str | None, Query(max_length=256)] = None,
) -> QuestOk[dict[str, str]]:
    return QuestOk(data={"token": claimr.user_token(str(caller.entity_id), account, platform, name)})


@routes.get(
    "/user/ref_id",
    errors=(RuleViolation,),
    auth=OWN_READ,
    summary="A user's referral id (made on first request)",
)
def get_ref_id(
    caller: CurrentPrincipal,
    pid: PidQ,
    account: AccountQ = None,
    platform: PlatformQ = None,
    env: EnvQ = None,
) -> QuestOk[dict[str, str]]:
    return QuestOk(data={"ref_id": claimr.ref_id(caller, pid, account, platform, env)})


@routes.post(
    "/user/ref_id",
    errors=(RuleViolation,),
    auth=SECRET_KEY,
    summary="Set who referred a user, by the referrer's ref_id",
)
def post_ref_id(body: models.RefIdIn, caller: CurrentPrincipal) -> models.ClaimrOk:
    claimr.set_referrer_by_ref_id(
        str(caller.entity_id), body.pid, body.account, body.platform, body.ref_id, body.env
    )
    return models.ClaimrOk()


@routes.post(
    "/user/referrer",
    errors=(RuleViolation,),
    auth=SECRET_KEY,
    summary="Set who referred a user, by the referrer's account",
)
def post_referrer(body: models.ReferrerIn, caller: CurrentPrincipal) -> models.ClaimrOk:
    claimr.set_referrer(
        str(caller.entity_id),
        body.pid,
        body.account,
        body.platform,
        body.ref_account,
        body.ref_platform,
        body.env,
    )
    return models.ClaimrOk()


@routes.get("/user/activity", auth=SECRET_KEY, summary="Completed tasks, quests and ledger entries")
def get_activity(
    caller: CurrentPrincipal,
    pid: PidQ,
    account: AccountQ = None,
    platform: PlatformQ = None,
    env: EnvQ = None,
) -> QuestOk[dict[str, Any]]:
    return QuestOk(data=claimr.activity(caller, pid, account, platform, env))


@routes.get("/user/progress", auth=OWN_READ, etag=True, summary="Completed and pending tasks and quests")
def get_progress(
    caller: CurrentPrincipal,
    pid: PidQ,
    account: AccountQ = None,
    platform: PlatformQ = None,
    env: EnvQ = None,
) -> QuestOk[dict[str, Any]]:
    return QuestOk(data=claimr.progress(caller, pid, account, platform, env))


@routes.get("/user/streak", auth=OWN_READ, summary="A user's streaks: current, longest, freezes, at risk")
def get_streak(
    caller: CurrentPrincipal,
    pid: PidQ,
    account: AccountQ = None,
    platform: PlatformQ = None,
    env: EnvQ = None,
) -> QuestOk[dict[str, Any]]:
    return QuestOk(data=claimr.streaks(caller, pid, account, platform, env))


@routes.get(
    "/user/achievements", auth=OWN_READ, summary="A user's achievements: done, or the progress to them"
)
def get_achievements(
    caller: CurrentPrincipal,
    pid: PidQ,
    account: AccountQ = None,
    platform: PlatformQ = None,
    env: EnvQ = None,
) -> QuestOk[dict[str, Any]]:
    return QuestOk(data=claimr.achievements(caller, pid, account, platform, env))


@routes.get(
    "/user/referrals", auth=OWN_READ, etag=True, summary="Users this user referred, and what they earned them"
)
def get_referrals(
    caller: CurrentPrincipal,
    pid: PidQ,
    account: AccountQ = None,
    platform: PlatformQ = None,
    env: EnvQ = None,
    limit: LimitQ = 100,
    after: AfterQ = None,
) -> QuestOk[dict[str, Any]]:
    return QuestOk(data=claimr.referrals_of(caller, pid, account, platform, env, limit=limit, after=after))


@routes.get("/user/balance", auth=OWN_READ, etag=True, summary="A user's XP balance (tasks, referrals, UGC)")
def get_balance(
    caller: CurrentPrincipal,
    pid: PidQ,
    account: AccountQ = None,
    platform: PlatformQ = None,
    env: EnvQ = None,
) -> QuestOk[models.BalanceView]:
    return QuestOk(
        data=models.BalanceView.model_validate(claimr.balance(caller, pid, account, platform, env))
    )


@routes.post("/user/reward", errors=(Conflict,), auth=SECRET_KEY, summary="Add XP (idempotent by id)")
def post_reward(body: models.RewardIn, caller: CurrentPrincipal) -> models.ClaimrOk:
    claimr.reward(str(caller.entity_id), body.pid, body.account, body.platform, body.id, body.xp, body.env)
    return models.ClaimrOk()


@routes.post(
    "/user/withdraw",
    errors=(
        Conflict,
        RuleViolation,
    ),
    auth=SECRET_KEY,
    summary="Take XP (idempotent by id; strict never goes below zero)",
)
def post_withdraw(body: models.WithdrawIn, caller: CurrentPrincipal) -> models.ClaimrOk:
    claimr.withdraw(
        str(caller.entity_id), body.pid, body.account, body.platform, body.id, body.xp, body.strict, body.env
    )
    return models.ClaimrOk()


@routes.post(
    "/user/reward/reverse",
    errors=(RuleViolation,),
    auth=SECRET_KEY,
    summary="Reverse a reward by its id (idempotent; never below zero, says what could not be taken back)",
)
def post_reward_reverse(body: models.ReverseIn, caller: CurrentPrincipal) -> models.ReversalOk:
    reversal = claimr.reverse_reward(
        str(caller.entity_id), body.pid, body.account, body.platform, body.id, body.reason, body.env
    )
    return models.ReversalOk(data=models.Reversal.model_validate(reversal))


@routes.post(
    "/user/boost",
    errors=(RuleViolation,),
    auth=SECRET_KEY,
    summary="Grant, change or end one user's boost (ours; idempotent by its id)",
)
def post_boost(body: models.BoostIn, caller: CurrentPrincipal) -> models.PersonalBoostsOk:
    boosts = claimr.grant_boost(
        str(caller.entity_id),
        body.pid,
        body.account,
        body.platform,
        body.env,
        boost_id=body.id,
        multiplier=body.multiplier,
        ends_at=body.ends_at,
        starts_at=body.starts_at,
        actions=body.actions,
        name=body.name,
    )
    return models.PersonalBoostsOk(data=models.PersonalBoosts.model_validate({"boosts": boosts}))
