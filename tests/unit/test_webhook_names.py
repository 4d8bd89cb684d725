"""Webhook payloads name the person as the integrator knows them (issue 12 item 8): beside the identity id,
the claimr `account` + `platform` (the account the request came through, else the person's), the wallet
`address` when the person has one, and the integrator's user id (`user_id`) when known. The names are
stored on the activity item when it is written, so the fan-out reads nothing more and a replayed stream
record queues the very same payload."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from questline.storage import get_table, keys
from tests.support import Receiver, api_event
from tests.unit.conftest import Aws
from tests.unit.test_claimr import USERS, P, call, link_wallet, live_campaign
from tests.unit.test_webhooks import Queue, delivery_records, queued, register_hook

__all__ = ["live_campaign"]  # the fixture, shared with the claimr tests

NAMES = ("user_id", "account", "platform", "address")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def hooks(aws: Aws, live_campaign: dict[str, Any], receiver: Receiver) -> Receiver:
    for scope in ("user_reward", "user_activity"):
        register_hook(aws.values["ENTITY_ID"], receiver.url, scope=scope, hook_id=scope)
    return receiver


def delivered(aws: Aws, receiver: Receiver) -> list[dict[str, Any]]:
    """Pump the stream, deliver every queued message, answer the payloads the receiver got."""
    aws.pump_stream()
    queue = Queue(aws)
    while queue.work()["records"]:
        pass
    return [json.loads(body) for _, body in receiver.requests]


def names(payload: dict[str, Any]) -> dict[str, Any]:
    return {field: payload["data"][field] for field in NAMES if field in payload["data"]}


def one(payloads: list[dict[str, Any]], type_: str, **fields: Any) -> dict[str, Any]:
    (found,) = [
        p for p in payloads if p["type"] == type_ and all(p["data"].get(k) == v for k, v in fields.items())
    ]
    return found


def level_completed(aws: Aws, account: str, platform: str, n: int) -> None:
    body = {"account": account, "platform": platform, "pid": P, "name": "level_completed"}
    assert call(aws, "POST", "/event", body={**body, "category": "gameplay", "id": f"lvl-{n}"})[0] == 200


def test_a_claimr_account_user_is_named_by_account_and_platform(aws: Aws, hooks: Receiver) -> None:
    reward = {"account": "gamer", "platform": "discord", "pid": P, "id": "r1", "xp": 30}
    assert call(aws, "POST", "/user/reward", body=reward)[0] == 200
    for n in range(3):  # three_levels: an events_count task, completed by the stream
        level_completed(aws, "gamer", "Discord", n)

    payloads = delivered(aws, hooks)

    rewarded = one(payloads, "user_reward", kind="reward")
    completed = one(payloads, "user_activity", action_id="three_levels")
    earned = one(payloads, "user_reward", kind="completion")
    for payload in (rewarded, completed, earned):
        assert names(payload) == {"account": "gamer", "platform": "discord"}
        assert payload["data"]["identity_id"] == rewarded["data"]["identity_id"]


def test_a_wallet_user_is_named_by_address(aws: Aws, hooks: Receiver) -> None:
    wallet = "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01"
    body = {"address": wallet, "pid": P, "id": "w1", "xp": 7}
    assert call(aws, "POST", "/wallet/reward", body=body)[0] == 200
    other = "0x00000000000000000000000000000000000000cc"
    body = {"account": "linked", "platform": "discord", "pid": P, "id": "r0", "xp": 1}
    assert call(aws, "POST", "/user/reward", body=body)[0] == 200
    assert (
        call(aws, "POST", "/wallet/reward", body={"address": other, "pid": P, "id": "w0", "xp": 1})[0] == 200
    )
    link_wallet(aws, "linked", other)  # the two are one person (a merge, with the secret key)
    body = {"account": "linked", "platform": "discord", "pid": P, "id": "r2", "xp": 9}
    assert call(aws, "POST", "/user/reward", body=body)[0] == 200

    payloads = delivered(aws, hooks)

    assert names(one(payloads, "user_reward", entry_id="w1")) == {
        "account": wallet.lower(),
        "platform": "web3",
        "address": wallet.lower(),
    }
    assert names(one(payloads, "user_reward", entry_id="r2")) == {
        "account": "linked",
        "platform": "discord",
        "address": other,
    }


def test_a_parcelvoy_or_heymint_user_is_named_by_their_user_id(
    aws: Aws, entity: dict[str, str], hooks: Receiver
) -> None:
    public = {"authorization": f"Bearer {entity['PUBLIC_KEY']}"}
    purchases = [{"external_id": "shopper", "name": "purchase", "data": {"amount": 200}} for _ in range(3)]
    assert aws.call(
        "ClientFunction", api_event("POST", "/api/client/events", body=purchases, headers=public)
    )[0] in (200, 202, 204)
    secret = {"x-api-key": entity["SECRET_KEY"]}
    heymint = api_event("POST", "/v1/identities", body={"uniqueIdentifier": "E-7"}, headers=secret)
    assert aws.call("HeyMintFunction", heymint)[0] == 200
    body = {"account": "E-7", "platform": "internal", "pid": P, "id": "r3", "xp": 11}
    assert call(aws, "POST", "/user/reward", body=body)[0] == 200

    payloads = delivered(aws, hooks)

    shopper = {"user_id": "shopper", "account": "shopper", "platform": "internal"}
    assert names(one(payloads, "user_activity", action_id="big_spender")) == shopper
    assert names(one(payloads, "user_reward", action_id="big_spender")) == shopper
    assert names(one(payloads, "user_reward", entry_id="r3")) == {
        "user_id": "E-7",
        "account": "E-7",
        "platform": "internal",
    }


def test_referrals_and_logins_name_both_people(
    aws: Aws, live_campaign: dict[str, Any], receiver: Receiver
) -> None:
    for scope in ("referral", "user_login", "user_reward"):
        register_hook(aws.values["ENTITY_ID"], receiver.url, scope=scope, hook_id=scope)
    ref = aws.call(USERS, "claimr_users_get_ref_id")[1]["data"]["ref_id"]  # user123 (discord) refers
    assert aws.call(USERS, "claimr_users_set_ref_id", REF_ID=ref) == (200, {"success": True})  # user456
    assert aws.call(USERS, "claimr_users_token")[0] == 200  # user123's widget token
    body = {"account": "user456", "platform": "discord", "pid": P, "cid": P, "aid": "daily_login", "value": 1}
    assert call(aws, "POST", "/action/value", body=body)[0] == 200

    payloads = delivered(aws, receiver)

    referrer = {"account": "user123", "platform": "discord"}
    referee = {"account": "user456", "platform": "discord"}
    valid = one(payloads, "referral")
    assert names(valid) == referee and valid["data"]["referrer"] == referrer
    shared = one(payloads, "user_reward", kind="referral")  # the referrer's ref_xp
    assert names(shared) == referrer and shared["data"]["referee"] == referee
    assert names(one(payloads, "user_login")) == referrer


def test_a_replayed_stream_record_queues_the_same_payload(aws: Aws, hooks: Receiver) -> None:
    reward = {"account": "gamer", "platform": "discord", "pid": P, "id": "r1", "xp": 30}
    assert call(aws, "POST", "/user/reward", body=reward)[0] == 200
    aws.pump_stream()
    first = {r["message_id"]: r["payload"] for r in delivery_records(aws)}
    assert len(first) == 1
    table = get_table()
    for message_id in first:  # as if the function died after queueing, before recording
        table.delete(keys.webhook_delivery(aws.values["ENTITY_ID"], message_id))

    for batch in list(aws.stream_batches):  # the stream delivers again, later
        aws.invoke("StreamFunction", {"Records": batch})

    copies = queued(aws)
    assert len(copies) == 2
    assert all(copy["payload"] == first[copy["message_id"]] for copy in copies)


def test_a_request_names_the_person_by_the_identifier_it_came_with_first() -> None:
    from questline.identity import identifiers as ids
    from questline.identity.names import names_of

    person = {"known_account": {"platform": "discord", "account": "gamer"}, "known_address": "0xab"}

    assert names_of(person) == {"account": "gamer", "platform": "discord", "address": "0xab"}
    assert names_of(person, ids.account("Telegram", "tg-1")) == {
        "account": "tg-1",
        "platform": "telegram",
        "address": "0xab",
    }
    assert names_of(person, ids.wallet("0xcd")) == {"account": "0xcd", "platform": "web3", "address": "0xcd"}
    assert names_of({"known_user_id": "E"}) == {"user_id": "E", "account": "E", "platform": "internal"}
    assert names_of(None) == {} == names_of({"known_account": None})


def test_a_reversal_is_a_user_reward_webhook_naming_what_it_reversed(aws: Aws, hooks: Receiver) -> None:
    body = {"account": "buyer", "platform": "discord", "pid": P, "id": "order-9", "xp": 100}
    assert call(aws, "POST", "/user/reward", body=body)[0] == 200
    reverse = {"account": "buyer", "platform": "discord", "pid": P, "id": "order-9", "reason": "refund"}
    assert call(aws, "POST", "/user/reward/reverse", body=reverse)[0] == 200

    reversal = one(delivered(aws, hooks), "user_reward", kind="reversal")

    assert {
        k: reversal["data"][k] for k in ("reverses", "reason", "xp", "reversed_xp", "unrecovered_xp")
    } == {
        "reverses": "order-9",
        "reason": "refund",
        "xp": -100,
        "reversed_xp": 100,
        "unrecovered_xp": 0,
    }
    assert names(reversal) == {"account": "buyer", "platform": "discord"}
