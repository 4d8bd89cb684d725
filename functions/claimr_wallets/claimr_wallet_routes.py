"""Invite code, referral id, referrals, rewards and withdrawals by wallet address."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query

from questline.auth import SECRET_KEY
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

routes = Routes(tag="claimr wallets", errors=(NotFound,))
AddressQ = Annotated[str, Query(min_length=1, max_length=256)]
PidQ = Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
EnvQ = Annotated[str | None, Query(max_length=16, description="dev: a preview of the draft campaign")]


@routes.get("/wallet/code", auth=SECRET_KEY, summary="The invite code a wallet used (empty when none)")
def wallet_code(caller: CurrentPrincipal, address: AddressQ, pid: PidQ) -> QuestOk[dict[str, str]]:
    return QuestOk(data={"code": claimr.wallet_code(str(caller.entity_id), pid, address)})


@routes.get("/wallet/ref_id", auth=SECRET_KEY, summary="A wallet's referral id (an error when it has none)")
def wallet_ref_id(
    caller: CurrentPrincipal, address: AddressQ, pid: PidQ, env: EnvQ = None
) -> QuestOk[dict[str, str]]:
    return QuestOk(data={"ref_id": claimr.wallet_ref_id(str(caller.entity_id), pid, address, env)})


@routes.get(
    "/wallet/referrals", auth=SECRET_KEY, summary="Wallets this wallet referred, and the points each earned"
)
def wallet_referrals(
    caller: CurrentPrincipal,
    address: AddressQ,
    pid: PidQ,
    env: EnvQ = None,
    limit: Annotated[int, Query(ge=1, le=100, description="wallets per page")] = 100,
    after: Annotated[str | None, Query(max_length=2048, description="the previous page's `next`")] = None,
) -> QuestOk[dict[str, Any]]:
    return QuestOk(
        data=claimr.wallet_referrals(str(caller.entity_id), pid, address, env, limit=limit, after=after)
    )


@routes.post(
    "/wallet/reward", errors=(Conflict,), auth=SECRET_KEY, summary="Add XP to a wallet (idempotent by id)"
)
def wallet_reward(body: models.WalletRewardIn, caller: CurrentPrincipal) -> models.ClaimrOk:
    claimr.wallet_reward(str(caller.entity_id), body.pid, body.address, body.id, body.xp, body.env)
    return models.ClaimrOk()


@routes.post(
    "/wallet/withdraw",
    errors=(
        Conflict,
        RuleViolation,
    ),
    auth=SECRET_KEY,
    summary="Take XP from a wallet (idempotent by id; strict never below zero)",
)
def wallet_withdraw(body: models.WalletWithdrawIn, caller: CurrentPrincipal) -> models.ClaimrOk:
    claimr.wallet_withdraw(
        str(caller.entity_id), body.pid, body.address, body.id, body.xp, body.strict, body.env
    )
    return models.ClaimrOk()


@routes.post(
    "/wallet/reward/reverse",
    errors=(RuleViolation,),
    auth=SECRET_KEY,
    summary="Reverse a wallet's reward by its id (idempotent; never below zero)",
)
def wallet_reward_reverse(body: models.WalletReverseIn, caller: CurrentPrincipal) -> models.ReversalOk:
    reversal = claimr.wallet_reverse_reward(
        str(caller.entity_id), body.pid, body.address, body.id, body.reason, body.env
    )
    return models.ReversalOk(data=models.Reversal.model_validate(reversal))
