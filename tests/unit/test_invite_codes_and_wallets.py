"""Invite codes as claimr documents them (DELETE /code without `used_by` frees the code from every holder;
naming someone who does not hold it is an error), and wallet addresses checked per chain: an EVM address
is `0x` and 40 hex digits in any case (`0X…` is the same wallet as `0x…`), a Solana address is the base58
spelling of 32 bytes; anything else is a 400 naming the field, writing nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.conftest import Aws
from tests.unit.test_claimr import ADMIN, P, admin, call, live_campaign

__all__ = ["live_campaign"]  # a fixture these tests use

WALLETS = [f"0x{n:040x}" for n in (0xA1, 0xB2, 0xC3)]
SOLANA = "4wBqpZM9xaSheZzJSMawUKKwhdpChKbZ5eu5ky4Vigw"
WALLET_ACCOUNT_REWARD = {"account": "x", "platform": "wallet", "pid": P, "id": "r", "xp": 1}


def _code(aws: Aws, code: str, max_uses: int) -> None:
    status, body = admin(aws, "POST", f"/{P}/codes", body={"codes": [code], "max_uses": max_uses})
    assert status == 201, body


def _info(aws: Aws, code: str) -> dict[str, Any]:
    status, body = call(aws, "GET", "/code", query=f"code={code}&pid={P}")
    assert status == 200, body
    return dict(body["data"])


def _assign(aws: Aws, code: str, wallet: str) -> tuple[int, Any]:
    return call(aws, "POST", "/code", body={"code": code, "pid": P, "used_by": wallet})


def test_releasing_without_used_by_frees_every_holder(aws: Aws, live_campaign: dict[str, Any]) -> None:
    _code(aws, "TRIO", 3)
    for wallet in WALLETS:
        assert _assign(aws, "TRIO", wallet)[0] == 200
    assert _info(aws, "TRIO")["uses"] == 3

    released = call(aws, "DELETE", "/code", body={"code": "TRIO", "pid": P})

    assert released == (200, {"success": True, "data": {}})
    assert _info(aws, "TRIO") == {"used_by": [], "uses": 0, "max_uses": 3}
    for wallet in WALLETS:
        assert call(aws, "GET", "/wallet/code", query=f"address={wallet}&pid={P}")[1]["data"] == {"code": ""}
    assert [_assign(aws, "TRIO", w)[0] for w in reversed(WALLETS)] == [200, 200, 200]  # free again


def test_releasing_from_someone_who_does_not_hold_the_code_is_an_error(
    aws: Aws, live_campaign: dict[str, Any]
) -> None:
    _code(aws, "SOLO", 2)
    assert _assign(aws, "SOLO", WALLETS[0])[0] == 200
    before = aws.table_items()

    stranger = call(aws, "DELETE", "/code", body={"code": "SOLO", "pid": P, "used_by": WALLETS[1]})
    unknown = call(aws, "DELETE", "/code", body={"code": "NOPE", "pid": P})

    assert stranger[0] == 404 and stranger[1]["error"].startswith("used_by"), stranger
    assert unknown[0] == 404 and unknown[1]["error"].startswith("code"), unknown
    assert aws.table_items() == before
    assert call(aws, "DELETE", "/code", body={"code": "SOLO", "pid": P, "used_by": WALLETS[0]})[0] == 200
    assert _info(aws, "SOLO")["used_by"] == []


@pytest.mark.parametrize(
    ("method", "route", "body", "query", "field"),
    [
        ("POST", "/wallet/reward", {"address": "0x123...", "pid": P, "id": "r", "xp": 5}, "", "address"),
        ("POST", "/wallet/withdraw", {"address": "0x12", "pid": P, "id": "w", "xp": 5}, "", "address"),
        ("GET", "/wallet/code", None, f"address=not-a-wallet&pid={P}", "address"),
        (
            "GET",
            "/wallet/referrals",
            None,
            f"address=0xZZ00000000000000000000000000000000000000&pid={P}",
            "address",
        ),
        ("GET", "/wallet/ref_id", None, f"address=0x{'1' * 41}&pid={P}", "address"),
        ("POST", "/code", {"code": "SOLO", "pid": P, "used_by": "not-a-wallet"}, "", "used_by"),
        ("DELETE", "/code", {"code": "SOLO", "pid": P, "used_by": "0x0"}, "", "used_by"),
        ("GET", "/user/balance", None, f"account=0x123&platform=web3&pid={P}", "account"),
        (
            "POST",
            "/user/reward",
            {"account": "x", "platform": "wallet", "pid": P, "id": "r", "xp": 1},
            "",
            "account",
        ),
        ("POST", "/wallet/reward", {"address": SOLANA + "0", "pid": P, "id": "r", "xp": 5}, "", "address"),
    ],
)
def test_wallets_are_checked_per_chain(
    aws: Aws,
    live_campaign: dict[str, Any],
    method: str,
    route: str,
    body: dict[str, Any] | None,
    query: str,
    field: str,
) -> None:
    _code(aws, "SOLO", 2)
    before = aws.table_items()

    status, answer = call(aws, method, route, body=body, query=query)

    assert status == 400 and answer["error"].startswith(field), answer
    assert aws.table_items() == before


def test_an_upper_case_0x_is_the_same_wallet(aws: Aws, live_campaign: dict[str, Any]) -> None:
    checksummed = "0X" + "AbCdEf0123456789" * 2 + "AbCdEf01"
    lower = "0x" + checksummed[2:].lower()
    _code(aws, "CASE", 1)

    rewarded = call(
        aws, "POST", "/wallet/reward", body={"address": checksummed, "pid": P, "id": "r", "xp": 9}
    )
    assigned = _assign(aws, "CASE", checksummed)
    held = call(aws, "GET", "/wallet/code", query=f"address={lower}&pid={P}")
    balance = call(aws, "GET", "/user/balance", query=f"account={lower}&platform=web3&pid={P}")
    released = call(aws, "DELETE", "/code", body={"code": "CASE", "pid": P, "used_by": lower})

    assert rewarded[0] == 200 and assigned[0] == 200
    assert held[1]["data"] == {"code": "CASE"}
    assert balance[1]["data"]["xp"] == 9
    assert released[0] == 200 and _info(aws, "CASE")["used_by"] == []


def test_a_solana_address_is_a_wallet(aws: Aws, live_campaign: dict[str, Any]) -> None:
    rewarded = call(aws, "POST", "/wallet/reward", body={"address": SOLANA, "pid": P, "id": "s", "xp": 4})
    as_account = call(aws, "GET", "/user/balance", query=f"account={SOLANA}&platform=web3&pid={P}")

    assert rewarded[0] == 200 and as_account[1]["data"]["xp"] == 4


def test_a_code_holds_at_most_a_thousand_uses(aws: Aws, live_campaign: dict[str, Any]) -> None:
    before = aws.table_items()

    status, body = admin(aws, "POST", f"/{P}/codes", body={"codes": ["BIG"], "max_uses": 1001})

    assert status == 400 and body["error"].startswith("max_uses"), body
    assert aws.table_items() == before
    assert ADMIN == "CampaignAdminFunction"
