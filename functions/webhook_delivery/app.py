"""Delivers queued webhook messages, signed by the Standard Webhooks scheme.

A message the receiver does not accept is reported as a batch item failure: SQS offers it again after
the visibility timeout and, after the queue's maxReceiveCount, moves it to the dead-letter queue.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from questline.errors import NotFound
from questline.observability import instrument, logger
from questline.webhooks.delivery import deliver

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    message = json.loads(record.body)
    try:
        outcome = deliver(message)
    except NotFound:
        logger.info("hook deleted; message dropped", extra={"message_id": message.get("message_id")})
        return
    logger.info(
        "webhook delivered",
        extra={
            "message_id": message["message_id"],
            "status": outcome.status,
            "latency_ms": outcome.latency_ms,
        },
    )


def handle(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


lambda_handler = instrument(handle)
