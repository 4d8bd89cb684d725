"""Erases people, from the erasure queue (`questline.identity.erasure`): each message removes at most
`ERASURE_BATCH_ITEMS` items of one person and, when more is left, queues itself again; the last one writes
the erase record and fires `identity.erased`. Failures are reported per message; after the queue's
receive limit a message lands in the dead-letter queue (redrive it: every step is idempotent)."""

from __future__ import annotations

import json
import time
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from questline.identity.erasure import continue_erasure
from questline.observability import instrument, logger
from questline.storage import capacity

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:
    message = json.loads(record.body)
    tally = capacity.reset()
    started = time.perf_counter()
    done = continue_erasure(message)
    logger.info(
        "erasure finished" if done else "erasure continues",
        extra={
            "identity_id": message.get("identity_id"),
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "dynamodb": tally.as_dict(),
        },
    )


def handle(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


lambda_handler = instrument(handle)
