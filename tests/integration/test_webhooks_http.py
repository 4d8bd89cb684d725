"""Webhooks end to end through the local stack over real HTTP: hooks registered with `POST /hook`, activity
made by claimr's own routes, the stream's fan-out, the queue, the delivery function and a receiver on
loopback that verifies every request with the `standardwebhooks` library; retries, the dead-letter queue,
redelivery, and another tenant's key kept out."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from standardwebhooks import Webhook

from local.stack import DEMO_CAMPAIGN, LocalStack
from tests.integration.conftest import Api, new_tenant
from tests.support import Receiver, eventually

PID = "campaign_abc123"
WHSEC = "whsec_" + base64.b64encode(b"an integration test key of 32 b.").decode()


class Tenant:
    """A tenant of its own, with the demo campaign published, so no other test's hooks or activity mix
    with these."""

    def __init__(self, stack: LocalStack, api: Api) -> None:
        self.stack, self.api = stack, api
        made = new_tenant(stack, "Webhook tenant")
        self.entity_id, self.key = made["entity_id"], made["secret_key"]
        user = {"userid": made["user_id"], "token": made["user_token"]}
        campaign = json.loads(json.loads(DEMO_CAMPAIGN.read_text(encoding="utf-8"))["body"])
        path = f"/api/entities/{self.entity_id}/campaigns/{PID}"
        assert api.request("PUT", path, json=campaign, headers=user).status_code == 200
        assert api.post(f"{path}/publish", json={}, headers=user).status_code == 200

    def call(self, method: str, path: str, key: str | None = None, **kwargs: Any) -> requests.Response:
        return self.api.request(method, path, headers=self.api.bearer(key or self.key), **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, (response.status_code, response.text)
        body = response.json()
        assert body["success"] is True, body
        return body

    def hook(self, scope: str, hook_id: str, uri: str, secret: str, pids: list[str] | None = None) -> None:
        body = {"scope": scope, "uri": uri, "secret": secret, "hook_id": hook_id, "pids": pids or []}
        assert self.ok("POST", "/hook", json=body) == {"success": True}

    def reward(self, account: str, xp: int = 10) -> None:
        body = {"account": account, "platform": "discord", "pid": PID, "id": uuid.uuid4().hex, "xp": xp}
        self.ok("POST", "/user/reward", json=body)

    def deliveries(self, scope: str, hook_id: str, **params: Any) -> list[dict[str, Any]]:
        query = {"scope": scope, "hook_id": hook_id, **params}
        return list(self.ok("GET", "/hook/deliveries", params=query)["data"]["deliveries"])

    def statuses(self, scope: str, hook_id: str) -> list[str]:
        return [d["status"] for d in self.deliveries(scope, hook_id)]


@pytest.fixture(scope="module")
def tenant(stack: LocalStack, api: Api) -> Tenant:
    return Tenant(stack, api)


@pytest.fixture
def hooks_removed(tenant: Tenant) -> Iterator[None]:
    yield
    for hook in tenant.ok("GET", "/hook")["data"]["hooks"]:
        tenant.ok("DELETE", "/hook", json={"scope": hook["scope"], "hook_id": hook["hook_id"]})


def verified(receiver: Receiver, keys_by_type: dict[str, str]) -> list[dict[str, Any]]:
    """Every request the receiver got, verified by `standardwebhooks` with the key of its payload's type."""
    payloads = []
    for headers, body in receiver.requests:
        scope = json.loads(body)["type"]
        payloads.append({**Webhook(keys_by_type[scope]).verify(body, headers), "id": headers["webhook-id"]})
    return payloads


def settled(stack: LocalStack) -> bool:
    """Nothing left in the webhook queue, visible or in flight."""
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.state["queues"]["WebhookQueue"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values()) == 0


def key_of(secret: str) -> str:
    """The key `standardwebhooks` takes: a plain secret signs with its own bytes (DESIGN.md §4)."""
    return secret if secret.startswith("whsec_") else "whsec_" + base64.b64encode(secret.encode()).decode()


def max_attempts(stack: LocalStack) -> int:
    assert stack.template is not None
    spec = stack.template.functions()["WebhookDeliveryFunction"]
    return int(stack.template.environment_of(spec)["WEBHOOK_MAX_ATTEMPTS"])


def test_rewards_and_completions_reach_their_hooks_signed(
    stack: LocalStack, tenant: Tenant, receiver: Receiver, hooks_removed: None
) -> None:
    tenant.hook("user_reward", "rewards", receiver.url, "my-secret-key")
    tenant.hook("user_activity", "tasks", receiver.url, WHSEC, pids=[PID])
    tenant.hook("user_activity", "elsewhere", receiver.url, WHSEC, pids=["another_campaign"])
    account = f"player-{uuid.uuid4().hex[:8]}"

    tenant.reward(account, xp=25)
    tenant.ok(
        "POST",
        "/action/value",
        json={
            "account": account,
            "platform": "discord",
            "pid": PID,
            "cid": PID,
            "aid": "daily_login",
            "value": 1,
        },
    )

    # the reward, the completion and the completion's ledger entry
    eventually(lambda: len(receiver.requests) >= 3, timeout=60)
    eventually(lambda: settled(stack), timeout=60)
    payloads = verified(receiver, {"user_reward": key_of("my-secret-key"), "user_activity": key_of(WHSEC)})
    assert sorted(p["type"] for p in payloads) == ["user_activity", "user_reward", "user_reward"]
    assert len({p["id"] for p in payloads}) == 3
    activity = next(p for p in payloads if p["type"] == "user_activity")
    assert activity["data"]["action_id"] == "daily_login" and activity["data"]["pid"] == PID
    rewards = sorted(p["data"]["xp"] for p in payloads if p["type"] == "user_reward")
    assert rewards == [25, 50]
    # each names the user as the integrator does, beside the identity id (no wallet, no user id known)
    assert {(p["data"]["account"], p["data"]["platform"]) for p in payloads} == {(account, "discord")}
    assert len({p["data"]["identity_id"] for p in payloads}) == 1
    assert not any("address" in p["data"] or "user_id" in p["data"] for p in payloads)
    listed = tenant.deliveries("user_reward", "rewards")
    assert [d["status"] for d in listed] == ["delivered", "delivered"]
    assert [len(d["attempts"]) for d in listed] == [1, 1] and listed[0]["attempts"][0]["status_code"] == 200
    assert tenant.deliveries("user_activity", "elsewhere") == []


def test_a_leaderboard_hook_hears_a_rise_into_its_top_signed(
    stack: LocalStack, tenant: Tenant, receiver: Receiver, hooks_removed: None
) -> None:
    body = {"scope": "leaderboard", "uri": receiver.url, "secret": WHSEC, "hook_id": "top", "top": 1}
    assert tenant.ok("POST", "/hook", json=body) == {"success": True}
    listed = tenant.ok("GET", "/hook", params={"scope": "leaderboard"})["data"]["hooks"]
    assert [h["top"] for h in listed] == [1]
    account = f"climber-{uuid.uuid4().hex[:8]}"

    tenant.reward(account, xp=1_000_000)  # above anything the module's other tests award

    eventually(lambda: len(receiver.requests) >= 1, timeout=60)
    eventually(lambda: settled(stack), timeout=60)
    payloads = verified(receiver, {"leaderboard.rank_changed": key_of(WHSEC)})
    assert [p["type"] for p in payloads] == ["leaderboard.rank_changed"]
    data = payloads[0]["data"]
    assert (data["account"], data["pid"], data["score"]) == (account, PID, 1_000_000)
    assert (data["change"], data["from_rank"], data["to_rank"], data["top"]) == ("entered", None, 1, 1)
    assert tenant.statuses("leaderboard", "top") == ["delivered"]


def test_payloads_name_wallet_users_and_the_integrators_user_id(
    stack: LocalStack, tenant: Tenant, receiver: Receiver, hooks_removed: None
) -> None:
    tenant.hook("user_reward", "names", receiver.url, WHSEC)
    wallet = "0x" + uuid.uuid4().hex + "AbCdEf01"
    user_id = f"user-{uuid.uuid4().hex[:8]}"

    tenant.ok("POST", "/wallet/reward", json={"address": wallet, "pid": PID, "id": uuid.uuid4().hex, "xp": 3})
    body = {"account": user_id, "platform": "internal", "pid": PID, "id": uuid.uuid4().hex, "xp": 4}
    tenant.ok("POST", "/user/reward", json=body)

    eventually(lambda: len(receiver.requests) >= 2, timeout=60)
    by_xp = {p["data"]["xp"]: p["data"] for p in verified(receiver, {"user_reward": key_of(WHSEC)})}
    names = ("user_id", "account", "platform", "address")
    assert {k: by_xp[3][k] for k in names if k in by_xp[3]} == {
        "account": wallet.lower(),
        "platform": "web3",
        "address": wallet.lower(),
    }
    assert {k: by_xp[4][k] for k in names if k in by_xp[4]} == {
        "user_id": user_id,
        "account": user_id,
        "platform": "internal",
    }
    assert by_xp[3]["identity_id"] != by_xp[4]["identity_id"]


def test_a_receiver_failing_three_times_gets_the_message_on_the_fourth_attempt_once(
    stack: LocalStack, tenant: Tenant, receiver: Receiver, hooks_removed: None
) -> None:
    receiver.statuses = [500, 500, 500]
    tenant.hook("user_reward", "flaky", receiver.url, "flaky-secret")

    tenant.reward(f"player-{uuid.uuid4().hex[:8]}", xp=7)

    eventually(lambda: tenant.statuses("user_reward", "flaky") == ["delivered"], timeout=90)
    eventually(lambda: settled(stack), timeout=60)
    (delivery,) = tenant.deliveries("user_reward", "flaky")
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 500, 200]
    assert [a["attempt"] for a in delivery["attempts"]] == [1, 2, 3, 4]
    payloads = verified(receiver, {"user_reward": key_of("flaky-secret")})
    assert len(payloads) == 4 and {p["id"] for p in payloads} == {delivery["message_id"]}
    assert all(p["data"]["xp"] == 7 for p in payloads)


def test_a_receiver_that_is_down_leaves_the_message_in_the_dlq_and_redelivery_brings_it(
    stack: LocalStack, tenant: Tenant, hooks_removed: None
) -> None:
    down = Receiver()
    port, uri = down.port, down.url
    down.stop()  # nothing listens there now: every attempt is refused
    tenant.hook("user_reward", "down", uri, "down-secret")

    tenant.reward(f"player-{uuid.uuid4().hex[:8]}", xp=3)

    eventually(lambda: tenant.statuses("user_reward", "down") == ["dead"], timeout=90)
    (dead,) = tenant.deliveries("user_reward", "down")
    assert len(dead["attempts"]) == max_attempts(stack)
    assert all(a["status_code"] is None and a["error"] for a in dead["attempts"])
    sqs, dlq = stack.client("sqs"), stack.state["queues"]["WebhookDeadLetterQueue"]

    def in_dead_letter_queue() -> bool:
        for message in sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", []):
            if json.loads(message["Body"])["message_id"] == dead["message_id"]:
                sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
                return True
        return False

    eventually(in_dead_letter_queue, timeout=60)

    up = Receiver(port=port)
    try:
        redelivered = tenant.ok("POST", "/hook/redeliver", json={"message_id": dead["message_id"]})["data"]
        assert (redelivered["status"], redelivered["generation"]) == ("queued", 2)
        eventually(lambda: up.requests, timeout=60)
        eventually(lambda: tenant.statuses("user_reward", "down") == ["delivered"], timeout=30)
        eventually(lambda: settled(stack), timeout=60)
        (payload,) = verified(up, {"user_reward": key_of("down-secret")})
        assert payload["id"] == dead["message_id"] and payload["data"]["xp"] == 3
        (delivery,) = tenant.deliveries("user_reward", "down")
        assert len(delivery["attempts"]) == max_attempts(stack) + 1
        assert (delivery["attempts"][-1]["generation"], delivery["attempts"][-1]["status_code"]) == (2, 200)
    finally:
        up.stop()


def test_another_tenants_key_never_reaches_these_hooks(
    tenant: Tenant, other_entity: dict[str, Any], receiver: Receiver, hooks_removed: None
) -> None:
    tenant.hook("user_reward", "mine", receiver.url, "mine-secret")
    tenant.reward(f"player-{uuid.uuid4().hex[:8]}")
    eventually(lambda: tenant.deliveries("user_reward", "mine"), timeout=60)
    (delivery,) = tenant.deliveries("user_reward", "mine")
    other = other_entity["secret_key"]

    listed = tenant.call("GET", "/hook", key=other).json()
    deleted = tenant.call("DELETE", "/hook", key=other, json={"scope": "user_reward", "hook_id": "mine"})
    deliveries = tenant.call(
        "GET", "/hook/deliveries", key=other, params={"scope": "user_reward", "hook_id": "mine"}
    ).json()
    redelivered = tenant.call(
        "POST", "/hook/redeliver", key=other, json={"message_id": delivery["message_id"]}
    )

    assert all(h["hook_id"] != "mine" for h in listed["data"]["hooks"])
    assert deleted.status_code == 404 and deleted.json()["code"] == "hook_not_found"
    assert deliveries["data"]["deliveries"] == []
    assert redelivered.status_code == 404
    assert [h["hook_id"] for h in tenant.ok("GET", "/hook")["data"]["hooks"]] == ["mine"]


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("https://10.0.0.1/hook", "private"),
        ("https://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://93.184.216.34/hook", "https"),
    ],
)
def test_unsafe_uris_are_refused_over_http(tenant: Tenant, uri: str, words: str) -> None:
    body = {"scope": "user_reward", "uri": uri, "secret": "my-secret-key", "hook_id": "unsafe", "pids": []}

    response = tenant.call("POST", "/hook", json=body)

    assert response.status_code == 400
    answer = response.json()
    assert answer["success"] is False and answer["error"].startswith("uri") and words in answer["error"]
    assert all(h["hook_id"] != "unsafe" for h in tenant.ok("GET", "/hook")["data"]["hooks"])
