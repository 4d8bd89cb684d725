"""The claimr surface's services: one call per route, so routes that mean the same thing cannot drift.

Each service first decides the campaign the request names, in one place (`_scope`): the published one, or,
with `env=dev`, a preview of its draft (`campaigns.preview`), whose state is kept apart from live data; a
refused campaign refuses the request before anyone is registered. Then the user: (`account`, `platform`)
resolved through the identity graph (`platform=web3` is a wallet, the same identity as `/wallet/*`
addresses and Endu's wallet keys), registered on first sight where the route writes. Previews count no
monthly active user; the table's stream keeps them off leaderboards, statistics and webhooks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from questline import clock
from questline.auth import CredentialKind, Principal
from questline.campaigns import (
    codes,
    engine,
    leaderboard,
    ledger,
    participants,
    personal_boosts,
    points_expiry,
    referrals,
    reversals,
    store,
    widgets,
)
from questline.campaigns.definition import RECURRENCE_SECONDS, Boost, Campaign
from questline.campaigns.ledger import Entry
from questline.campaigns.preview import expiry
from questline.campaigns.store import Scope
from questline.errors import BadRequest, Forbidden, NotFound, RuleViolation
from questline.events.ingest import ingest_one
from questline.events.logs import LogInput, list_logs, log_item
from questline.identity import identifiers
from questline.identity.graph import partitions_of, read_identity, resolve
from questline.identity.identifiers import WALLET_PLATFORMS, Identifier
from questline.identity.names import names_of
from questline.identity.profiles import update_profile
from questline.identity.public_ids import public_user_id
from questline.storage import get_table, keys
from questline.storage.codec import client_json
from questline.storage.table import ConditionFailed, TxPut, not_exists
from questline.tenancy.mau import record_monthly_activity
from questline.wallets import wallet_address

MAX_EVENTS_LISTED = 1000


class User(NamedTuple):
    identity_id: str
    label: str  # how claimr names the user in answers (the account, or the wallet address)
    via: Identifier | None = None  # the identifier the request named the user by
    item: dict[str, Any] | None = None  # the identity item, when resolving it read or wrote it


def names_of_user(entity_id: str, user: User) -> dict[str, str]:
    """How the integrator knows the user, for the activity items a request writes directly (rewards,
    withdrawals, widget tokens): the identifier the request named, then the identity's names (one
    GetItem, unless resolving already had the item)."""
    item = user.item
    if item is None:
        item = get_table().get(keys.identity(entity_id, user.identity_id))  # an old item: eventual is enough
    return names_of(item, user.via)


def user_identifier(account: str, platform: str) -> Identifier:
    if platform.strip().lower() in WALLET_PLATFORMS:
        return wallet_address(account, "account")
    return identifiers.account(platform, account)


def _registered(entity_id: str, identifier: Identifier, label: str, *, create: bool) -> User:
    """The identity behind `identifier`; with `create`, registered on first sight, named by `label` (claimr:
    a user's name defaults to the account) until a name is given (`GET /token`)."""
    resolved = resolve(entity_id, [identifier], create=create)
    if resolved.created:
        update_profile(entity_id, resolved.identity_id, fields={"name": label})
    return User(resolved.identity_id, label, identifier, resolved.item)


def find_user(entity_id: str, account: str, platform: str, *, create: bool) -> User:
    """The identity behind (account, platform); with `create`, registered on first sight."""
    return _registered(entity_id, user_identifier(account, platform), account, create=create)


def wallet_user(entity_id: str, address: str, *, create: bool, field: str = "address") -> User:
    """The wallet an address names (checked per chain, `questline.wallets`), named by its address."""
    wallet = wallet_address(address, field)
    return _registered(entity_id, wallet, wallet.value, create=create)


def caller_may_read(caller: Principal, user: User) -> None:
    """A widget token reads only its own user."""
    if caller.kind is CredentialKind.WIDGET_TOKEN and caller.user_id != user.identity_id:
        raise Forbidden("a widget token reads only its own user")


def requested_user(
    caller: Principal, account: str | None, platform: str | None, *, create: bool = False
) -> User | None:
    """The user a request names by `account` and `platform` (None when it names none). A widget token
    stands for its own user when it names none, and reads no other: naming anyone else is refused whether
    or not that user exists, so it learns nothing about them."""
    entity_id = str(caller.entity_id)
    widget = caller.kind is CredentialKind.WIDGET_TOKEN
    if (account is None) != (platform is None):  # claimr: required together
        missing, given = ("platform", "account") if platform is None else ("account", "platform")
        raise BadRequest(f"{missing} is required with {given}", field=missing)
    if account is None or platform is None:
        return User(caller.user_id, caller.user_id) if widget and caller.user_id else None
    if widget:
        try:
            user = find_user(entity_id, account, platform, create=False)
        except NotFound:
            raise Forbidden("a widget token reads only its own user") from None
    else:
        user = find_user(entity_id, account, platform, create=create)
    caller_may_read(caller, user)
    return user


def _scope(entity_id: str, pid: str, env: str | None) -> Scope:
    """The one place a request's campaign is decided: published, or a preview of the draft with env=dev."""
    return store.scope(entity_id, pid, env=env)


def _named_user(
    caller: Principal, pid: str, account: str | None, platform: str | None, env: str | None, *, create: bool
) -> tuple[Scope, User]:
    """The campaign first (so nothing is registered for a request it refuses), then the user named."""
    scope = _scope(str(caller.entity_id), pid, env)
    user = requested_user(caller, account, platform, create=create)
    if user is None:
        raise BadRequest("account and platform are required", field="account")
    return scope, user


def _active(scope: Scope, user: User) -> None:
    """Count the user as active this month, unless the request was a preview."""
    if not scope.preview:
        record_monthly_activity(scope.entity_id, user.identity_id)


# --- users ---------------------------------------------------------------------------------------------


def user_token(entity_id: str, account: str, platform: str, name: str | None) -> str:
    user = find_user(entity_id, account, platform, create=True)
    update_profile(entity_id, user.identity_id, fields={"name": name or account})
    token, issued = widgets.token_for(
        entity_id, user.identity_id, name=name or account, names=names_of_user(entity_id, user)
    )
    if issued:
        record_monthly_activity(entity_id, user.identity_id)
    return token


def balance(
    caller: Principal, pid: str, account: str | None, platform: str | None, env: str | None
) -> dict[str, Any]:
    """The balance, the user's level (`engine.level_of`; null without levels), and the user's rank on the
    campaign's leaderboard (None when not on it, and always in a preview, which has no leaderboard; the
    board follows balances through the stream, so a rank can lag a change by a moment). Two round trips:
    the balance with the user's board entry, then the entry's rank."""
    scope, user = _named_user(caller, pid, account, platform, env, create=False)
    entity_id, storage_pid = scope.entity_id, scope.storage_pid
    balance_key = keys.balance(entity_id, storage_pid, user.identity_id)
    standing_key = keys.stats_projection(entity_id, storage_pid, user.identity_id)
    found = {
        (str(i[keys.PK]), str(i[keys.SK])): i for i in get_table().batch_get([balance_key, standing_key])
    }
    held = found.get((balance_key[keys.PK], balance_key[keys.SK])) or {}
    standing = found.get((standing_key[keys.PK], standing_key[keys.SK])) or {}
    board_key = standing.get("board_key")
    rank = leaderboard.rank_of(entity_id, storage_pid, str(board_key)).rank if board_key else None
    level = engine.level_of(scope.campaign, int(held.get("total", 0)))
    return {**{bucket: int(held.get(bucket, 0)) for bucket in ledger.BUCKETS}, "rank": rank, "level": level}


def _xp(xp: int, field: str = "xp") -> int:
    if isinstance(xp, bool) or not isinstance(xp, int) or xp <= 0:
        raise BadRequest(f"{field} must be a positive whole number", field=field)
    return xp


def _reward(scope: Scope, user: User, entry_id: str, xp: int) -> bool:
    entry = Entry(entry_id, user.identity_id, "xp", _xp(xp), "reward", names_of_user(scope.entity_id, user))
    policy = points_expiry.policy_of(scope.campaign, scope.storage_pid)
    if policy is not None:  # a lot that expires (`points_expiry`)
        applied = points_expiry.credit(scope.entity_id, scope.storage_pid, policy, entry)
    else:
        applied = ledger.change(scope.entity_id, scope.storage_pid, entry)
    if applied:
        _active(scope, user)
        participants.refresh_referral(scope.entity_id, scope.storage_pid, user.identity_id, scope.campaign)
    return applied


def _withdraw(scope: Scope, user: User, entry_id: str, xp: int, strict: bool) -> bool:
    entry = Entry(
        entry_id, user.identity_id, "xp", -_xp(xp), "withdraw", names_of_user(scope.entity_id, user)
    )
    spends_lots = points_expiry.policy_of(scope.campaign, scope.storage_pid) is not None
    return ledger.change(scope.entity_id, scope.storage_pid, entry, strict=strict, spends_lots=spends_lots)


def reward(
    entity_id: str, pid: str, account: str, platform: str, entry_id: str, xp: int, env: str | None
) -> bool:
    scope = _scope(entity_id, pid, env)
    return _reward(scope, find_user(entity_id, account, platform, create=True), entry_id, xp)


def withdraw(
    entity_id: str,
    pid: str,
    account: str,
    platform: str,
    entry_id: str,
    xp: int,
    strict: bool,
    env: str | None,
) -> bool:
    scope = _scope(entity_id, pid, env)
    return _withdraw(scope, find_user(entity_id, account, platform, create=True), entry_id, xp, strict)


def _reverse(scope: Scope, user: User, entry_id: str, reason: str) -> dict[str, Any]:
    """`questline.campaigns.reversals`: once, down to zero at most, the referrer's share with it."""
    names = names_of_user(scope.entity_id, user)
    spends_lots = points_expiry.policy_of(scope.campaign, scope.storage_pid) is not None
    return reversals.reverse(
        scope.entity_id, scope.storage_pid, user.identity_id, entry_id, reason, names, spends_lots=spends_lots
    )


def reverse_reward(
    entity_id: str, pid: str, account: str, platform: str, entry_id: str, reason: str, env: str | None
) -> dict[str, Any]:
    scope = _scope(entity_id, pid, env)
    return _reverse(scope, find_user(entity_id, account, platform, create=False), entry_id, reason)


def grant_boost(
    entity_id: str,
    pid: str,
    account: str,
    platform: str,
    env: str | None,
    *,
    boost_id: str,
    multiplier: float,
    ends_at: int,
    starts_at: int | None,
    actions: list[str],
    name: str | None,
) -> list[dict[str, Any]]:
    """`POST /user/boost` (ours): `questline.campaigns.personal_boosts`; a boost for a person new to the
    campaign registers them, as a reward does. It starts now unless `starts_at` says otherwise."""
    scope = _scope(entity_id, pid, env)
    starts = starts_at if starts_at is not None else min(int(clock.now()), ends_at - 1)
    boost = Boost(
        id=boost_id,
        name=name,
        multiplier=float(multiplier),
        starts_at=starts,
        ends_at=ends_at,
        actions=actions,
    )
    personal_boosts.check(scope.campaign, boost)
    user = find_user(entity_id, account, platform, create=True)
    return personal_boosts.grant(scope.entity_id, scope.storage_pid, user.identity_id, scope.campaign, boost)


def ref_id(caller: Principal, pid: str, account: str | None, platform: str | None, env: str | None) -> str:
    scope, user = _named_user(caller, pid, account, platform, env, create=True)
    return referrals.ref_id_of(scope.entity_id, scope.storage_pid, user.identity_id)


def _referee(scope: Scope, account: str, platform: str) -> User:
    """The user being referred: refused when a referrer is set already, registered only when new (a new
    user cannot be refused for a cycle or a second referrer, so a refusal never leaves a user behind)."""
    try:
        user = find_user(scope.entity_id, account, platform, create=False)
    except NotFound:
        return find_user(scope.entity_id, account, platform, create=True)
    if participants.read(scope.entity_id, scope.storage_pid, user.identity_id).state.get("referrer"):
        raise RuleViolation("this user already has a referrer", code="referrer_already_set", field="account")
    return user


def set_referrer_by_ref_id(
    entity_id: str, pid: str, account: str, platform: str, ref: str, env: str | None
) -> None:
    scope = _scope(entity_id, pid, env)
    referrer_id = referrals.owner_of_ref_id(entity_id, scope.storage_pid, ref)
    user = _referee(scope, account, platform)
    referrals.set_referrer(
        entity_id, scope.storage_pid, user.identity_id, referrer_id, scope.campaign, referee_label=user.label
    )


def set_referrer(
    entity_id: str,
    pid: str,
    account: str,
    platform: str,
    ref_account: str,
    ref_platform: str,
    env: str | None,
) -> None:
    scope = _scope(entity_id, pid, env)
    if user_identifier(account, platform) == user_identifier(ref_account, ref_platform):
        raise RuleViolation("a user cannot refer themselves", code="self_referral", field="ref_account")
    try:
        referrer = find_user(entity_id, ref_account, ref_platform, create=False)
    except NotFound:
        raise NotFound("the referrer is not a user of this entity", field="ref_account") from None
    user = _referee(scope, account, platform)
    referrals.set_referrer(
        entity_id,
        scope.storage_pid,
        user.identity_id,
        referrer.identity_id,
        scope.campaign,
        referee_label=user.label,
    )


def _referrals(
    scope: Scope, user: User, limit: int, after: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the people this user referred (at most `limit`: one Query and two BatchGetItems of that
    many keys) and the next page's cursor."""
    entity_id = scope.entity_id
    links, following = referrals.referee_page(
        entity_id, scope.storage_pid, user.identity_id, limit=limit, after=after
    )
    table = get_table()
    balances = {
        str(i["identity_id"]): i
        for i in table.batch_get(
            [keys.balance(entity_id, scope.storage_pid, str(link["referee_id"])) for link in links]
        )
    }
    profiles = {
        str(i["identity_id"]): i
        for i in table.batch_get([keys.identity(entity_id, str(link["referee_id"])) for link in links])
    }
    answer = []
    for link in links:
        referee = str(link["referee_id"])
        answer.append(
            {
                "id": public_user_id(entity_id, scope.storage_pid, referee),
                "name": profiles.get(referee, {}).get("name") or link.get("referee_label"),
                "account": link.get("referee_label"),
                "ref_xp": int(link.get("ref_xp", 0)),
                "xp": int(balances.get(referee, {}).get("xp", 0)),
                "cts": _epoch(str(link.get("created_at", ""))),
                "valid": link.get("status") == "valid",
                # pending until valid; rejected (never valid, never paying) with why (referrals.py)
                "status": str(link.get("status", "pending")),
                "reason": link.get("reason"),
            }
        )
    return answer, following


def referrals_of(
    caller: Principal,
    pid: str,
    account: str | None,
    platform: str | None,
    env: str | None,
    *,
    limit: int,
    after: str | None,
) -> dict[str, Any]:
    """`GET /user/referrals`: a page of `referrals` and `next` (the next page's cursor, null at the last)."""
    scope, user = _named_user(caller, pid, account, platform, env, create=False)
    found, following = _referrals(scope, user, limit, after)
    return {"referrals": found, "next": following}


def _json_number(value: Any) -> int | float:
    """A number as JSON should show it: whole numbers as integers (150, not 150.0)."""
    number = float(value or 0)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _epoch(iso: str) -> int:
    from datetime import datetime

    try:
        return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0


def _shown_progress(action: Any, current: Mapping[str, Any], open_now: bool) -> dict[str, Any]:
    """An action's progress; once its window is done, what completed that window (so `count` and `value`
    agree with `done`)."""
    if open_now:
        count, value = current.get("count", 0), current.get("value", 0)
    else:
        target = action.target if action.type != "api_call" else 1
        counted = action.type in ("events_count", "api_call")
        count = current.get("final_count", target if counted else 0)
        value = current.get("final_value", 0 if counted else target)
    return {
        "count": int(count),
        "value": _json_number(value),
        "target": _json_number(action.target) if action.type != "api_call" else 1,
    }


def progress(
    caller: Principal, pid: str, account: str | None, platform: str | None, env: str | None
) -> dict[str, Any]:
    scope, user = _named_user(caller, pid, account, platform, env, create=False)
    campaign = scope.campaign
    state = participants.read(scope.entity_id, scope.storage_pid, user.identity_id, names=True).state
    now = clock.now()
    tz = engine.zone_of(campaign, state)
    actions = []
    for action in campaign.actions:
        current = state.get("actions", {}).get(action.id, {})
        open_now = engine.available(action, current, now, tz)
        actions.append(
            {
                "id": action.id,
                "name": action.name,
                "type": action.type,
                "recurrence": action.recurrence,
                "window": action.window,
                "xp": action.award(),
                "boost": engine.boost_for(campaign, state, action.id, now),  # on a completion now: theirs too
                "ref_xp": action.ref_xp,
                "is_optional": action.is_optional,
                "completions": int(current.get("n", 0)),
                "done": not open_now,
                "locked": not engine.unlocked(action, state, campaign),
                "deps": list(action.deps),
                # why it is locked: the dependencies not done yet, actions or levels (a widget names them)
                "locked_by": [dep for dep in action.deps if not engine.dep_done(campaign, state, dep)],
                "progress": _shown_progress(action, current, open_now),
                "next_available_at": engine.next_window_at(action, current, tz)
                if not open_now and action.recurrence in RECURRENCE_SECONDS
                else None,
            }
        )
    finished = state.get("quests", {})
    quests = [
        {"id": q.id, "name": q.name, "xp": q.xp, "actions": q.actions, "done": q.id in finished}
        for q in campaign.quests
    ]
    return {
        "userId": user.identity_id,
        "actions": actions,
        "quests": quests,
        "level": engine.level_of(campaign, engine.xp_of(state)),
        "streaks": engine.streaks_of(campaign, state, now),
        "boosts": personal_boosts.listed(state, now),  # the person's own (the campaign's: /campaign/info)
        "timezone": tz.key,
    }


def achievements(
    caller: Principal, pid: str, account: str | None, platform: str | None, env: str | None
) -> dict[str, Any]:
    """`GET /user/achievements`: each of the campaign's achievements, done or its progress (one consistent
    BatchGetItem, as `/user/progress`)."""
    scope, user = _named_user(caller, pid, account, platform, env, create=False)
    state = participants.read(scope.entity_id, scope.storage_pid, user.identity_id, names=True).state
    return {
        "userId": user.identity_id,
        "achievements": engine.achievements_of(scope.campaign, state, clock.now()),
    }


def streaks(
    caller: Principal, pid: str, account: str | None, platform: str | None, env: str | None
) -> dict[str, Any]:
    """`GET /user/streak`: each of the campaign's streaks as it stands now (one consistent BatchGetItem:
    the state, the balance and the identity for the timezone). A streak whose missed periods outnumber
    its freezes answers `current: 0, lost: true` at once; its `streak.lost` webhook fires with the
    person's next activity (`engine._extend`)."""
    scope, user = _named_user(caller, pid, account, platform, env, create=False)
    state = participants.read(scope.entity_id, scope.storage_pid, user.identity_id, names=True).state
    tz = engine.zone_of(scope.campaign, state)
    return {
        "userId": user.identity_id,
        "timezone": tz.key,
        "streaks": engine.streaks_of(scope.campaign, state, clock.now()),
    }


def activity(
    caller: Principal, pid: str, account: str | None, platform: str | None, env: str | None
) -> dict[str, Any]:
    scope, user = _named_user(caller, pid, account, platform, env, create=False)
    entity_id, campaign = scope.entity_id, scope.campaign
    table = get_table()
    identity = read_identity(entity_id, user.identity_id)
    tasks: list[dict[str, Any]] = []
    quests: list[dict[str, Any]] = []
    for identity_id in partitions_of(identity):
        partition = keys.participant_partition(entity_id, scope.storage_pid, identity_id)
        for item in table.query(partition, begins_with=keys.COMPLETION_PREFIX).items:
            action = campaign.action(str(item["action_id"]))
            tasks.append(
                {
                    "id": item["action_id"],
                    "name": action.name if action else item["action_id"],
                    "window": item["window"],
                    "xp": item["xp"],
                    "at": item["at"],
                }
            )
        for item in table.query(partition, begins_with=keys.QUEST_PREFIX).items:
            quest = campaign.quest(str(item["quest_id"]))
            quests.append(
                {
                    "id": item["quest_id"],
                    "name": quest.name if quest else item["quest_id"],
                    "xp": item["xp"],
                    "at": item["at"],
                }
            )
    rewards = [
        {
            "id": e["entry_id"],
            "kind": e["kind"],
            "xp": e["xp"],
            "bucket": e["bucket"],
            "at": e["created_at"],
            # a credit that expires says when; an expiry names the credit (`points_expiry`)
            **{field: e[field] for field in ("expires_at", "expires") if field in e},
        }
        for e in ledger.entries_of(entity_id, scope.storage_pid, user.identity_id)
    ]
    total = ledger.balance_of(entity_id, scope.storage_pid, user.identity_id)["total"]
    return {
        "userId": user.identity_id,
        "tasks": sorted(tasks, key=lambda t: t["at"]),
        "quests": quests,
        "rewards": rewards,
        "xp": total,
    }


# --- wallets -------------------------------------------------------------------------------------------


def wallet_code(entity_id: str, pid: str, address: str) -> str:
    """The invite code a wallet holds (codes exist only in published campaigns)."""
    _scope(entity_id, pid, None)
    return codes.code_of(entity_id, pid, wallet_user(entity_id, address, create=True).identity_id)


def wallet_ref_id(entity_id: str, pid: str, address: str, env: str | None) -> str:
    scope = _scope(entity_id, pid, env)
    user = wallet_user(entity_id, address, create=False)
    return referrals.ref_id_of(entity_id, scope.storage_pid, user.identity_id, create=False)


def wallet_referrals(
    entity_id: str, pid: str, address: str, env: str | None, *, limit: int, after: str | None
) -> dict[str, Any]:
    scope = _scope(entity_id, pid, env)
    user = wallet_user(entity_id, address, create=True)
    referred, following = _referrals(scope, user, limit, after)
    return {
        "address": user.label,
        "points": [{"address": r["account"] or r["id"], "total_points": r["ref_xp"]} for r in referred],
        "next": following,
    }


def wallet_reward(entity_id: str, pid: str, address: str, entry_id: str, xp: int, env: str | None) -> bool:
    scope = _scope(entity_id, pid, env)
    return _reward(scope, wallet_user(entity_id, address, create=True), entry_id, xp)


def wallet_reverse_reward(
    entity_id: str, pid: str, address: str, entry_id: str, reason: str, env: str | None
) -> dict[str, Any]:
    scope = _scope(entity_id, pid, env)
    return _reverse(scope, wallet_user(entity_id, address, create=False), entry_id, reason)


def wallet_withdraw(
    entity_id: str, pid: str, address: str, entry_id: str, xp: int, strict: bool, env: str | None
) -> bool:
    scope = _scope(entity_id, pid, env)
    return _withdraw(scope, wallet_user(entity_id, address, create=True), entry_id, xp, strict)


# --- invite codes --------------------------------------------------------------------------------------


def assign_code(entity_id: str, pid: str, code: str, used_by: str | None) -> None:
    _scope(entity_id, pid, None)
    if used_by is None:
        raise BadRequest("used_by is required", field="used_by")
    user = wallet_user(entity_id, used_by, create=True, field="used_by")
    codes.assign(entity_id, pid, code, user.identity_id, user.label)


def release_code(entity_id: str, pid: str, code: str, used_by: str | None) -> int:
    label = wallet_address(used_by, "used_by").value if used_by is not None else None
    return codes.release(entity_id, pid, code, label)


# --- tasks -------------------------------------------------------------------------------------------


def _report(scope: Scope, outcome: engine.Outcome) -> dict[str, Any]:
    """What a report did: whether it counted, what it completed, and why each action it did not move
    stayed as it was."""
    return {
        "counted": outcome.changed,
        "completed": [done.action_id for done in outcome.completions],
        # what each completion earned, with the boosts active then (1: none)
        "awarded": [
            {"id": done.action_id, "xp": done.xp, "boost": done.boost} for done in outcome.completions
        ],
        "quests_completed": [quest.quest_id for quest in outcome.quests],
        "skipped": [
            {"id": skip.action_id, "reason": skip.reason, "next_available_at": skip.next_available_at}
            for skip in outcome.skipped
        ],
        "preview": scope.preview,
    }


def value_target(campaign: Campaign, pid: str, cid: str, aid: str) -> None:
    """What `/action/value` names: `cid` the campaign or one of its quests, `aid` a number_value or
    api_call action (of that quest); a 404/400 naming the field otherwise."""
    quest = campaign.quest(cid)
    if cid != pid and quest is None:
        raise NotFound(f"the campaign has no quest {cid!r}", field="cid")
    if quest is not None and aid not in quest.actions:
        raise NotFound(f"quest {cid!r} has no action {aid!r}", field="aid")
    engine.value_action(campaign, aid)


def action_value(
    entity_id: str,
    pid: str,
    account: str,
    platform: str,
    cid: str,
    aid: str,
    value: float,
    env: str | None,
) -> dict[str, Any]:
    scope = _scope(entity_id, pid, env)
    campaign = scope.campaign
    value_target(campaign, pid, cid, aid)  # refused before anyone is registered
    user = find_user(entity_id, account, platform, create=True)
    now = clock.now()
    outcome = participants.run(
        entity_id,
        scope.storage_pid,
        user.identity_id,
        campaign,
        lambda state: engine.apply_value(campaign, state, aid, value, now),
        via=user.via,
    )
    _active(scope, user)
    return _report(scope, outcome)


def stream_value(
    entity_id: str, pid: str, account: str, platform: str, stream: str, value: float, env: str | None
) -> dict[str, Any]:
    scope = _scope(entity_id, pid, env)
    campaign = scope.campaign
    engine.stream_actions(campaign, stream)  # refused before anyone is registered
    user = find_user(entity_id, account, platform, create=True)
    now = clock.now()
    outcome = participants.run(
        entity_id,
        scope.storage_pid,
        user.identity_id,
        campaign,
        lambda state: engine.apply_stream(campaign, state, stream, value, now),
        via=user.via,
    )
    _active(scope, user)
    return _report(scope, outcome)


def record_event(
    entity_id: str,
    pid: str,
    account: str,
    platform: str,
    name: str,
    event_id: str | None,
    category: str | None,
    data: Mapping[str, Any],
    ts: float | None,
    env: str | None = None,
) -> None:
    scope = _scope(entity_id, pid, env)
    user = find_user(entity_id, account, platform, create=True)
    log = LogInput(
        source="claimr",
        event_key=name,
        name=name,
        data=dict(data),
        client_ts=ts,
        unique_key=event_id,
        category=category,
        pid=scope.storage_pid,
    )
    if scope.preview:
        _write_preview_log(scope, user.identity_id, log)
    else:
        ingest_one(entity_id, user.identity_id, log)


def _write_preview_log(scope: Scope, identity_id: str, log: LogInput) -> None:
    """An event sent with `env=dev`: one log in the preview participant's partition (listed nowhere
    else, so live listings and live tasks never see it; the stream applies it to the draft), idempotent
    by its id within the preview."""
    item = {
        k: v
        for k, v in log_item(scope.entity_id, identity_id, log).items()
        if k not in (keys.GSI1PK, keys.GSI1SK, keys.GSI2PK, keys.GSI2SK)
    }
    item.update(keys.preview_event_log(scope.entity_id, scope.storage_pid, identity_id, str(item["log_id"])))
    item.update(expiry(scope.storage_pid))
    table = get_table()
    if log.unique_key is None:
        table.put(item)
        return
    marker = {
        **keys.preview_idempotency(scope.entity_id, scope.storage_pid, log.event_key, log.unique_key),
        "type": "idempotency",
        "entity_id": scope.entity_id,
        "pid": scope.storage_pid,
        "log_id": item["log_id"],
        "identity_id": identity_id,
        **expiry(scope.storage_pid),
    }
    try:
        table.transact_write([TxPut(marker, condition=not_exists()), TxPut(item)])
    except ConditionFailed:
        return  # a repeat of an event this preview has: nothing more


def events(
    entity_id: str,
    pid: str,
    account: str,
    platform: str,
    name: str | None,
    category: str | None,
    env: str | None = None,
) -> list[dict[str, Any]]:
    scope = _scope(entity_id, pid, env)
    try:
        user = find_user(entity_id, account, platform, create=False)
    except NotFound:
        return []  # a user never seen has no events
    identity = read_identity(entity_id, user.identity_id)
    if scope.preview:
        table = get_table()
        logs = [
            item
            for identity_id in partitions_of(identity)
            for item in table.query(
                keys.participant_partition(entity_id, scope.storage_pid, identity_id),
                begins_with=keys.LOG_PREFIX,
                limit=MAX_EVENTS_LISTED,
            ).items
        ]
    else:
        logs = list_logs(entity_id, identity_ids=partitions_of(identity), limit=MAX_EVENTS_LISTED).items
    found = []
    for log in logs:
        if log.get("source") != "claimr" or log.get("pid") != scope.storage_pid:
            continue
        if (name and log.get("name") != name) or (category and log.get("category") != category):
            continue
        found.append(
            {
                "id": log.get("unique_identifier") or log["log_id"],
                "account": account,
                "platform": platform,
                "pid": pid,
                "name": log["name"],
                "category": log.get("category"),
                "data": client_json(log.get("data") or {}),
                "ts": log.get("client_ts"),
                "oid": entity_id,
            }
        )
    return found


# --- campaigns ---------------------------------------------------------------------------------------


def campaign_info(entity_id: str, pid: str, env: str | None) -> dict[str, Any]:
    campaign = _scope(entity_id, pid, env).campaign
    return {
        "id": pid,
        "name": campaign.name,
        **campaign.model_dump(
            mode="json",
            include={
                "actions",
                "quests",
                "seasons",
                "levels",
                "streaks",
                "achievements",
                "timezone",
                "boosts",
            },
        ),
        **({"expiry": campaign.expiry.model_dump(mode="json", exclude_none=True)} if campaign.expiry else {}),
    }


def leaderboard_view(
    caller: Principal,
    pid: str,
    account: str | None,
    platform: str | None,
    *,
    limit: int | None,
    after: str | None,
    around: int | None,
    period: str | None = None,
    at: str | None = None,
    season: int | None = None,
) -> dict[str, Any]:
    """`GET /leaderboard` (live campaigns only: previews have no leaderboard): the all-time board, or a
    recurring one (`period`, `at`, `season`)."""
    _scope(str(caller.entity_id), pid, None)
    try:
        user = requested_user(caller, account, platform)
    except NotFound:
        user = None  # someone never seen has no rank
    return leaderboard.view(
        str(caller.entity_id),
        pid,
        user.identity_id if user else None,
        limit=limit,
        after=after,
        around_count=around,
        user_named=account is not None and platform is not None,
        period=period,
        at=at,
        season=season,
    )


def season_of(campaign: Campaign, total_points: int) -> dict[str, Any]:
    """Seasons are consecutive stretches of `max_xp` points: the current one, and the points inside it."""
    remaining = total_points
    for index, season in enumerate(campaign.seasons):
        if remaining < season.max_xp or index == len(campaign.seasons) - 1:
            return {
                "season_index": index,
                "season_points": min(remaining, season.max_xp),
                "season": season.model_dump(),
            }
        remaining -= season.max_xp
    return {"season_index": None, "season_points": total_points, "season": None}
