"""Event-source-mapping behaviour of the local stack, on a probe template whose functions record what they
receive and fail on demand: filters, partial batch failures, bisection, retry limits, the on-failure
destination, SQS partial failures and redrive to the dead-letter queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.stack import LocalStack
from tests.support import eventually

PROBE_TEMPLATE = Path(__file__).with_name("probe") / "template.yaml"


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, Path]]:
    log = tmp_path_factory.mktemp("probe") / "probe.log"
    log.touch()
    stack = LocalStack(
        port=0,
        template_path=PROBE_TEMPLATE,
        state_file=None,
        log=lambda line: None,
        visibility_timeout=1,
        parameter_overrides={"ProbeLog": str(log)},
        seed=False,
        stack_name="probe",
    )
    stack.start()
    yield stack, log
    stack.stop()


def seen(log: Path, kind: str, key_prefix: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    return [line for line in lines if line["kind"] == kind and line["key"].startswith(key_prefix)]


def write(stack: LocalStack, key: str, mode: str, item_type: str = "probe") -> None:
    stack.client("dynamodb").put_item(
        TableName=stack.state["table_name"],
        Item={"PK": {"S": key}, "mode": {"S": mode}, "type": {"S": item_type}},
    )


def failure_messages(stack: LocalStack) -> list[dict[str, Any]]:
    url = stack.state["queues"]["FailureQueue"]
    messages = (
        stack.client("sqs")
        .receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        .get("Messages", [])
    )
    return [json.loads(m["Body"]) for m in messages]


def test_filtered_records_never_reach_the_function(probe: tuple[LocalStack, Path]) -> None:
    stack, log = probe
    write(stack, "filter-skip", "ok", item_type="other")
    write(stack, "filter-keep", "ok")

    eventually(lambda: seen(log, "stream", "filter-keep"))
    assert seen(log, "stream", "filter-skip") == []


def test_a_reported_failure_is_retried_alone_then_sent_to_the_failure_queue(
    probe: tuple[LocalStack, Path],
) -> None:
    stack, log = probe
    for key, mode in [("partial-1", "ok"), ("partial-2", "ok"), ("partial-3", "fail")]:
        write(stack, key, mode)

    message = eventually(
        lambda: [m for m in failure_messages(stack) if m["DDBStreamBatchInfo"]["batchSize"] == 1]
    )[0]

    assert [r["mode"] for r in seen(log, "stream", "partial-1")] == ["ok"]  # delivered once, never retried
    assert len(seen(log, "stream", "partial-3")) == 3  # the first attempt and MaximumRetryAttempts: 2
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert message["requestContext"]["approximateInvokeCount"] == 3


def test_a_crashing_batch_is_bisected_down_to_the_poison_record(probe: tuple[LocalStack, Path]) -> None:
    stack, log = probe
    for key, mode in [("bisect-1", "ok"), ("bisect-2", "crash"), ("bisect-3", "ok"), ("bisect-4", "ok")]:
        write(stack, key, mode)

    eventually(
        lambda: len(seen(log, "stream", "bisect-2")) >= 4 and seen(log, "stream", "bisect-4"), timeout=60
    )
    eventually(
        lambda: [m for m in failure_messages(stack) if m["responseContext"]["functionError"] == "Unhandled"]
    )

    poison = seen(log, "stream", "bisect-2")
    assert [entry["batch"] for entry in poison][-3:] == [1, 1, 1]  # isolated, then retried twice
    assert any(entry["batch"] == 1 for entry in seen(log, "stream", "bisect-1"))


def test_sqs_partial_failures_are_redriven_to_the_dead_letter_queue(probe: tuple[LocalStack, Path]) -> None:
    stack, log = probe
    sqs = stack.client("sqs")
    queue = stack.state["queues"]["WorkQueue"]
    for key, mode in [("sqs-ok", "ok"), ("sqs-bad", "fail"), ("sqs-ignored", "ignore")]:
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"key": key, "mode": mode}))

    dead_queue = stack.state["queues"]["WorkDeadLetterQueue"]
    dead = eventually(
        lambda: sqs.receive_message(QueueUrl=dead_queue, MaxNumberOfMessages=10).get("Messages"), timeout=30
    )

    assert [json.loads(m["Body"])["key"] for m in dead] == ["sqs-bad"]
    assert len(seen(log, "queue", "sqs-ok")) == 1
    assert len(seen(log, "queue", "sqs-bad")) == 3  # maxReceiveCount
    assert seen(log, "queue", "sqs-ignored") == []  # filtered out, and deleted
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )
    assert attributes["Attributes"] == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }
