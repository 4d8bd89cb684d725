"""Delivers queued webhook messages, signed by the Standard Webhooks scheme (`questline.webhooks.delivery`).

The copies of one batch are delivered concurrently (one thread each), so a slow receiver holds up no
other message and a batch of ten takes about as long as its slowest attempt (`WEBHOOK_TIMEOUT_SECONDS`),
well inside the function's timeout. A copy whose attempt failed is reported as a batch item failure after
its visibility was set to the retry delay; after the last attempt SQS moves it to the dead-letter queue.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    AsyncBatchProcessor,
    EventType,
    async_process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from questline.observability import instrument, logger
from questline.webhooks.delivery import DeliveryFailed, later_copies, process

# Every copy may fail in one batch (a receiver that is down): that is a partial response, not an error.
processor = AsyncBatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
_repeats: set[str] = set()  # this batch's later copies of a message another copy in it delivers


def deliver(record: SQSRecord) -> None:
    message = json.loads(record.body)
    context = {
        "message_id": message.get("message_id"),
        "hook_id": message.get("hook_id"),
        "generation": message.get("generation", 1),
        "attempt": int(record.attributes.approximate_receive_count),
    }
    if record.message_id in _repeats:
        logger.info("webhook repeated in its batch", extra=context)
        return
    try:
        result = process(message, receive_count=context["attempt"], receipt_handle=record.receipt_handle)
    except DeliveryFailed as failed:
        outcome = failed.outcome
        logger.warning(
            "webhook attempt failed",
            extra={
                **context,
                "status": outcome.status,
                "error": outcome.error,
                "latency_ms": outcome.latency_ms,
                "retry_in": failed.retry_in,
            },
        )
        raise
    logger.info(f"webhook {result}", extra=context)


async def record_handler(record: SQSRecord) -> None:
    await asyncio.to_thread(deliver, record)


def handle(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    _repeats.clear()
    _repeats.update(later_copies({r["messageId"]: r["body"] for r in event.get("Records", [])}))
    return async_process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


lambda_handler = instrument(handle)
