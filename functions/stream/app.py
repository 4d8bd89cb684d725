"""The table's stream: the task engine for event logs, merges, campaign statistics and webhook fan-out
(`questline.stream`); and, on its schedule, the lost-streak sweep (`campaigns.streak_sweep`) and the
points-expiry sweep (`campaigns.points_expiry`), each bounded per run.

Only the item types in the template's FilterCriteria invoke this function. Failures are reported per
record (partial batch response); the event source mapping retries, bisects and finally sends the batch's
description to the on-failure queue. Every record that fails is logged with its cause and its keys (never
its image, which can hold tokens and personal data). Each batch logs what it cost in DynamoDB round trips
and units.
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from questline.observability import instrument, logger
from questline.storage import capacity
from questline.stream import describe_record, project_balances, project_record

# A batch whose every record failed is answered like any other, record by record: raising instead would
# make it a function error (bisected differently, counted by the errors alarm) for one poisoned record.
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
_completions = [0]
_counted: set[str] = set()  # the batch's balance records counted together (`project_balances`)


def record_handler(record: DynamoDBRecord) -> None:
    try:
        counted = str(record.raw_event.get("eventID", "")) in _counted
        _completions[0] += project_record(record.raw_event, balance_counted=counted)
    except Exception as error:
        logger.exception("stream record failed", extra=describe_record(record.raw_event, error))
        raise


def handle(event: dict[str, Any], context: Any) -> PartialItemFailureResponse | dict[str, Any]:
    if event.get("source") == "aws.events":  # the schedule (template.yaml): the sweeps
        return scheduled()
    tally = capacity.reset()
    _completions[0] = 0
    started = time.perf_counter()
    _counted.clear()
    _counted.update(project_balances(event.get("Records", [])))
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    logger.info(
        "stream batch done",
        extra={
            "records": len(event.get("Records", [])),
            "failed": len(response.get("batchItemFailures", [])),
            "completions": _completions[0],
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "dynamodb": tally.as_dict(),
        },
    )
    return response


def scheduled() -> dict[str, Any]:
    """One run of each sweep: the lost-streak sweep's answer, with the points-expiry sweep's under
    `points`. A sweep that fails does not keep the other from running; the run then fails (the next run
    takes its work up again)."""
    done: dict[str, Any] = {}
    failed: Exception | None = None
    for name, run in (("streaks", sweep_streaks), ("points", sweep_points)):
        try:
            answer = run()
        except Exception as error:  # noqa: BLE001 - logged, and raised once the other sweep ran
            logger.exception("sweep failed", extra={"sweep": name})
            failed = failed or error
            continue
        done.update(answer if name == "streaks" else {name: answer})
    if failed is not None:
        raise failed
    return done


def sweep_points() -> dict[str, Any]:
    """One bounded run of the points-expiry sweep (`campaigns.points_expiry`)."""
    from questline.campaigns.points_expiry import sweep

    tally = capacity.reset()
    done = sweep()
    logger.info("points expiry sweep done", extra={**done, "dynamodb": tally.as_dict()})
    return done


def sweep_streaks() -> dict[str, Any]:
    """One bounded run of the lost-streak sweep (`campaigns.streak_sweep`)."""
    from questline.campaigns.streak_sweep import sweep

    tally = capacity.reset()
    done = sweep()
    logger.info("streak sweep done", extra={**done, "dynamodb": tally.as_dict()})
    return done


lambda_handler = instrument(handle)
