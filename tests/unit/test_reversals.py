"""Reversals: `POST /user/reward/reverse` and `POST /wallet/reward/reverse` take back an earlier reward (or
a completion's XP, with the referrer's share) by its id, once, never below zero."""

from __future__ import annotations

from typing import Any

import pytest

from questline.campaigns import ledger
from questline.storage import get_table, keys
from tests.unit.conftest import Aws
from tests.unit.test_claimr import ADMIN, USERS, WALLETS, P, balance, call, q

WALLET = "0x1234567890abcdef1234567890abcdef12345678"


@pytest.fixture
def live_campaign(aws: Aws, entity: dict[str, str]) -> None:
    """The campaign of DESIGN.md §4 (daily_login: 50 XP, 10 to the referrer), published."""
    assert aws.call(ADMIN, "campaign_admin_put")[0] == 200
    assert aws.call(ADMIN, "campaign_admin_publish")[0] == 200


def reward(aws: Aws, account: str, entry_id: str, xp: int) -> None:
    body = {"account": account, "platform": "discord", "pid": P, "id": entry_id, "xp": xp}
    assert call(aws, "POST", "/user/reward", body=body) == (200, {"success": True})


def withdraw(aws: Aws, account: str, entry_id: str, xp: int) -> None:
    body = {"account": account, "platform": "discord", "pid": P, "id": entry_id, "xp": xp, "strict": True}
    assert call(aws, "POST", "/user/withdraw", body=body) == (200, {"success": True})


def reverse(aws: Aws, account: str, entry_id: str, reason: Any = "refund", **extra: Any) -> tuple[int, Any]:
    body = {"account": account, "platform": "discord", "pid": P, "id": entry_id, "reason": reason, **extra}
    return call(aws, "POST", "/user/reward/reverse", body=body)


def ledger_of(aws: Aws, account: str) -> list[dict[str, Any]]:
    status, body = call(aws, "GET", "/user/activity", query=q(account))
    assert status == 200, body
    return list(body["data"]["rewards"])


def test_a_reversal_takes_the_reward_back_with_a_ledger_entry(aws: Aws, live_campaign: None) -> None:
    assert aws.call(USERS, "claimr_users_reward")[0] == 200  # reward-0001: 100 XP
    status, answer = aws.call(USERS, "claimr_users_reward_reverse")
    assert (status, answer["data"]["reversed_xp"]) == (200, 100), answer
    reward(aws, "user123", "order-1", 100)
    reward(aws, "user123", "order-2", 30)

    status, answer = reverse(aws, "user123", "order-1", reason="order refunded")
    assert (status, answer) == (
        200,
        {
            "success": True,
            "data": {
                "id": "order-1",
                "reversed_xp": 100,
                "unrecovered_xp": 0,
                "referrer_reversed_xp": 0,
                "already_reversed": False,
            },
        },
    )
    assert balance(aws, "user123") == {"xp": 30, "ref_xp": 0, "ugc_xp": 0}
    reversal = [e for e in ledger_of(aws, "user123") if e["kind"] == "reversal"]
    assert [(e["xp"], e["bucket"]) for e in reversal if e["id"] == "reversal:order-1"] == [(-100, "xp")]
    stored = get_table().get(keys.ledger_reversal(aws.values["ENTITY_ID"], P, "order-1"))
    assert stored is not None
    assert stored["reverses"] == "order-1" and stored["reason"] == "order refunded"
    assert stored["reversed_xp"] == 100 and stored["unrecovered_xp"] == 0


def test_a_reversal_is_idempotent(aws: Aws, live_campaign: None) -> None:
    reward(aws, "user123", "order-1", 100)
    first = reverse(aws, "user123", "order-1")
    again = reverse(aws, "user123", "order-1", reason="another reason")

    assert first[0] == again[0] == 200
    assert again[1]["data"] == {**first[1]["data"], "already_reversed": True}
    assert balance(aws, "user123")["xp"] == 0
    assert len([e for e in ledger_of(aws, "user123") if e["kind"] == "reversal"]) == 1


def test_spent_points_are_reversed_down_to_zero_and_the_rest_is_reported(
    aws: Aws, live_campaign: None
) -> None:
    reward(aws, "user123", "order-1", 100)
    withdraw(aws, "user123", "spend-1", 70)

    status, answer = reverse(aws, "user123", "order-1")

    assert status == 200
    assert answer["data"] == {
        "id": "order-1",
        "reversed_xp": 30,
        "unrecovered_xp": 70,
        "referrer_reversed_xp": 0,
        "already_reversed": False,
    }
    assert balance(aws, "user123")["xp"] == 0


def test_a_withdrawal_racing_a_reversal_never_takes_the_balance_below_zero(
    aws: Aws, live_campaign: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    reward(aws, "user123", "order-1", 100)
    read = ledger.balance_item
    raced: list[bool] = []

    def read_then_withdraw(*args: Any, **kwargs: Any) -> dict[str, Any]:
        item = read(*args, **kwargs)
        if not raced:  # between the reversal's read and its write, the user spends 80
            raced.append(True)
            withdraw(aws, "user123", "spend-1", 80)
        return item

    monkeypatch.setattr(ledger, "balance_item", read_then_withdraw)
    status, answer = reverse(aws, "user123", "order-1")

    assert status == 200 and raced
    assert answer["data"]["reversed_xp"] == 20 and answer["data"]["unrecovered_xp"] == 80
    assert balance(aws, "user123")["xp"] == 0
    kinds = sorted(e["kind"] for e in ledger_of(aws, "user123"))
    assert kinds == ["reversal", "reward", "withdraw"]


def test_a_completion_reversal_takes_back_the_referrers_share(aws: Aws, live_campaign: None) -> None:
    reward(aws, "user123", "seen", 1)  # the referrer exists
    assert aws.call(USERS, "claimr_users_referrer") == (200, {"success": True})  # user123 refers user789
    body = {"account": "user789", "platform": "discord", "pid": P, "cid": P, "aid": "daily_login", "value": 1}
    assert call(aws, "POST", "/action/value", body=body)[0] == 200
    aws.pump_stream()
    assert balance(aws, "user123")["ref_xp"] == 10
    completion = next(e for e in ledger_of(aws, "user789") if e["kind"] == "completion")

    status, answer = reverse(aws, "user789", completion["id"], reason="bot")

    assert status == 200, answer
    assert answer["data"]["reversed_xp"] == 50 and answer["data"]["referrer_reversed_xp"] == 10
    assert balance(aws, "user789")["xp"] == 0
    assert balance(aws, "user123")["ref_xp"] == 0
    referrals = call(aws, "GET", "/user/referrals", query=q("user123"))[1]["data"]["referrals"]
    assert [(r["account"], r["ref_xp"]) for r in referrals] == [("user789", 0)]
    assert [e["xp"] for e in ledger_of(aws, "user123") if e["kind"] == "reversal"] == [-10]


def test_a_reward_reversal_leaves_the_referrer_alone(aws: Aws, live_campaign: None) -> None:
    reward(aws, "user123", "seen", 1)  # the referrer exists
    assert aws.call(USERS, "claimr_users_referrer") == (200, {"success": True})
    reward(aws, "user789", "order-1", 100)  # a reward pays the referrer no share
    status, answer = reverse(aws, "user789", "order-1")
    assert status == 200 and answer["data"]["referrer_reversed_xp"] == 0
    assert balance(aws, "user123")["ref_xp"] == 0


def test_unknown_ids_and_reversals_of_reversals_are_refused(aws: Aws, live_campaign: None) -> None:
    reward(aws, "user123", "order-1", 100)
    withdraw(aws, "user123", "spend-1", 10)
    assert reverse(aws, "user123", "order-1")[0] == 200

    unknown = reverse(aws, "user123", "no-such-reward")
    someone_elses = reverse(aws, "user456", "order-1")
    twice_removed = reverse(aws, "user123", "reversal:order-1")
    a_withdrawal = reverse(aws, "user123", "spend-1")

    assert unknown[0] == 404 and unknown[1]["success"] is False
    assert someone_elses[0] == 404
    assert twice_removed[0] == 422 and twice_removed[1]["code"] == "not_reversible"
    assert a_withdrawal[0] == 422 and a_withdrawal[1]["code"] == "not_reversible"
    assert balance(aws, "user123")["xp"] == 0


@pytest.mark.parametrize(
    "change",
    [
        {"reason": ""},
        {"reason": 5},
        {"id": ""},
        {"reason": "x" * 501},
        {"pid": "no such pid!"},
        {"account": None},
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    aws: Aws, live_campaign: None, change: dict[str, Any]
) -> None:
    reward(aws, "user123", "order-1", 100)
    body = {"account": "user123", "platform": "discord", "pid": P, "id": "order-1", "reason": "r", **change}
    status, answer = call(aws, "POST", "/user/reward/reverse", body=body)
    assert 400 <= status < 500 and answer["success"] is False
    assert balance(aws, "user123")["xp"] == 100
    assert get_table().get(keys.ledger_reversal(aws.values["ENTITY_ID"], P, "order-1")) is None


def test_a_publishable_key_is_refused(aws: Aws, live_campaign: None) -> None:
    reward(aws, "user123", "order-1", 100)
    body = {"account": "user123", "platform": "discord", "pid": P, "id": "order-1", "reason": "r"}
    status, _ = call(aws, "POST", "/user/reward/reverse", body=body, key=aws.values["PUBLIC_KEY"])
    wallet = {"address": WALLET, "pid": P, "id": "order-1", "reason": "r"}
    wallet_status, _ = call(aws, "POST", "/wallet/reward/reverse", body=wallet, key=aws.values["PUBLIC_KEY"])
    assert status in (401, 403) and wallet_status in (401, 403)
    assert balance(aws, "user123")["xp"] == 100


def test_a_wallet_reward_is_reversed(aws: Aws, live_campaign: None) -> None:
    assert aws.call(WALLETS, "claimr_wallets_reward")[0] == 200
    status, answer = aws.call(WALLETS, "claimr_wallets_reward_reverse")
    assert (status, answer["data"]["reversed_xp"]) == (200, 100), answer
    again = call(
        aws,
        "POST",
        "/wallet/reward/reverse",
        body={"address": WALLET, "pid": P, "id": "reward_task_001", "reason": "r"},
    )
    assert again[0] == 200 and again[1]["data"]["already_reversed"] is True
    assert balance(aws, WALLET, "web3")["xp"] == 0


def test_a_preview_reversal_touches_only_the_preview(aws: Aws, live_campaign: None) -> None:
    reward(aws, "user123", "order-1", 100)
    body = {"account": "user123", "platform": "discord", "pid": P, "id": "order-1", "xp": 40, "env": "dev"}
    assert call(aws, "POST", "/user/reward", body=body) == (200, {"success": True})

    status, answer = reverse(aws, "user123", "order-1", env="dev")

    assert status == 200 and answer["data"]["reversed_xp"] == 40
    assert balance(aws, "user123")["xp"] == 100  # live: untouched
    preview = call(aws, "GET", "/user/balance", query=q("user123", env="dev"))[1]["data"]
    assert preview["xp"] == 0


def test_the_leaderboard_follows_a_reversal(aws: Aws, live_campaign: None) -> None:
    reward(aws, "user123", "order-1", 100)
    reward(aws, "user456", "order-2", 60)
    aws.pump_stream()
    before = call(aws, "GET", "/leaderboard", query=f"pid={P}")[1]["data"]["leaderboard"]

    assert reverse(aws, "user123", "order-1")[0] == 200
    aws.pump_stream()
    after = call(aws, "GET", "/leaderboard", query=f"pid={P}")[1]["data"]["leaderboard"]
    rank = call(aws, "GET", "/user/balance", query=q("user456"))[1]["data"]["rank"]

    assert [(e["user"]["name"], e["score"]) for e in before] == [("user123", 100), ("user456", 60)]
    assert [(e["user"]["name"], e["score"]) for e in after] == [("user456", 60)]
    assert rank == 1
