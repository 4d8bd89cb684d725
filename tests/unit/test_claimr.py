"""claimr's API and campaign management through their sample events, with the table's stream pumped to
the stream function as its event source mapping would."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.events import load_event
from questline.campaigns.ledger import balance_of
from questline.identity import identifiers
from questline.identity.graph import resolve
from questline.tenancy.entities import create_enabled_entity
from tests.support import api_event, endu_link
from tests.unit.conftest import Aws

P = "campaign_abc123"
ADMIN = "CampaignAdminFunction"
USERS = "ClaimrUsersFunction"
TASKS = "ClaimrTasksFunction"
CAMPAIGNS = "ClaimrCampaignsFunction"
WALLETS = "ClaimrWalletsFunction"
ROUTE_FUNCTION = {
    "/token": USERS, "/user/": USERS, "/action/": TASKS, "/stream/": TASKS, "/event": TASKS,
    "/campaign/": CAMPAIGNS, "/code": CAMPAIGNS, "/leaderboard": CAMPAIGNS, "/wallet/": WALLETS,
}  # fmt: skip


def design() -> dict[str, Any]:
    """The campaign of DESIGN.md §4, as the sample event sends it."""
    return dict(json.loads(load_event("campaign_admin_put", {"ENTITY_ID": "e"})["body"]))


def call(
    aws: Aws,
    method: str,
    route: str,
    *,
    key: str | None = None,
    body: Any = None,
    query: str = "",
    path: str | None = None,
    params: dict[str, str] | None = None,
) -> tuple[int, Any]:
    function = next((f for prefix, f in ROUTE_FUNCTION.items() if route.startswith(prefix)), ADMIN)
    headers = {"authorization": f"Bearer {key or aws.values['SECRET_KEY']}"}
    return aws.call(
        function, api_event(method, route, path=path, params=params, body=body, query=query, headers=headers)
    )


def admin(aws: Aws, method: str, tail: str, body: Any = None, key: str | None = None) -> tuple[int, Any]:
    entity_id = aws.values["ENTITY_ID"]
    route = (
        "/api/entities/{entityId}/campaigns"
        + ("/{pid}" if tail else "")
        + (tail.split(P, 1)[1] if P in tail else "")
    )
    path = f"/api/entities/{entity_id}/campaigns{tail}"
    params = {"entityId": entity_id, **({"pid": P} if P in tail else {})}
    return call(aws, method, route, path=path, params=params, body=body, key=key)


def q(account: str, platform: str = "discord", **extra: str) -> str:
    return "&".join(
        f"{k}={v}" for k, v in {"account": account, "platform": platform, "pid": P, **extra}.items()
    )


@pytest.fixture
def live_campaign(aws: Aws, entity: dict[str, str]) -> dict[str, Any]:
    assert aws.call(ADMIN, "campaign_admin_put")[0] == 200
    assert aws.call(ADMIN, "campaign_admin_publish")[0] == 200
    return design()


def link_wallet(aws: Aws, discord_account: str, wallet: str) -> None:
    """One Endu event naming a Discord account and a wallet, sent with the secret key: their identities
    merge (a publishable key may not merge two people who each hold an account, a wallet or points)."""
    headers = {"authorization": f"Bearer {aws.values['SECRET_KEY']}"}
    link = endu_link(
        aws.values["ENTITY_ID"],
        p_user_id=discord_account,
        platform_type="Discord",
        blockchain={"chain_type": "ethereum", "chain_account": wallet},
    )
    request = api_event("POST", "/api/events/record", body=link, headers=headers)
    assert aws.call("IngestFunction", request)[0] == 200


def balance(aws: Aws, account: str, platform: str = "discord") -> dict[str, int]:
    status, body = call(aws, "GET", "/user/balance", query=q(account, platform))
    assert status == 200, body
    return {bucket: body["data"][bucket] for bucket in ("xp", "ref_xp", "ugc_xp")}  # (and `rank`)


# --- campaign management ------------------------------------------------------------------------------


def test_drafts_publish_and_list(aws: Aws, entity: dict[str, str]) -> None:
    status, draft = aws.call(ADMIN, "campaign_admin_put")
    again = aws.call(ADMIN, "campaign_admin_put")[1]
    unpublished = call(aws, "GET", "/campaign/info", query=f"pid={P}")
    preview = call(aws, "GET", "/campaign/info", query=f"pid={P}&env=dev")
    published = aws.call(ADMIN, "campaign_admin_publish")[1]
    listed = aws.call(ADMIN, "campaign_admin_list")[1]

    assert status == 200 and draft["data"]["stage"] == "draft" and draft["data"]["version"] == 1
    assert again["data"]["version"] == 2
    assert unpublished[0] == 404 and preview[1]["data"]["name"] == "Summer Gaming Challenge"
    assert published["data"]["stage"] == "live"
    assert listed["data"][0]["pid"] == P and set(listed["data"][0]) == {"pid", "draft", "published"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: c["actions"][3].update(deps=["ghost"]), "actions.3.deps.0"),
        (lambda c: c["actions"][0].update(deps=["score_update"]), "actions.0.deps"),
        (lambda c: c["actions"][0].update(recurrence="hourly"), "actions.0.recurrence"),
        (lambda c: c["actions"][0].update(xp=-5), "actions.0.xp"),
        (lambda c: c["actions"][0].update(xp=1.5), "actions.0.xp"),
        (lambda c: c.update(quests=[{"id": "q", "name": "Q", "actions": ["nope"]}]), "quests.0.actions.0"),
        (lambda c: c.pop("name"), "name"),
    ],
)
def test_invalid_campaigns_are_400_naming_the_field_and_write_nothing(
    aws: Aws, entity: dict[str, str], change: Any, field: str
) -> None:
    campaign = design()
    change(campaign)
    before = aws.table_items()

    status, body = admin(aws, "PUT", f"/{P}", body=campaign)

    assert status == 400 and body["error"].startswith(field), body
    assert aws.table_items() == before


def test_campaign_management_needs_this_entitys_secret_key(aws: Aws, entity: dict[str, str]) -> None:
    other = create_enabled_entity("Other").secret_key.plain

    assert admin(aws, "PUT", f"/{P}", body=design(), key=other)[0] == 403
    assert admin(aws, "PUT", f"/{P}", body=design(), key=entity["PUBLIC_KEY"])[0] == 401
    assert admin(aws, "POST", f"/{P}/publish")[0] == 404  # no draft yet


def test_invite_codes_are_created_assigned_exhausted_and_released(
    aws: Aws, live_campaign: dict[str, Any]
) -> None:
    A, B, C = (f"0x{n:040x}" for n in (0xAAA, 0xBBB, 0xCCC))  # wallets: 0x and 40 hex digits
    created = aws.call(ADMIN, "campaign_admin_codes")
    generated = admin(aws, "POST", f"/{P}/codes", body={"count": 3, "prefix": "SUMMER-", "max_uses": 1})
    duplicate = aws.call(ADMIN, "campaign_admin_codes")
    first = call(aws, "POST", "/code", body={"code": "ABC123", "pid": P, "used_by": A})
    second = call(aws, "POST", "/code", body={"code": "ABC123", "pid": P, "used_by": B})
    exhausted = call(aws, "POST", "/code", body={"code": "ABC123", "pid": P, "used_by": C})
    info = call(aws, "GET", "/code", query=f"code=ABC123&pid={P}")
    held = call(aws, "GET", "/wallet/code", query=f"address={A}&pid={P}")
    released = call(aws, "DELETE", "/code", body={"code": "ABC123", "pid": P, "used_by": A})
    after = call(aws, "GET", "/code", query=f"code=ABC123&pid={P}")

    assert created[0] == 201 and created[1]["data"]["codes"] == ["ABC123"]
    assert [c.startswith("SUMMER-") for c in generated[1]["data"]["codes"]] == [True] * 3
    assert duplicate[0] == 409
    assert first == (200, {"success": True, "data": {}}) and second[0] == 200
    assert exhausted[0] == 422 and exhausted[1]["code"] == "code_exhausted"
    assert info[1]["data"]["used_by"] == [A, B]
    assert held[1]["data"] == {"code": "ABC123"}
    assert released[0] == 200 and after[1]["data"]["used_by"] == [B]


# --- ledger ----------------------------------------------------------------------------------------------


def test_rewards_are_idempotent_by_id(aws: Aws, live_campaign: dict[str, Any]) -> None:
    first = aws.call(USERS, "claimr_users_reward")
    again = aws.call(USERS, "claimr_users_reward")
    other_body = call(
        aws,
        "POST",
        "/user/reward",
        body={"account": "user123", "platform": "discord", "pid": P, "id": "reward-0001", "xp": 999},
    )

    assert first == again == (200, {"success": True})
    assert other_body[0] == 409 and other_body[1]["success"] is False
    assert balance(aws, "user123") == {"xp": 100, "ref_xp": 0, "ugc_xp": 0}


def test_strict_withdrawals_never_go_below_zero(aws: Aws, live_campaign: dict[str, Any]) -> None:
    aws.call(USERS, "claimr_users_reward")
    ok = aws.call(USERS, "claimr_users_withdraw")
    refused = call(
        aws,
        "POST",
        "/user/withdraw",
        body={"account": "user123", "platform": "discord", "pid": P, "id": "w2", "xp": 60, "strict": True},
    )
    loose = call(
        aws,
        "POST",
        "/user/withdraw",
        body={"account": "user123", "platform": "discord", "pid": P, "id": "w3", "xp": 60},
    )

    assert ok == (200, {"success": True})
    assert refused[0] == 422 and refused[1]["code"] == "insufficient_balance"
    assert loose[0] == 200 and balance(aws, "user123")["xp"] == -10


@pytest.mark.parametrize("xp", [-5, 0, 2.5, "10", True])
def test_bad_xp_is_refused_and_writes_nothing(aws: Aws, live_campaign: dict[str, Any], xp: Any) -> None:
    before = aws.table_items()

    status, body = call(
        aws,
        "POST",
        "/user/reward",
        body={"account": "u", "platform": "discord", "pid": P, "id": "x", "xp": xp},
    )

    assert status == 400 and "xp" in body["error"]
    assert aws.table_items() == before


def test_unknown_campaign_is_404(aws: Aws, live_campaign: dict[str, Any]) -> None:
    status, body = call(
        aws,
        "POST",
        "/user/reward",
        body={"account": "u", "platform": "discord", "pid": "nope", "id": "x", "xp": 5},
    )

    assert status == 404 and body == {
        "success": False,
        "error": "there is no published campaign nope",
        "code": "not_found",
    }


def test_wallet_routes_are_the_same_user_as_web3_accounts(aws: Aws, live_campaign: dict[str, Any]) -> None:
    address = "0x1234567890abcdef1234567890abcdef12345678"
    assert aws.call(WALLETS, "claimr_wallets_reward") == (200, {"success": True})
    call(
        aws,
        "POST",
        "/user/reward",
        body={
            "account": address.upper().replace("0X", "0x"),
            "platform": "web3",
            "pid": P,
            "id": "r2",
            "xp": 5,
        },
    )

    assert balance(aws, address, "web3")["xp"] == 105
    assert aws.call(WALLETS, "claimr_wallets_withdraw") == (200, {"success": True})
    assert balance(aws, address, "web3")["xp"] == 5


# --- tasks -----------------------------------------------------------------------------------------------


def test_action_values_deps_multiplier_and_quest_bonus(aws: Aws, live_campaign: dict[str, Any]) -> None:
    locked = aws.call(TASKS, "claimr_tasks_action_value")
    login = call(
        aws,
        "POST",
        "/action/value",
        body={
            "account": "user123",
            "platform": "steam",
            "pid": P,
            "cid": P,
            "aid": "daily_login",
            "value": 1,
        },
    )
    score = aws.call(TASKS, "claimr_tasks_action_value")
    again = aws.call(TASKS, "claimr_tasks_action_value")

    assert locked[0] == 422 and "locked" in locked[1]["error"]
    assert login[0] == score[0] == again[0] == 200
    # 50 (daily_login) + 32 (30 with xp_mul 5 %) + 25 (the quest's bonus, once)
    assert balance(aws, "user123", "steam") == {"xp": 107, "ref_xp": 0, "ugc_xp": 0}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"cid": "ghost", "aid": "daily_login"}, 404, "ghost"),
        ({"cid": P, "aid": "ghost"}, 404, "ghost"),
        ({"cid": "quest_xyz789", "aid": "three_levels"}, 404, "three_levels"),
        ({"cid": P, "aid": "three_levels"}, 400, "events_count"),
    ],
)
def test_action_value_refusals(
    aws: Aws, live_campaign: dict[str, Any], body: dict[str, str], status: int, field: str
) -> None:
    got, answer = call(
        aws, "POST", "/action/value", body={"account": "u", "platform": "steam", "pid": P, "value": 1, **body}
    )
    assert got == status and field in answer["error"]


def test_stream_values_accumulate(aws: Aws, live_campaign: dict[str, Any]) -> None:
    for _ in range(4):
        assert aws.call(TASKS, "claimr_tasks_stream_value")[0] == 200  # 4 x 250 reaches 1000

    assert balance(aws, "user123", "steam")["xp"] == 40
    assert (
        call(
            aws,
            "POST",
            "/stream/value",
            body={"account": "u", "platform": "steam", "pid": P, "stream": "other", "value": 1},
        )[0]
        == 404
    )


def test_events_complete_event_tasks_through_the_stream(aws: Aws, live_campaign: dict[str, Any]) -> None:
    for n in range(3):
        body = {
            "account": "user123",
            "platform": "steam",
            "pid": P,
            "name": "level_completed",
            "id": f"evt-{n}",
            "category": "gameplay",
            "data": {"level": n},
        }
        assert call(aws, "POST", "/event", body=body) == (200, {"success": True})
    assert aws.call(TASKS, "claimr_tasks_event")[0] == 200
    assert aws.call(TASKS, "claimr_tasks_event")[0] == 200  # the same id: no second event

    aws.pump_stream()
    aws.pump_stream()  # nothing new: nothing changes

    assert balance(aws, "user123", "steam")["xp"] == 100
    events = aws.call(TASKS, "claimr_tasks_events")[1]
    assert len(events["events"]) == 4 and events["events"][-1]["id"] == "evt_xyz789"
    progress = call(aws, "GET", "/user/progress", query=q("user123", "steam"))[1]["data"]
    three_levels = next(a for a in progress["actions"] if a["id"] == "three_levels")
    assert three_levels["done"] is True and three_levels["completions"] == 1


def test_events_from_other_surfaces_move_tasks_too(aws: Aws, live_campaign: dict[str, Any]) -> None:
    headers = {"authorization": f"Bearer {aws.values['PUBLIC_KEY']}"}
    purchases = [{"external_id": "shopper", "name": "purchase", "data": {"amount": 200}} for _ in range(3)]
    aws.call("ClientFunction", api_event("POST", "/api/client/events", body=purchases, headers=headers))
    aws.call(
        "ClientFunction",
        api_event(
            "POST", "/api/client/alias", body={"anonymous_id": "a", "external_id": "shopper"}, headers=headers
        ),
    )

    aws.pump_stream()

    # a Parcelvoy user is a claimr (account, platform) user only once linked: look it up in the graph
    shopper = resolve(aws.values["ENTITY_ID"], [identifiers.external_id("shopper")], create=False).identity_id
    assert balance_of(aws.values["ENTITY_ID"], P, shopper)["xp"] == 80  # big_spender: 600 >= 500, weekly


# --- referrals -------------------------------------------------------------------------------------------


def test_referrals_become_valid_and_credit_the_referrer(aws: Aws, live_campaign: dict[str, Any]) -> None:
    ref = aws.call(USERS, "claimr_users_get_ref_id")[1]["data"]["ref_id"]
    assert aws.call(USERS, "claimr_users_get_ref_id")[1]["data"]["ref_id"] == ref
    assert aws.call(USERS, "claimr_users_set_ref_id", REF_ID=ref) == (200, {"success": True})
    assert aws.call(USERS, "claimr_users_referrer") == (200, {"success": True})

    for referee in ("user456", "user789"):
        call(
            aws,
            "POST",
            "/action/value",
            body={
                "account": referee,
                "platform": "discord",
                "pid": P,
                "cid": P,
                "aid": "daily_login",
                "value": 1,
            },
        )
    aws.pump_stream()

    referrals = aws.call(USERS, "claimr_users_referrals")[1]["data"]["referrals"]
    assert sorted((r["account"], r["ref_xp"], r["xp"], r["valid"]) for r in referrals) == [
        ("user456", 10, 50, True),
        ("user789", 10, 50, True),
    ]
    # two valid referrals complete the referrer's bring_friends (200) and its 20 ref_xp
    assert balance(aws, "user123") == {"xp": 200, "ref_xp": 20, "ugc_xp": 0}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {
                "account": "user123",
                "platform": "discord",
                "ref_account": "user123",
                "ref_platform": "discord",
            },
            "self_referral",
        ),
        (
            {
                "account": "user123",
                "platform": "discord",
                "ref_account": "user456",
                "ref_platform": "discord",
            },
            "referral_cycle",
        ),
        (
            {
                "account": "user456",
                "platform": "discord",
                "ref_account": "user123",
                "ref_platform": "discord",
            },
            "referrer_already_set",
        ),
    ],
)
def test_referral_abuse_is_refused_and_writes_nothing(
    aws: Aws, live_campaign: dict[str, Any], body: dict[str, str], code: str
) -> None:
    aws.call(
        USERS,
        "claimr_users_set_ref_id",
        REF_ID=aws.call(USERS, "claimr_users_get_ref_id")[1]["data"]["ref_id"],
    )
    before = aws.table_items()

    status, answer = call(aws, "POST", "/user/referrer", body={**body, "pid": P})

    assert status == 422 and answer["code"] == code
    assert aws.table_items() == before


# --- widget tokens ---------------------------------------------------------------------------------------


def test_widget_tokens_read_only_their_own_user(aws: Aws, live_campaign: dict[str, Any]) -> None:
    token = aws.call(USERS, "claimr_users_token")[1]["data"]["token"]
    again = aws.call(USERS, "claimr_users_token")[1]["data"]["token"]
    aws.call(USERS, "claimr_users_reward")

    own = call(aws, "GET", "/user/balance", key=token, query=f"pid={P}")
    named = call(aws, "GET", "/user/balance", key=token, query=q("user123"))
    someone_else = call(aws, "GET", "/user/balance", key=token, query=q("user999"))
    write = call(
        aws,
        "POST",
        "/user/reward",
        key=token,
        body={"account": "user123", "platform": "discord", "pid": P, "id": "x", "xp": 5},
    )

    assert token == again and token.startswith("wt_")
    assert own[1]["data"]["xp"] == named[1]["data"]["xp"] == 100
    assert someone_else[0] == 403 and write[0] == 401


# --- statistics and merges ----------------------------------------------------------------------------


def test_points_and_stats_follow_balances_through_the_stream(aws: Aws, live_campaign: dict[str, Any]) -> None:
    for n, xp in enumerate([600, 700]):
        call(
            aws,
            "POST",
            "/user/reward",
            body={"account": f"p{n}", "platform": "discord", "pid": P, "id": f"r{n}", "xp": xp},
        )
    aws.pump_stream()
    aws.pump_stream()

    points = aws.call(CAMPAIGNS, "claimr_campaigns_points")[1]["data"]
    stats = aws.call(CAMPAIGNS, "claimr_campaigns_stats")[1]["data"]

    assert (points["total_points"], points["season_index"], points["season_points"]) == (1300, 1, 300)
    assert points["season"] == {"name": "Season 2: Masters", "max_xp": 5000}
    assert (stats["total_points"], stats["total_users"], stats["active_users"]) == (1300, 2, 2)


def test_a_merge_folds_balances_and_progress_into_the_survivor_once(
    aws: Aws, live_campaign: dict[str, Any]
) -> None:
    wallet = "0x00000000000000000000000000000000000000aa"
    call(
        aws,
        "POST",
        "/user/reward",
        body={"account": "gamer", "platform": "discord", "pid": P, "id": "a", "xp": 30},
    )
    call(
        aws,
        "POST",
        "/user/reward",
        body={"account": wallet, "platform": "web3", "pid": P, "id": "b", "xp": 12},
    )
    link_wallet(aws, "gamer", wallet)

    aws.pump_stream()
    aws.pump_stream()

    assert balance(aws, "gamer")["xp"] == balance(aws, wallet, "web3")["xp"] == 42
    stats = aws.call(CAMPAIGNS, "claimr_campaigns_stats")[1]["data"]
    assert stats["total_points"] == 42


def test_the_balance_carries_the_users_leaderboard_rank(aws: Aws, live_campaign: dict[str, Any]) -> None:
    """The public claimr client's types read a `rank` in the balance answer."""
    for account, xp in (("first", 30), ("second", 20)):
        reward = {"account": account, "platform": "discord", "pid": P, "id": f"r-{account}", "xp": xp}
        assert call(aws, "POST", "/user/reward", body=reward)[0] == 200
    before_the_stream = call(aws, "GET", "/user/balance", query=q("second"))[1]["data"]
    aws.pump_stream()

    second = call(aws, "GET", "/user/balance", query=q("second"))[1]["data"]

    assert before_the_stream["rank"] is None  # the board follows balances through the stream
    assert second == {"xp": 20, "ref_xp": 0, "ugc_xp": 0, "rank": 2, "level": None}  # no levels
