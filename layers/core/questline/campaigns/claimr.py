"""The claimr surface's services: one call per route. Users are (`account`, `platform`) resolved through
the identity graph (`platform=web3` is a wallet, the same identity as `/wallet/*` addresses and Endu's
wallet keys); campaigns are the published ones, or drafts with `env=dev`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from questline import clock
from questline.auth import CredentialKind, Principal
from questline.campaigns import engine, leaderboard, ledger, participants, referrals, store, widgets
from questline.campaigns.definition import RECURRENCE_SECONDS, Campaign
from questline.campaigns.ledger import Entry
from questline.errors import BadRequest, Forbidden, NotFound, RuleViolation
from questline.events.ingest import EventIn, ingest
from questline.events.logs import LogInput, list_logs
from questline.identity import identifiers
from questline.identity.graph import partitions_of, read_identity, resolve
from questline.identity.identifiers import Identifier
from questline.identity.profiles import update_profile
from questline.storage import get_table, keys
from questline.storage.codec import client_json
from questline.tenancy.mau import record_monthly_activity


class User(NamedTuple):
    identity_id: str
    label: str  # how claimr names the user in answers (the account, or the wallet address)


def user_identifier(account: str, platform: str) -> Identifier:
    return identifiers.account(platform, account)


def find_user(entity_id: str, account: str, platform: str, *, create: bool) -> User:
    """The identity behind (account, platform); with `create`, registered on first sight."""
    resolved = resolve(entity_id, [user_identifier(account, platform)], create=create)
    return User(resolved.identity_id, account)


def wallet_user(entity_id: str, address: str, *, create: bool) -> User:
    resolved = resolve(entity_id, [identifiers.wallet(address)], create=create)
    return User(resolved.identity_id, address)


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


def campaign_of(entity_id: str, pid: str, env: str | None = None) -> store.StoredCampaign:
    return store.load(entity_id, pid, draft=env == "dev")


# --- users ---------------------------------------------------------------------------------------------


def user_token(entity_id: str, account: str, platform: str, name: str | None) -> str:
    user = find_user(entity_id, account, platform, create=True)
    update_profile(entity_id, user.identity_id, fields={"name": name or account})
    token, issued = widgets.token_for(entity_id, user.identity_id, name=name or account)
    if issued:
        record_monthly_activity(entity_id, user.identity_id)
    return token


def balance(entity_id: str, pid: str, user: User) -> dict[str, int | None]:
    """The balance, and the user's rank on the campaign's leaderboard (None when not on it; the board
    follows balances through the stream, so a rank can lag a change by a moment). Two round trips: the
    balance with the user's board entry, then the entry's rank."""
    campaign_of(entity_id, pid)
    wanted = [
        keys.balance(entity_id, pid, user.identity_id),
        keys.stats_projection(entity_id, pid, user.identity_id),
    ]
    found = {str(item[keys.SK]): item for item in get_table().batch_get(wanted)}
    held = found.get(keys.balance(entity_id, pid, user.identity_id)[keys.SK]) or {}
    standing = found.get(keys.stats_projection(entity_id, pid, user.identity_id)[keys.SK]) or {}
    board_key = standing.get("board_key")
    return {
        **{bucket: int(held.get(bucket, 0)) for bucket in ledger.BUCKETS},
        "rank": leaderboard.rank_of(entity_id, pid, str(board_key)).rank if board_key else None,
    }


def _xp(xp: int, field: str = "xp") -> int:
    if isinstance(xp, bool) or not isinstance(xp, int) or xp <= 0:
        raise BadRequest(f"{field} must be a positive whole number", field=field)
    return xp


def reward(entity_id: str, pid: str, user: User, entry_id: str, xp: int, *, env: str | None = None) -> bool:
    stored = campaign_of(entity_id, pid, env)
    entry = Entry(entry_id, user.identity_id, "xp", _xp(xp), "reward")
    applied = ledger.change(entity_id, pid, entry)
    if applied:
        record_monthly_activity(entity_id, user.identity_id)
        participants.refresh_referral(entity_id, pid, user.identity_id, stored.campaign)
    return applied


def withdraw(
    entity_id: str, pid: str, user: User, entry_id: str, xp: int, strict: bool, *, env: str | None = None
) -> bool:
    campaign_of(entity_id, pid, env)
    return ledger.change(
        entity_id, pid, Entry(entry_id, user.identity_id, "xp", -_xp(xp), "withdraw"), strict=strict
    )


def ref_id(entity_id: str, pid: str, user: User, *, create: bool = True) -> str:
    campaign_of(entity_id, pid)
    return referrals.ref_id_of(entity_id, pid, user.identity_id, create=create)


def _referee(entity_id: str, pid: str, account: str, platform: str) -> User:
    """The user being referred: refused when a referrer is set already, registered only when new (a new
    user cannot be refused for a cycle or a second referrer, so a refusal never leaves a user behind)."""
    try:
        user = find_user(entity_id, account, platform, create=False)
    except NotFound:
        return find_user(entity_id, account, platform, create=True)
    if participants.read(entity_id, pid, user.identity_id).state.get("referrer"):
        raise RuleViolation("this user already has a referrer", code="referrer_already_set", field="account")
    return user


def set_referrer_by_ref_id(entity_id: str, pid: str, account: str, platform: str, ref: str) -> None:
    stored = campaign_of(entity_id, pid)
    referrer_id = referrals.owner_of_ref_id(entity_id, pid, ref)
    user = _referee(entity_id, pid, account, platform)
    referrals.set_referrer(
        entity_id, pid, user.identity_id, referrer_id, stored.campaign, referee_label=user.label
    )


def set_referrer(
    entity_id: str, pid: str, account: str, platform: str, ref_account: str, ref_platform: str
) -> None:
    stored = campaign_of(entity_id, pid)
    if user_identifier(account, platform) == user_identifier(ref_account, ref_platform):
        raise RuleViolation("a user cannot refer themselves", code="self_referral", field="ref_account")
    try:
        referrer = find_user(entity_id, ref_account, ref_platform, create=False)
    except NotFound:
        raise NotFound("the referrer is not a user of this entity", field="ref_account") from None
    user = _referee(entity_id, pid, account, platform)
    referrals.set_referrer(
        entity_id, pid, user.identity_id, referrer.identity_id, stored.campaign, referee_label=user.label
    )


def referrals_of(entity_id: str, pid: str, user: User) -> list[dict[str, Any]]:
    campaign_of(entity_id, pid)
    links = referrals.referees_of(entity_id, pid, user.identity_id)
    table = get_table()
    balances = {
        str(i["identity_id"]): i
        for i in table.batch_get([keys.balance(entity_id, pid, str(link["referee_id"])) for link in links])
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
                "id": referee,
                "name": profiles.get(referee, {}).get("name") or link.get("referee_label") or referee,
                "account": link.get("referee_label"),
                "ref_xp": int(link.get("ref_xp", 0)),
                "xp": int(balances.get(referee, {}).get("xp", 0)),
                "cts": _epoch(str(link.get("created_at", ""))),
                "valid": link.get("status") == "valid",
            }
        )
    return answer


def _epoch(iso: str) -> int:
    from datetime import datetime

    try:
        return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0


def progress(entity_id: str, pid: str, user: User, env: str | None = None) -> dict[str, Any]:
    campaign = campaign_of(entity_id, pid, env).campaign
    state = participants.read(entity_id, pid, user.identity_id).state
    now = clock.now()
    actions = []
    for action in campaign.actions:
        current = state.get("actions", {}).get(action.id, {})
        open_now = engine.available(action, current, now)
        actions.append(
            {
                "id": action.id,
                "name": action.name,
                "type": action.type,
                "recurrence": action.recurrence,
                "xp": action.award(),
                "ref_xp": action.ref_xp,
                "is_optional": action.is_optional,
                "completions": int(current.get("n", 0)),
                "done": not open_now,
                "locked": not engine.unlocked(action, state),
                "progress": {
                    "count": int(current.get("count", 0)),
                    "value": float(current.get("value", 0)),
                    "target": action.target if action.type != "api_call" else 1,
                },
                "next_available_at": engine.next_window_at(action, current)
                if not open_now and action.recurrence in RECURRENCE_SECONDS
                else None,
            }
        )
    finished = state.get("quests", {})
    quests = [
        {"id": q.id, "name": q.name, "xp": q.xp, "actions": q.actions, "done": q.id in finished}
        for q in campaign.quests
    ]
    return {"userId": user.identity_id, "actions": actions, "quests": quests}


def activity(entity_id: str, pid: str, user: User) -> dict[str, Any]:
    campaign = campaign_of(entity_id, pid).campaign
    table = get_table()
    identity = read_identity(entity_id, user.identity_id)
    tasks: list[dict[str, Any]] = []
    quests: list[dict[str, Any]] = []
    for identity_id in partitions_of(identity):
        partition = keys.participant_partition(entity_id, pid, identity_id)
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
        {"id": e["entry_id"], "kind": e["kind"], "xp": e["xp"], "bucket": e["bucket"], "at": e["created_at"]}
        for e in ledger.entries_of(entity_id, pid, user.identity_id)
    ]
    total = ledger.balance_of(entity_id, pid, user.identity_id)["total"]
    return {
        "userId": user.identity_id,
        "tasks": sorted(tasks, key=lambda t: t["at"]),
        "quests": quests,
        "rewards": rewards,
        "xp": total,
    }


# --- tasks -------------------------------------------------------------------------------------------


def action_value(
    entity_id: str, pid: str, user: User, cid: str, aid: str, value: float, env: str | None
) -> int:
    stored = campaign_of(entity_id, pid, env)
    campaign = stored.campaign
    quest = campaign.quest(cid)
    if cid != pid and quest is None:
        raise NotFound(f"the campaign has no quest {cid!r}", field="cid")
    if quest is not None and aid not in quest.actions:
        raise NotFound(f"quest {cid!r} has no action {aid!r}", field="aid")
    now = clock.now()
    outcome = participants.run(
        entity_id,
        pid,
        user.identity_id,
        campaign,
        lambda state: engine.apply_value(campaign, state, aid, value, now),
    )
    record_monthly_activity(entity_id, user.identity_id)
    return len(outcome.completions)


def stream_value(entity_id: str, pid: str, user: User, stream: str, value: float, env: str | None) -> int:
    campaign = campaign_of(entity_id, pid, env).campaign
    now = clock.now()
    outcome = participants.run(
        entity_id,
        pid,
        user.identity_id,
        campaign,
        lambda state: engine.apply_stream(campaign, state, stream, value, now),
    )
    record_monthly_activity(entity_id, user.identity_id)
    return len(outcome.completions)


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
) -> None:
    campaign_of(entity_id, pid)
    log = LogInput(
        source="claimr",
        event_key=name,
        name=name,
        data=dict(data),
        client_ts=ts,
        unique_key=event_id,
        category=category,
        pid=pid,
    )
    ingest(entity_id, [EventIn((user_identifier(account, platform),), log)])


def events(
    entity_id: str, pid: str, user: User, account: str, platform: str, name: str | None, category: str | None
) -> list[dict[str, Any]]:
    identity = read_identity(entity_id, user.identity_id)
    page = list_logs(entity_id, identity_ids=partitions_of(identity), limit=1000)
    found = []
    for log in page.items:
        if log.get("source") != "claimr" or log.get("pid") != pid:
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
    campaign = campaign_of(entity_id, pid, env).campaign
    return {
        "id": pid,
        "name": campaign.name,
        **campaign.model_dump(mode="json", include={"actions", "quests", "seasons"}),
    }


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
