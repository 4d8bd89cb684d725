"""The table's stream: turns activity items into webhook messages (one per matching hook).

Only the item types in the template's FilterCriteria invoke this function. Failures are reported per
record (partial batch response); the event source mapping retries, bisects and finally sends the batch's
description to the on-failure queue.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from questline.observability import instrument, logger
from questline.stream import project_record

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    project_record(record.raw_event)


def handle(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    logger.info("stream batch", extra={"records": len(event.get("Records", []))})
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


lambda_handler = instrument(handle)
