"""Event source mappings, as Lambda runs them, for the table's stream and for SQS queues.

Stream: reads every shard from its starting position, filters records (FilterCriteria; filtered records
are dropped), invokes in batches of `BatchSize` (waiting up to `MaximumBatchingWindowInSeconds`), and on
failure: honours `batchItemFailures` (retry from the first failed record), bisects a failing batch
(`BisectBatchOnFunctionError`), retries up to `MaximumRetryAttempts`, and then sends the batch's
description to the on-failure queue and moves on.

SQS: receives up to `BatchSize` messages, deletes those that do not match the filters, invokes, deletes
what succeeded (all of it, or all but `batchItemFailures`); what failed becomes visible again after the
queue's visibility timeout, and the queue's redrive policy moves it to its DLQ after `maxReceiveCount`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from local.filters import matches_any, sqs_view
from local.runtime import FunctionPool, Invocation
from local.template import REGION, QueueSource, StreamSource

Log = Callable[[str], None]


def _failed_identifiers(outcome: Invocation, report_item_failures: bool) -> list[str] | None:
    """None: the whole batch failed. []: it all succeeded. Otherwise the identifiers that failed."""
    if not outcome.ok:
        return None
    if not report_item_failures or not isinstance(outcome.result, dict):
        return []
    failures = outcome.result.get("batchItemFailures") or []
    identifiers = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier:
            return None  # Lambda treats a malformed failure report as a failure of the whole batch
        identifiers.append(str(identifier))
    return identifiers


def _as_lambda_record(record: dict[str, Any]) -> dict[str, Any]:
    """A record as boto3 parses GetRecords, turned back into the JSON Lambda's event carries: epoch seconds
    for `ApproximateCreationDateTime` (boto3 gives a datetime) and base64 text for binary attribute values
    (boto3 gives bytes)."""
    dynamodb = dict(record.get("dynamodb", {}))
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    for image in ("Keys", "NewImage", "OldImage"):
        if image in dynamodb:
            dynamodb[image] = {name: _as_json_attribute(v) for name, v in dynamodb[image].items()}
    return {**record, "dynamodb": dynamodb}


def _as_json_attribute(value: dict[str, Any]) -> dict[str, Any]:
    if len(value) != 1:
        return value  # DynamoDB Local's empty map (`{}`) travels as it came
    ((kind, raw),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(raw).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(v).decode() for v in raw]}
    if kind == "M":
        return {"M": {k: _as_json_attribute(v) for k, v in raw.items()}}
    if kind == "L":
        return {"L": [_as_json_attribute(v) for v in raw]}
    return value


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """A received SQS message (ReceiveMessage with all attributes) as Lambda's event record carries it."""
    attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        attributes[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": base64.b64encode(value["BinaryValue"]).decode()
            if value.get("BinaryValue")
            else None,
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType"),
        }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


class StreamMapping:
    def __init__(
        self,
        source: StreamSource,
        pool: FunctionPool,
        *,
        stream_arn: str,
        streams_client: Any,
        sqs_client: Any,
        failure_queue_url: str | None,
        function_arn: str,
        log: Log,
        poll_interval: float = 0.1,
        retry_delay: float = 0.2,
        positions: dict[str, str] | None = None,
    ) -> None:
        self.source = source
        self.pool = pool
        self.stream_arn = stream_arn
        self.streams = streams_client
        self.sqs = sqs_client
        self.failure_queue_url = failure_queue_url
        self.function_arn = function_arn
        self.log = log
        self.poll_interval = poll_interval
        self.retry_delay = retry_delay
        self._iterators: dict[str, str | None] = {}
        # Per shard, the sequence number of the last record handled (as Lambda's checkpoint): reading
        # resumes after it when the poller recovers from an error, and after a restart of the stack.
        self.positions: dict[str, str] = dict(positions or {})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"stream:{source.name}", daemon=True)
        self.invocations = 0
        self.records_delivered = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    # polling

    def _refresh_shards(self) -> None:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id in self._iterators:
                continue
            self._iterators[shard_id] = self._iterator(shard_id)

    def _iterator(self, shard_id: str) -> str:
        position = "TRIM_HORIZON" if self.source.starting_position == "TRIM_HORIZON" else "LATEST"
        where: dict[str, str] = {"ShardIteratorType": position}
        if shard_id in self.positions:
            where = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self.positions[shard_id]}
        try:
            return str(
                self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard_id, **where)[
                    "ShardIterator"
                ]
            )
        except self.streams.exceptions.ClientError:
            if "SequenceNumber" not in where:
                raise
            self.log(
                f"stream position {self.positions.pop(shard_id)} of {shard_id} is gone; reading {position}"
            )
            return self._iterator(shard_id)

    def _run(self) -> None:
        buffers: dict[str, list[dict[str, Any]]] = {}
        first_seen: dict[str, float] = {}
        last_refresh = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - last_refresh > 2:
                    self._refresh_shards()
                    last_refresh = time.monotonic()
                for shard_id, iterator in list(self._iterators.items()):
                    if iterator is None:
                        continue
                    response = self.streams.get_records(ShardIterator=iterator, Limit=1000)
                    self._iterators[shard_id] = response.get("NextShardIterator")
                    records = [_as_lambda_record(r) for r in response.get("Records", [])]
                    if records:
                        buffers.setdefault(shard_id, []).extend(records)
                        first_seen.setdefault(shard_id, time.monotonic())
                    buffer = buffers.get(shard_id, [])
                    window_over = (
                        time.monotonic() - first_seen.get(shard_id, time.monotonic())
                        >= self.source.batching_window
                    )
                    while buffer and (len(buffer) >= self.source.batch_size or window_over or not records):
                        batch, buffer = buffer[: self.source.batch_size], buffer[self.source.batch_size :]
                        self._deliver(shard_id, batch)
                        if not self._stop.is_set():  # a batch cut short by stop() is read again
                            self.positions[shard_id] = batch[-1]["dynamodb"]["SequenceNumber"]
                    buffers[shard_id] = buffer
                    if not buffer:
                        first_seen.pop(shard_id, None)
            except Exception as error:  # noqa: BLE001 - a poller must outlive a backend hiccup
                if not self._stop.is_set():
                    self.log(f"stream poller error: {type(error).__name__}: {error}")
                    self._iterators.clear()  # read again after each shard's position
                    buffers.clear()
                    first_seen.clear()
                    last_refresh = 0.0
                    self._stop.wait(1)
            self._stop.wait(self.poll_interval)

    # delivery

    def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        wanted = [
            {**record, "eventSourceARN": self.stream_arn}
            for record in records
            if matches_any(self.source.filters, record)
        ]
        if wanted:
            self._process(shard_id, wanted, attempt=0)

    def _process(self, shard_id: str, batch: list[dict[str, Any]], attempt: int) -> None:
        limit = self.source.maximum_retry_attempts
        while batch and not self._stop.is_set():
            outcome = self.pool.invoke({"Records": batch})
            self.invocations += 1
            failed = _failed_identifiers(outcome, self.source.report_item_failures)
            if failed == []:
                self.records_delivered += len(batch)
                return
            if failed is None:
                if self.source.bisect_on_error and len(batch) > 1:
                    middle = len(batch) // 2
                    self._process(shard_id, batch[:middle], attempt)
                    self._process(shard_id, batch[middle:], attempt)
                    return
                retry_from = 0
            else:
                sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in batch]
                positions = [sequence_numbers.index(s) for s in failed if s in sequence_numbers]
                if not positions:  # an identifier that is not in the batch fails the whole batch
                    positions = [0]
                retry_from = min(positions)
                self.records_delivered += retry_from
            batch = batch[retry_from:]
            attempt += 1
            if limit != -1 and attempt > limit:
                self._send_to_failure_destination(shard_id, batch, outcome, attempt)
                return
            time.sleep(self.retry_delay * attempt)

    def _send_to_failure_destination(
        self, shard_id: str, batch: list[dict[str, Any]], outcome: Invocation, attempts: int
    ) -> None:
        self.log(f"stream batch of {len(batch)} record(s) exhausted {attempts - 1} retries")
        if self.failure_queue_url is None:
            return
        arrivals = [r["dynamodb"].get("ApproximateCreationDateTime") for r in batch]
        message = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": None if outcome.ok else "Unhandled",
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": str(arrivals[0]),
                "approximateArrivalOfLastRecord": str(arrivals[-1]),
                "batchSize": len(batch),
                "streamArn": self.stream_arn,
            },
        }
        self.sqs.send_message(QueueUrl=self.failure_queue_url, MessageBody=json.dumps(message, default=str))


class QueueMapping:
    def __init__(
        self,
        source: QueueSource,
        pool: FunctionPool,
        *,
        queue_url: str,
        queue_arn: str,
        sqs_client: Any,
        log: Log,
    ) -> None:
        self.source = source
        self.pool = pool
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.sqs = sqs_client
        self.log = log
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sqs:{source.name}", daemon=True)
        self.invocations = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                messages = self.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=min(10, self.source.batch_size),
                    WaitTimeSeconds=1,
                    MessageSystemAttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
                if messages:
                    self._deliver(messages)
            except Exception as error:  # noqa: BLE001 - a poller must outlive a backend hiccup
                if not self._stop.is_set():
                    self.log(f"queue poller error: {type(error).__name__}: {error}")
                    self._stop.wait(1)

    def _delete(self, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), 10):
            chunk = records[start : start + 10]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)],
            )

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        records = [sqs_record(m, self.queue_arn) for m in messages]
        wanted = [r for r in records if matches_any(self.source.filters, sqs_view(r))]
        unwanted = [r for r in records if r not in wanted]
        if unwanted:
            self._delete(unwanted)  # Lambda deletes messages its filters reject
        if not wanted:
            return
        outcome = self.pool.invoke({"Records": wanted})
        self.invocations += 1
        failed = _failed_identifiers(outcome, self.source.report_item_failures)
        if failed is None:
            return  # nothing deleted: every message comes back after the visibility timeout
        self._delete([r for r in wanted if r["messageId"] not in set(failed)])
