"""Webhooks: Standard Webhooks signatures, target checks (SSRF), fan-out from the stream, delivery."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import boto3
import pytest
from standardwebhooks import Webhook

from questline.errors import BadRequest
from questline.storage import get_table, keys
from questline.webhooks.signing import signed_headers
from questline.webhooks.targets import resolve_target
from tests.support import Receiver
from tests.unit.conftest import Aws


@pytest.mark.parametrize(
    "secret", ["plain-secret", "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()]
)
def test_signatures_verify_with_the_standardwebhooks_library(secret: str) -> None:
    body = '{"type":"user_reward","data":{"xp":10}}'
    headers = signed_headers(secret, "msg_1", int(time.time()), body)
    # The library takes the key as whsec_<base64>; a plain secret's key is its bytes (DESIGN.md §4).
    key = secret if secret.startswith("whsec_") else "whsec_" + base64.b64encode(secret.encode()).decode()

    assert Webhook(key).verify(body, headers) == json.loads(body)


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("http://example.com/hook", "must use https"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://10.0.0.1/hook", "private"),
        ("https://192.168.1.1/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "metadata"),
        ("https://[fd00:ec2::254]/", "metadata"),
        ("https://169.254.10.10/", "link-local"),
        ("https://[::1]/", "loopback"),
        ("https://[::ffff:10.0.0.1]/", "private"),
        ("https://0.0.0.0/", "private"),
        ("https://224.0.0.1/", "non-public"),
        ("https://user:pw@93.184.216.34/", "no credentials"),
        ("not a url", "https"),
        ("https://93.184.216.34:99999/", "not a valid URL"),
    ],
)
def test_unsafe_targets_are_refused_without_connecting(uri: str, words: str) -> None:
    with pytest.raises(BadRequest) as raised:
        resolve_target(uri, allow_loopback=False)
    assert words in raised.value.message
    assert raised.value.field == "uri"


def test_public_https_and_local_loopback_targets() -> None:
    public = resolve_target("https://93.184.216.34:8443/hooks?x=1", allow_loopback=False)
    local = resolve_target("http://127.0.0.1:9000/hook", allow_loopback=True)

    assert (public.address, public.port, public.path) == ("93.184.216.34", 8443, "/hooks?x=1")
    assert (local.scheme, local.address) == ("http", "127.0.0.1")
    with pytest.raises(BadRequest):
        resolve_target("http://10.0.0.1/", allow_loopback=True)  # loopback mode allows loopback only


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


def register_hook(
    entity_id: str,
    uri: str,
    *,
    scope: str = "user_reward",
    pids: list[str] | None = None,
    hook_id: str = "prod",
) -> None:
    get_table().put(
        {
            **keys.webhook(entity_id, scope, hook_id),
            "type": "webhook",
            "hook_id": hook_id,
            "scope": scope,
            "uri": uri,
            "secret": "s3cret",
            "pids": pids or [],
        }
    )


def test_stream_fans_an_activity_out_to_each_matching_hook(aws: Aws, entity: dict[str, str]) -> None:
    eid = entity["ENTITY_ID"]
    register_hook(eid, "https://93.184.216.34/a", hook_id="all")
    register_hook(eid, "https://93.184.216.34/b", hook_id="this", pids=["campaign_abc123"])
    register_hook(eid, "https://93.184.216.34/c", hook_id="other", pids=["another"])
    register_hook(eid, "https://93.184.216.34/d", hook_id="login", scope="user_login")

    result = aws.invoke("StreamFunction", "stream_ledger_entry")
    again = aws.invoke("StreamFunction", "stream_ledger_entry")

    assert result == again == {"batchItemFailures": []}
    messages = boto3.client("sqs").receive_message(
        QueueUrl=aws.queue_url("WebhookQueue"), MaxNumberOfMessages=10
    )["Messages"]
    bodies = [json.loads(m["Body"]) for m in messages]
    assert sorted(b["hook_id"] for b in bodies) == ["all", "all", "this", "this"]
    # a replayed record yields the same webhook ids, so receivers can drop the repeat
    assert len({b["message_id"] for b in bodies}) == 2
    assert bodies[0]["payload"]["type"] == "user_reward"
    assert bodies[0]["payload"]["data"] == {"entity_id": eid, "pid": "campaign_abc123", "xp": 100}


def test_records_that_are_not_activity_enqueue_nothing(aws: Aws, entity: dict[str, str]) -> None:
    register_hook(entity["ENTITY_ID"], "https://93.184.216.34/a")
    from local.events import load_event

    event = load_event("stream_ledger_entry", aws.values)
    event["Records"][0]["eventName"] = "MODIFY"

    assert aws.invoke("StreamFunction", event) == {"batchItemFailures": []}
    assert "Messages" not in boto3.client("sqs").receive_message(QueueUrl=aws.queue_url("WebhookQueue"))


def test_delivery_posts_a_signed_message(aws: Aws, entity: dict[str, str], receiver: Receiver) -> None:
    register_hook(entity["ENTITY_ID"], receiver.url)

    result = aws.invoke("WebhookDeliveryFunction", "webhook_delivery_message")

    assert result == {"batchItemFailures": []}
    headers, body = receiver.requests[0]
    assert headers["webhook-id"] == "msg_2b1fd4a1b1e0c1d2e3f4a5b6c7d8e9f0"
    assert json.loads(body) == {
        "type": "user_reward",
        "timestamp": "2026-11-22T07:00:00.000Z",
        "data": {"pid": "campaign_abc123", "xp": 100},
    }
    expected = signed_headers(
        "s3cret", headers["webhook-id"], int(headers["webhook-timestamp"]), body.decode()
    )
    assert headers["webhook-signature"] == expected["webhook-signature"]


def test_a_refused_delivery_is_reported_for_retry(
    aws: Aws, entity: dict[str, str], receiver: Receiver
) -> None:
    register_hook(entity["ENTITY_ID"], receiver.url)
    receiver.statuses = [503]

    with pytest.raises(Exception, match="All records failed"):
        aws.invoke("WebhookDeliveryFunction", "webhook_delivery_message")
    assert len(receiver.requests) == 1


def test_a_message_for_a_deleted_hook_is_dropped(aws: Aws, entity: dict[str, str]) -> None:
    assert aws.invoke("WebhookDeliveryFunction", "webhook_delivery_message") == {"batchItemFailures": []}


def test_delivery_refuses_loopback_outside_local_mode(
    aws: Aws, entity: dict[str, str], receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_hook(entity["ENTITY_ID"], receiver.url)
    aws.template.set_parameters({"Stage": "prod"})

    with pytest.raises(Exception, match="All records failed"):
        aws.invoke("WebhookDeliveryFunction", "webhook_delivery_message")
    assert receiver.requests == []
