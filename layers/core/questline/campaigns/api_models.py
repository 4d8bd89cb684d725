"""claimr's request and response shapes, shared by the claimr functions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, StrictBool, StrictFloat, StrictInt

from questline.http.models import ApiModel
from questline.storage.codec import storable_value

Account = Annotated[str, Field(min_length=1, max_length=256)]
Platform = Annotated[str, Field(min_length=1, max_length=64)]
Pid = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
EntryId = Annotated[str, Field(min_length=1, max_length=128)]
Env = Annotated[str, Field(max_length=16, description="dev: a preview of the draft (kept apart from live)")]
Xp = Annotated[StrictInt, Field(gt=0, le=1_000_000_000, description="a positive whole number of XP")]


def _storable(value: float) -> float:
    if not storable_value(value):
        raise ValueError("must be a number of at most 38 digits, 0 or between 1E-130 and 1E+125 in size")
    return value


Number = Annotated[StrictInt | StrictFloat, AfterValidator(_storable)]


class ClaimrModel(ApiModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")


class ClaimrOk(ClaimrModel):
    success: Literal[True] = True


class LevelView(ClaimrModel):
    """The person's level (ours): from their total XP against the campaign's `levels`."""

    name: str | None = Field(description="the level reached (null below the first)")
    index: int | None = Field(description="its position in the campaign's levels, from 0")
    min_xp: int | None
    xp: int = Field(description="the total XP the level is computed from")
    next: str | None = Field(description="the next level (null at the last)")
    next_min_xp: int | None
    xp_to_next: int | None = Field(description="XP still missing to the next level")
    progress: float = Field(description="from this level to the next, 0 to 1 (1 at the last)")


class BalanceView(ClaimrModel):
    """`GET /user/balance`: the seed's buckets, the user's leaderboard rank (the claimr client's types
    read one; null when the user is not on the board) and level (null when the campaign has no levels)."""

    xp: int
    ref_xp: int
    ugc_xp: int
    rank: int | None = None
    level: LevelView | None = None


class UserIn(ClaimrModel):
    account: Account
    platform: Platform
    pid: Pid


class RewardIn(UserIn):
    id: EntryId
    xp: Xp
    env: Env | None = None


class WithdrawIn(RewardIn):
    strict: StrictBool = False


Reason = Annotated[str, Field(min_length=1, max_length=500, description="why (kept on the reversal entry)")]


class ReverseIn(UserIn):
    id: EntryId = Field(description="the id of the reward (or completion entry) to reverse")
    reason: Reason
    env: Env | None = None


class Reversal(ClaimrModel):
    """What a reversal did (ours): the points may have been spent, so it takes the balance to zero at most."""

    id: str = Field(description="the reversed entry's id")
    reversed_xp: int = Field(description="XP taken back")
    unrecovered_xp: int = Field(description="XP that could not be taken back (already spent)")
    referrer_reversed_xp: int = Field(description="the referrer's ref_xp taken back (completions only)")
    already_reversed: bool = Field(description="true when this id was reversed before (nothing more done)")


class BoostIn(UserIn):
    """`POST /user/boost` (ours): a time-boxed multiplier for this person (`personal_boosts`)."""

    id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")] = Field(
        description="the boost's id: granting it again changes its terms"
    )
    multiplier: Annotated[StrictInt | StrictFloat, Field(gt=0, le=10, allow_inf_nan=False)]
    ends_at: Annotated[StrictInt, Field(gt=0, description="epoch seconds (excluded); not after now ends it")]
    starts_at: Annotated[StrictInt, Field(ge=0, description="epoch seconds; now by default")] | None = None
    actions: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=200, description="empty: every action"
    )
    name: Annotated[str, Field(max_length=256)] | None = None
    env: Env | None = None


class PersonalBoost(ClaimrModel):
    id: str
    name: str | None = None
    multiplier: float
    starts_at: int
    ends_at: int
    actions: list[str]
    active: bool = Field(description="false while it has not started yet")


class PersonalBoosts(ClaimrModel):
    boosts: list[PersonalBoost] = Field(description="the user's boosts that have not ended")


class PersonalBoostsOk(ClaimrModel):
    success: Literal[True] = True
    data: PersonalBoosts


class ReversalOk(ClaimrModel):
    success: Literal[True] = True
    data: Reversal


class RefIdIn(UserIn):
    ref_id: str = Field(min_length=1, max_length=64)
    env: Env | None = None


class ReferrerIn(UserIn):
    ref_account: Account
    ref_platform: Platform
    env: Env | None = None


class ActionValueIn(UserIn):
    cid: str = Field(min_length=1, max_length=64)
    aid: str = Field(min_length=1, max_length=64)
    value: Number
    env: Env | None = None


class StreamValueIn(UserIn):
    stream: str = Field(min_length=1, max_length=128)
    value: Number
    env: Env | None = None


class ClaimrEventIn(UserIn):
    name: str = Field(min_length=1, max_length=256)
    id: str | None = Field(default=None, min_length=1, max_length=256)
    category: str | None = Field(default=None, max_length=256)
    data: dict[str, Any] | None = None
    ts: Number | None = None
    env: Env | None = None


class InviteCodeIn(ClaimrModel):
    code: str = Field(min_length=1, max_length=64)
    pid: Pid
    used_by: str | None = Field(default=None, min_length=1, max_length=256)


class WalletRewardIn(ClaimrModel):
    address: str = Field(min_length=1, max_length=256)
    pid: Pid
    id: EntryId
    xp: Xp
    env: Env | None = None


class WalletReverseIn(ClaimrModel):
    address: str = Field(min_length=1, max_length=256)
    pid: Pid
    id: EntryId = Field(description="the id of the reward to reverse")
    reason: Reason
    env: Env | None = None


class WalletWithdrawIn(WalletRewardIn):
    strict: StrictBool = False


class Skipped(ClaimrModel):
    """An action a report did not move, and why."""

    id: str
    reason: Literal["done", "window_not_open", "locked"] = Field(
        description="done: a once task already finished; window_not_open: a recurring task done in its "
        "current window (next_available_at says when the next opens); locked: a dependency is not done"
    )
    next_available_at: float | None = None


class Awarded(ClaimrModel):
    """What one completion earned."""

    id: str
    xp: int = Field(description="the XP it earned, with the boosts active when it completed")
    boost: float = Field(description="the multiplier of those boosts (1: none)")


class Report(ClaimrModel):
    """What a value report did (ours; claimr answers only `success`)."""

    counted: bool = Field(description="whether the report moved any task")
    completed: list[str] = Field(description="the tasks it completed")
    awarded: list[Awarded] = Field(default_factory=list, description="what each completion earned")
    quests_completed: list[str]
    skipped: list[Skipped]
    preview: bool = Field(description="true when it went to the draft's preview (env=dev)")


class ReportOk(ClaimrModel):
    success: Literal[True] = True
    data: Report


class DryAction(ClaimrModel):
    cid: str = Field(min_length=1, max_length=64)
    aid: str = Field(min_length=1, max_length=64)
    value: Number


class DryStream(ClaimrModel):
    stream: str = Field(min_length=1, max_length=128)
    value: Number


class DryEvent(ClaimrModel):
    name: str = Field(min_length=1, max_length=256)
    category: str | None = Field(default=None, max_length=256)
    data: dict[str, Any] | None = None


class DryReward(ClaimrModel):
    xp: StrictInt = Field(
        le=1_000_000_000, description="a positive whole number of XP, as /user/reward takes"
    )


class DryInput(ClaimrModel):
    """Exactly one of `action` (as `/action/value`), `stream` (`/stream/value`), `event` (`/event`) or
    `reward` (`/user/reward`)."""

    action: DryAction | None = None
    stream: DryStream | None = None
    event: DryEvent | None = None
    reward: DryReward | None = None


MAX_DRY_RUN_INPUTS = 50


class DryRunIn(DryInput, UserIn):
    """One input, or `inputs` (applied in order, in memory); `campaign`: a draft campaign JSON to simulate
    against (validated as a publish validates it) instead of the published one."""

    env: Env | None = None
    inputs: list[DryInput] | None = Field(default=None, max_length=MAX_DRY_RUN_INPUTS)
    campaign: dict[str, Any] | None = None
