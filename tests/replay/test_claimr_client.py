"""A public claimr client: full URLs under claimr's real base, `https://prod.claimr.io/api/v1/<route>`, with
`Authorization: Bearer <organisation token>` and `accept: application/json`; the wallet lower-cased as the
account of `platform=web3`; its types read `rank` in the balance answer."""

from __future__ import annotations

from typing import Any

from questline.storage import keys
from tests.replay.conftest import Replay
from tests.support import eventually

WALLET = "0x9f8E3bC2a1D4e5F60718293a4b5C6d7E8f901234"
PID = "claimr_season"
CAMPAIGN: dict[str, Any] = {
    "name": "claimr season",
    "actions": [
        {"id": "daily_login", "name": "Daily Login", "type": "api_call", "recurrence": "daily", "xp": 50}
    ],
}


def headers(replay: Replay) -> dict[str, str]:
    return {"Authorization": f"Bearer {replay.tenant['secret_key']}", "accept": "application/json"}


def test_the_client_keeps_its_api_v1_paths(replay: Replay) -> None:
    replay.publish_campaign(PID, CAMPAIGN)
    account = WALLET.lower()
    json_headers = {**headers(replay), "content-type": "application/json"}
    reward = (
        b'{"address":"' + WALLET.encode() + b'","pid":"' + PID.encode() + b'","id":"welcome-bonus","xp":70}'
    )
    login = (
        b'{"account":"' + account.encode() + b'","platform":"web3","pid":"' + PID.encode() + b'",'
        b'"cid":"' + PID.encode() + b'","aid":"daily_login","value":1}'
    )

    rewarded = replay.send("POST", "/api/v1/wallet/reward", json_headers, reward)
    logged_in = replay.send("POST", "/api/v1/action/value", json_headers, login)

    assert rewarded.status_code == 200 and rewarded.json() == {"success": True}
    assert logged_in.status_code == 200, logged_in.text
    assert logged_in.json()["success"] is True  # and what the report did (the client reads only success)
    assert logged_in.json()["data"]["completed"] == ["daily_login"]
    identity_id = replay.owner_of("wallet", account)
    assert identity_id is not None
    balance = replay.item(keys.balance(replay.entity_id, PID, identity_id))
    assert balance is not None and balance["xp"] == 120
    assert replay.item(keys.ledger_entry(replay.entity_id, PID, "welcome-bonus")) is not None

    query = f"?account={account}&platform=web3&pid={PID}"

    def ranked() -> dict[str, Any] | None:
        reply = replay.send("GET", f"/api/v1/user/balance{query}", headers(replay))
        assert reply.status_code == 200, reply.text
        data = reply.json()["data"]
        return data if data["rank"] is not None else None  # the board follows balances through the stream

    assert eventually(ranked) == {"xp": 120, "ref_xp": 0, "ugc_xp": 0, "rank": 1, "level": None}
    board = replay.send("GET", f"/api/v1/leaderboard{query}", headers(replay))
    assert board.status_code == 200 and board.json()["data"]["rank"] == 1
    # the same answers at the seed's paths
    assert replay.send("GET", f"/user/balance{query}", headers(replay)).json()["data"]["xp"] == 120
