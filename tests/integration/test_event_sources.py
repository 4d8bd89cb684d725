"""The stream and the queues, through the local stack's event-source mappings, with Questline's own
functions: a record written to the table reaches the stream function and becomes a signed webhook; a
delivery whose receiver keeps failing ends in the dead-letter queue after the queue's maxReceiveCount."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from standardwebhooks import Webhook

from local.stack import LocalStack
from tests.integration.conftest import Api
from tests.support import Receiver, eventually


def put_items(stack: LocalStack, *items: dict[str, Any]) -> None:
    dynamodb = stack.client("dynamodb")
    for item in items:
        dynamodb.put_item(
            TableName=stack.state["table_name"],
            Item={
                k: {"N": str(v)} if isinstance(v, int) else {"L": []} if v == [] else {"S": v}
                for k, v in item.items()
            },
        )


def register_hook(stack: LocalStack, uri: str, hook_id: str) -> None:
    entity_id = stack.state["entity_id"]
    put_items(
        stack,
        {
            "PK": f"ENT#{entity_id}",
            "SK": f"HOOK#user_reward#{hook_id}",
            "type": "webhook",
            "hook_id": hook_id,
            "scope": "user_reward",
            "uri": uri,
            "secret": "s3cret-" + hook_id,
            "pids": [],
        },
    )


@pytest.fixture(autouse=True)
def hooks_removed(stack: LocalStack) -> Iterator[None]:
    """The hooks a test registers go with it: later activity of the demo entity must not keep retrying
    deliveries to receivers that are gone."""
    yield
    dynamodb = stack.client("dynamodb")
    found = dynamodb.query(
        TableName=stack.state["table_name"],
        KeyConditionExpression="PK = :pk AND begins_with(SK, :hooks)",
        ExpressionAttributeValues={":pk": {"S": f"ENT#{stack.state['entity_id']}"}, ":hooks": {"S": "HOOK#"}},
    )["Items"]
    for item in found:
        dynamodb.delete_item(TableName=stack.state["table_name"], Key={"PK": item["PK"], "SK": item["SK"]})


def ledger_entry(stack: LocalStack, sk: str, xp: int) -> dict[str, Any]:
    return {
        "PK": "LEDGER#it",
        "SK": sk,
        "type": "ledger_entry",
        "entity_id": stack.state["entity_id"],
        "pid": "p1",
        "xp": xp,
    }


def queue_depth(stack: LocalStack, logical: str) -> int:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.state["queues"][logical], AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_a_stream_record_reaches_the_stream_function_and_is_delivered_signed(
    stack: LocalStack, api: Api, receiver: Receiver
) -> None:
    register_hook(stack, receiver.url, "signed")

    put_items(stack, ledger_entry(stack, "E1", 25))

    eventually(lambda: receiver.requests)
    headers, body = receiver.requests[0]
    key = "whsec_" + base64.b64encode(b"s3cret-signed").decode()
    payload = Webhook(key).verify(body, headers)
    assert payload["type"] == "user_reward"
    assert payload["data"] == {"entity_id": stack.state["entity_id"], "pid": "p1", "xp": 25}
    time.sleep(1)
    assert len(receiver.requests) == 1  # one hook, one activity: one delivery


def test_a_failing_delivery_lands_in_the_dead_letter_queue_after_max_receives(
    stack: LocalStack, receiver: Receiver
) -> None:
    assert stack.template is not None
    redrive = stack.template.resolve(stack.template.resources["WebhookQueue"]["Properties"]["RedrivePolicy"])
    max_receives = int(redrive["maxReceiveCount"])
    receiver.statuses = [500] * 100
    register_hook(stack, receiver.url, "failing")
    before = queue_depth(stack, "WebhookDeadLetterQueue")

    put_items(stack, ledger_entry(stack, "E2", 7))

    eventually(lambda: queue_depth(stack, "WebhookDeadLetterQueue") > before, timeout=60)
    assert len(receiver.requests) == max_receives
    dead = stack.client("sqs").receive_message(
        QueueUrl=stack.state["queues"]["WebhookDeadLetterQueue"], MaxNumberOfMessages=10
    )
    bodies = [json.loads(m["Body"]) for m in dead["Messages"]]
    assert any(b["hook_id"] == "failing" and b["payload"]["data"]["xp"] == 7 for b in bodies)
