"""/token and /user/*."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query

from questline.auth import SECRET_KEY
from questline.auth.policy import WIDGET_TOKEN
from questline.errors import BadRequest, Conflict, NotFound, RuleViolation
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
EnvQ = Annotated[str | None, Query(max_length=16)]
OWN_READ = SECRET_KEY | WIDGET_TOKEN


def _user(
    caller: CurrentPrincipal, account: str | None, platform: str | None, *, pid: str, create: bool = False
) -> claimr.User:
    """The user a request names, after checking its campaign exists (so nothing is registered for a
    request that is refused)."""
    claimr.campaign_of(str(caller.entity_id), pid)
    user = claimr.requested_user(caller, account, platform, create=create)
    if user is None:
        raise BadRequest("account and platform are required", field="account")
    return user


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
    caller: CurrentPrincipal, pid: PidQ, account: AccountQ = None, platform: PlatformQ = None
) -> QuestOk[dict[str, str]]:
    user = _user(caller, account, platform, pid=pid, create=True)
    return QuestOk(data={"ref_id": claimr.ref_id(str(caller.entity_id), pid, user)})


@routes.post(
    "/user/ref_id",
    errors=(RuleViolation,),
    auth=SECRET_KEY,
    summary="Set who referred a user, by the referrer's ref_id",
)
def post_ref_id(body: models.RefIdIn, caller: CurrentPrincipal) -> models.ClaimrOk:
    claimr.set_referrer_by_ref_id(str(caller.entity_id), body.pid, body.account, body.platform, body.ref_id)
    return models.ClaimrOk()


@routes.post(
    "/user/referrer",
    errors=(RuleViolation,),
    auth=SECRET_KEY,
    summary="Set who referred a user, by the referrer's account",
)
def post_referrer(body: models.ReferrerIn, caller: CurrentPrincipal) -> models.ClaimrOk:
    claimr.set_referrer(
        str(caller.entity_id), body.pid, body.account, body.platform, body.ref_account, body.ref_platform
    )
    return models.ClaimrOk()


@routes.get("/user/activity", auth=SECRET_KEY, summary="Completed tasks, quests and ledger entries")
def get_activity(
    caller: CurrentPrincipal, pid: PidQ, account: AccountQ = None, platform: PlatformQ = None
) -> QuestOk[dict[str, Any]]:
    return QuestOk(
        data=claimr.activity(str(caller.entity_id), pid, _user(caller, account, platform, pid=pid))
    )


@routes.get("/user/progress", auth=OWN_READ, summary="Completed and pending tasks and quests")
def get_progress(
    caller: CurrentPrincipal,
    pid: PidQ,
    account: AccountQ = None,
    platform: PlatformQ = None,
    env: EnvQ = None,
) -> QuestOk[dict[str, Any]]:
    return QuestOk(
        data=claimr.progress(str(caller.entity_id), pid, _user(caller, account, platform, pid=pid), env)
    )


@routes.get("/user/referrals", auth=OWN_READ, summary="Users this user referred, and what they earned them")
def get_referrals(
    caller: CurrentPrincipal,
    pid: PidQ,
    account: AccountQ = None,
    platform: PlatformQ = None,
    env: EnvQ = None,
) -> QuestOk[dict[str, list[dict[str, Any]]]]:
    return QuestOk(
        data={
            "referrals": claimr.referrals_of(
                str(caller.entity_id), pid, _user(caller, account, platform, pid=pid)
            )
        }
    )


@routes.get("/user/balance", auth=OWN_READ, summary="A user's XP balance (tasks, referrals, UGC)")
def get_balance(
    caller: CurrentPrincipal, pid: PidQ, account: AccountQ = None, platform: PlatformQ = None
) -> QuestOk[models.BalanceView]:
    held = claimr.balance(str(caller.entity_id), pid, _user(caller, account, platform, pid=pid))
    return QuestOk(data=models.BalanceView.model_validate(held))


@routes.post("/user/reward", errors=(Conflict,), auth=SECRET_KEY, summary="Add XP (idempotent by id)")
def post_reward(body: models.RewardIn, caller: CurrentPrincipal) -> models.ClaimrOk:
    user = _user(caller, body.account, body.platform, pid=body.pid, create=True)
    claimr.reward(str(caller.entity_id), body.pid, user, body.id, body.xp, env=body.env)
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
    user = _user(caller, body.account, body.platform, pid=body.pid, create=True)
    claimr.withdraw(str(caller.entity_id), body.pid, user, body.id, body.xp, body.strict, env=body.env)
    return models.ClaimrOk()
