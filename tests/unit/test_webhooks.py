"""Webhooks: Standard Webhooks signatures, target checks (SSRF), fan-out from the stream, delivery."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from standardwebhooks import Webhook

from questline.errors import BadRequest
from questline.storage import get_table, keys
from questline.webhooks import records
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


def queued(aws: Aws) -> list[dict[str, Any]]:
    """Every message in the webhook queue (received with visibility 0, so they stay there)."""
    messages = (
        boto3.client("sqs")
        .receive_message(QueueUrl=aws.queue_url("WebhookQueue"), MaxNumberOfMessages=10, VisibilityTimeout=0)
        .get("Messages", [])
    )
    return [json.loads(m["Body"]) for m in messages]


def delivery_records(aws: Aws) -> list[dict[str, Any]]:
    return [item for item in aws.table_items() if item["type"] == "webhook_delivery"]


def test_stream_fans_an_activity_out_to_each_matching_hook_once(aws: Aws, entity: dict[str, str]) -> None:
    eid = entity["ENTITY_ID"]
    register_hook(eid, "https://93.184.216.34/a", hook_id="all")
    register_hook(eid, "https://93.184.216.34/b", hook_id="this", pids=["campaign_abc123"])
    register_hook(eid, "https://93.184.216.34/c", hook_id="other", pids=["another"])
    register_hook(eid, "https://93.184.216.34/d", hook_id="login", scope="user_login")

    result = aws.invoke("StreamFunction", "stream_ledger_entry")
    again = aws.invoke("StreamFunction", "stream_ledger_entry")  # the same record, replayed

    assert result == again == {"batchItemFailures": []}
    bodies = queued(aws)
    assert sorted(b["hook_id"] for b in bodies) == ["all", "this"]
    assert bodies[0]["payload"]["type"] == "user_reward"
    assert bodies[0]["payload"]["data"] == {"entity_id": eid, "pid": "campaign_abc123", "xp": 100}
    assert bodies[0]["generation"] == 1
    stored = delivery_records(aws)
    assert sorted((r["hook_id"], r["status"], r["generation"]) for r in stored) == [
        ("all", "queued", 1),
        ("this", "queued", 1),
    ]
    assert {r["message_id"] for r in stored} == {b["message_id"] for b in bodies}
    assert stored[0]["PK"] == f"ENT#{eid}#WHMSG#{stored[0]['message_id']}"
    assert stored[0]["GSI1PK"] == f"ENT#{eid}#HOOK#user_reward#{stored[0]['hook_id']}#DELIVERIES"
    assert stored[0]["ttl"] - time.time() == pytest.approx(30 * 24 * 3600, abs=600)


def test_records_that_are_not_activity_enqueue_nothing(aws: Aws, entity: dict[str, str]) -> None:
    register_hook(entity["ENTITY_ID"], "https://93.184.216.34/a")
    from local.events import load_event

    event = load_event("stream_ledger_entry", aws.values)
    event["Records"][0]["eventName"] = "MODIFY"

    assert aws.invoke("StreamFunction", event) == {"batchItemFailures": []}
    assert queued(aws) == []
    assert delivery_records(aws) == []


class Queue:
    """The webhook queue (moto) as the event source mapping works it: receive a batch, invoke the delivery
    function, delete what it did not report as failed. `later()` makes every hidden copy visible again, as
    the passing of its retry delay would."""

    def __init__(self, aws: Aws) -> None:
        self.aws = aws
        self.sqs = boto3.client("sqs")
        self.url = aws.queue_url("WebhookQueue")
        self.arn = str(aws.template.physical["WebhookQueue"]["Arn"])
        self.in_flight: list[str] = []

    def send(self, message: dict[str, Any]) -> None:
        self.sqs.send_message(QueueUrl=self.url, MessageBody=json.dumps(message))

    def work(self, batch_size: int = 10) -> dict[str, Any]:
        from local.esm import sqs_record

        received = self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=batch_size, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        batch = [sqs_record(m, self.arn) for m in received]
        if not batch:
            return {"batchItemFailures": [], "records": 0}
        response: dict[str, Any] = self.aws.invoke("WebhookDeliveryFunction", {"Records": batch})
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        for record in batch:
            if record["messageId"] in failed:
                self.in_flight.append(record["receiptHandle"])
            else:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=record["receiptHandle"])
        response["records"] = len(batch)
        return response

    def later(self) -> None:
        if self.in_flight:
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                    for i, handle in enumerate(self.in_flight)
                ],
            )
        self.in_flight = []

    def dead_letters(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(
            QueueUrl=self.aws.queue_url("WebhookDeadLetterQueue"), MaxNumberOfMessages=10
        ).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]


@pytest.fixture
def queue(aws: Aws) -> Queue:
    return Queue(aws)


@pytest.fixture
def visibility_changes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The VisibilityTimeout of every ChangeMessageVisibility call (the calls still reach moto)."""
    from botocore.client import BaseClient

    seen: list[int] = []
    original = BaseClient._make_api_call

    def spy(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "ChangeMessageVisibility":
            seen.append(int(params["VisibilityTimeout"]))
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", spy)
    return seen


def fan_out_one_reward(aws: Aws) -> str:
    """The sample ledger entry through the stream function: one message per matching hook."""
    assert aws.invoke("StreamFunction", "stream_ledger_entry") == {"batchItemFailures": []}
    (record,) = delivery_records(aws)
    return str(record["message_id"])


def record_of(aws: Aws, entity_id: str, message_id: str) -> dict[str, Any]:
    found = get_table().get(keys.webhook_delivery(entity_id, message_id), consistent=True)
    assert found is not None
    return found


def test_a_delivery_is_signed_and_recorded(
    aws: Aws, entity: dict[str, str], receiver: Receiver, queue: Queue
) -> None:
    register_hook(entity["ENTITY_ID"], receiver.url)
    message_id = fan_out_one_reward(aws)

    assert queue.work() == {"batchItemFailures": [], "records": 1}

    headers, body = receiver.requests[0]
    assert headers["webhook-id"] == message_id
    key = "whsec_" + base64.b64encode(b"s3cret").decode()
    assert Webhook(key).verify(body, headers)["data"]["xp"] == 100
    record = record_of(aws, entity["ENTITY_ID"], message_id)
    assert record["status"] == "delivered"
    (attempt,) = record["attempts"]
    assert (attempt["attempt"], attempt["generation"], attempt["status_code"], attempt["error"]) == (
        1,
        1,
        200,
        None,
    )
    assert attempt["latency_ms"] >= 0 and attempt["at"] >= record["created_at"]


def test_the_sample_message_is_delivered_signed(aws: Aws, entity: dict[str, str], receiver: Receiver) -> None:
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


def test_a_replayed_stream_record_is_delivered_once(
    aws: Aws, entity: dict[str, str], receiver: Receiver, queue: Queue
) -> None:
    register_hook(entity["ENTITY_ID"], receiver.url)
    fan_out_one_reward(aws)
    queue.work()

    assert aws.invoke("StreamFunction", "stream_ledger_entry") == {"batchItemFailures": []}
    assert queue.work()["records"] == 0
    assert len(receiver.requests) == 1
    assert len(delivery_records(aws)) == 1


def test_a_crash_after_queueing_loses_nothing_and_the_second_copy_is_dropped(
    aws: Aws, entity: dict[str, str], receiver: Receiver, queue: Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from questline.storage.table import Table

    register_hook(entity["ENTITY_ID"], receiver.url)
    put = Table.put

    def crash(self: Table, item: Any, **kwargs: Any) -> None:
        if item.get("type") == "webhook_delivery":
            raise RuntimeError("the function died after queueing")
        put(self, item, **kwargs)

    monkeypatch.setattr(Table, "put", crash)
    failed = aws.invoke("StreamFunction", "stream_ledger_entry")  # the mapping retries the record
    assert len(failed["batchItemFailures"]) == 1
    monkeypatch.setattr(Table, "put", put)
    assert delivery_records(aws) == [] and len(queued(aws)) == 1

    assert aws.invoke("StreamFunction", "stream_ledger_entry") == {"batchItemFailures": []}
    copies = queued(aws)
    assert len(copies) == 2 and copies[0]["message_id"] == copies[1]["message_id"]

    assert queue.work(batch_size=1) == {"batchItemFailures": [], "records": 1}
    assert queue.work(batch_size=1) == {"batchItemFailures": [], "records": 1}
    assert len(receiver.requests) == 1  # the second copy found its message delivered
    (record,) = delivery_records(aws)
    assert record["status"] == "delivered" and len(record["attempts"]) == 1


def test_two_copies_of_a_message_in_one_batch_make_one_request(
    aws: Aws, entity: dict[str, str], receiver: Receiver, queue: Queue
) -> None:
    register_hook(entity["ENTITY_ID"], receiver.url)
    message_id = fan_out_one_reward(aws)
    queue.send(records.message_of(record_of(aws, entity["ENTITY_ID"], message_id), 1))

    assert queue.work() == {"batchItemFailures": [], "records": 2}
    assert len(receiver.requests) == 1


def test_failed_attempts_are_recorded_and_retried_after_growing_delays_then_dead_lettered(
    aws: Aws, entity: dict[str, str], receiver: Receiver, queue: Queue, visibility_changes: list[int]
) -> None:
    register_hook(entity["ENTITY_ID"], receiver.url)
    receiver.statuses = [503] * 100
    message_id = fan_out_one_reward(aws)
    max_attempts = int(aws.function_env("WebhookDeliveryFunction")["WEBHOOK_MAX_ATTEMPTS"])
    statuses = []

    for _ in range(max_attempts):
        response = queue.work()
        assert response["records"] == 1 and len(response["batchItemFailures"]) == 1
        statuses.append(record_of(aws, entity["ENTITY_ID"], message_id)["status"])
        queue.later()

    # the local stage's schedule: 1 s doubling to at most 4 s; after the last attempt, at once to the DLQ
    assert max_attempts == 8 and visibility_changes == [1, 2, 4, 4, 4, 4, 4, 0]
    assert statuses == ["retrying"] * (max_attempts - 1) + ["dead"]
    record = record_of(aws, entity["ENTITY_ID"], message_id)
    assert [(a["attempt"], a["status_code"]) for a in record["attempts"]] == [
        (n, 503) for n in range(1, max_attempts + 1)
    ]
    assert queue.work()["records"] == 0  # SQS moves it to the dead-letter queue instead
    assert [m["message_id"] for m in queue.dead_letters()] == [message_id]
    assert len(receiver.requests) == max_attempts


def test_the_retry_schedule() -> None:
    from questline.webhooks.delivery import retry_delay

    assert [retry_delay(n, base=60, cap=3600) for n in range(1, 9)] == [
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert [retry_delay(n, base=1, cap=4) for n in range(1, 6)] == [1, 2, 4, 4, 4]
    assert retry_delay(1000, base=60, cap=3600) == 3600


def test_the_template_keeps_one_number_of_attempts() -> None:
    from local.template import Template

    template = Template.load()
    queue = template.resolve(template.resources["WebhookQueue"]["Properties"]["RedrivePolicy"])
    env = template.environment_of(template.functions()["WebhookDeliveryFunction"])
    assert str(queue["maxReceiveCount"]) == env["WEBHOOK_MAX_ATTEMPTS"] == "8"
    assert (env["WEBHOOK_RETRY_BASE_SECONDS"], env["WEBHOOK_RETRY_MAX_SECONDS"]) == ("60", "3600")
    template.set_parameters({"WebhookMaxAttempts": "5"})
    queue = template.resolve(template.resources["WebhookQueue"]["Properties"]["RedrivePolicy"])
    assert (
        str(queue["maxReceiveCount"])
        == template.environment_of(template.functions()["WebhookDeliveryFunction"])["WEBHOOK_MAX_ATTEMPTS"]
        == "5"
    )


def test_a_redelivery_delivers_again_and_supersedes_older_copies(
    aws: Aws, entity: dict[str, str], receiver: Receiver, queue: Queue
) -> None:
    from tests.support import api_event

    register_hook(entity["ENTITY_ID"], receiver.url)
    message_id = fan_out_one_reward(aws)
    queue.work()
    old_copy = records.message_of(record_of(aws, entity["ENTITY_ID"], message_id), 1)
    headers = {"authorization": f"Bearer {entity['SECRET_KEY']}"}

    status, body = aws.call(
        "ClaimrHooksFunction",
        api_event("POST", "/hook/redeliver", body={"message_id": message_id}, headers=headers),
    )
    assert status == 200 and (body["data"]["status"], body["data"]["generation"]) == ("queued", 2)
    queue.send(old_copy)  # a stray copy of the first generation, arriving late

    while queue.work()["records"]:
        pass

    assert len(receiver.requests) == 2
    assert {h["webhook-id"] for h, _ in receiver.requests} == {message_id}
    record = record_of(aws, entity["ENTITY_ID"], message_id)
    assert (record["status"], record["generation"]) == ("delivered", 2)
    assert [(a["generation"], a["attempt"], a["status_code"]) for a in record["attempts"]] == [
        (1, 1, 200),
        (2, 1, 200),
    ]


def test_a_message_for_a_deleted_hook_is_dropped(aws: Aws, entity: dict[str, str], queue: Queue) -> None:
    register_hook(entity["ENTITY_ID"], "https://93.184.216.34/a")
    message_id = fan_out_one_reward(aws)
    get_table().delete(keys.webhook(entity["ENTITY_ID"], "user_reward", "prod"))

    assert queue.work() == {"batchItemFailures": [], "records": 1}
    record = record_of(aws, entity["ENTITY_ID"], message_id)
    assert (record["status"], record["attempts"]) == ("dropped", [])


def test_delivery_refuses_loopback_outside_local_mode(
    aws: Aws, entity: dict[str, str], receiver: Receiver, queue: Queue
) -> None:
    register_hook(entity["ENTITY_ID"], receiver.url)
    message_id = fan_out_one_reward(aws)
    aws.template.set_parameters({"Stage": "prod"})

    response = queue.work()

    assert len(response["batchItemFailures"]) == 1
    assert receiver.requests == []
    (attempt,) = record_of(aws, entity["ENTITY_ID"], message_id)["attempts"]
    assert attempt["status_code"] is None and attempt["error"] == "uri must use https"
