"""Request and response shapes of claimr's hook routes (`POST /hook` and `DELETE /hook` as claimr documents
them; listing, deliveries and redelivery are ours)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from questline.http.models import ApiModel
from questline.webhooks.records import Status
from questline.webhooks.signing import MAX_SECRET_LENGTH, MIN_SECRET_LENGTH
from questline.webhooks.targets import MAX_URI_LENGTH

Scope = Literal[
    "user_activity", "user_reward", "referral", "user_login", "identity", "progress", "leaderboard"
]
# Hook ids follow claimr's campaign ids (`pid`): short, and free of the `#` our keys use.
Pid = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
HookId = Pid
DeliveryStatus = Status
MessageId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^msg_[0-9a-f]+$")]
MAX_PIDS = 100
MAX_TOP = 1000


class HookModel(ApiModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")


class HookIn(HookModel):
    scope: Scope
    uri: str = Field(min_length=1, max_length=MAX_URI_LENGTH)
    secret: str = Field(min_length=MIN_SECRET_LENGTH, max_length=MAX_SECRET_LENGTH)
    hook_id: HookId
    pids: list[Pid] = Field(default_factory=list, max_length=MAX_PIDS)
    top: int | None = Field(
        default=None,
        ge=1,
        le=MAX_TOP,
        description="scope `leaderboard` only: the places the hook watches (default 10)",
    )


class HookRefIn(HookModel):
    scope: Scope
    hook_id: HookId


class RedeliverIn(HookModel):
    message_id: MessageId


class HookView(HookModel):
    scope: Scope
    hook_id: str
    uri: str
    pids: list[str]
    secret: str = Field(description="masked: `********`, or `whsec_********` for a whsec_ secret")
    top: int | None = Field(default=None, description="scope `leaderboard`: the places the hook watches")
    created_at: str | None
    updated_at: str | None


class HookList(HookModel):
    hooks: list[HookView]


class Attempt(HookModel):
    attempt: int = Field(description="the attempt's number within its generation (SQS's receive count)")
    generation: int
    at: str
    status_code: int | None = Field(description="the receiver's answer; null when none came")
    latency_ms: float | None
    error: str | None = Field(description="why no answer came (connection refused, timeout, refused address)")


class Delivery(HookModel):
    message_id: str = Field(description="the webhook-id header: the same for every attempt and redelivery")
    scope: Scope
    hook_id: str
    status: DeliveryStatus
    generation: int = Field(description="1, plus one per redelivery")
    attempts: list[Attempt]
    payload: dict[str, Any]
    created_at: str
    updated_at: str


class DeliveryPage(HookModel):
    deliveries: list[Delivery]
    next: str | None = Field(description="pass as `after` for the next page; null at the end")
