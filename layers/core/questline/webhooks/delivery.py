"""Delivery of queued webhook messages: one signed POST per attempt, connecting to the address that was
checked; every attempt recorded; failed attempts retried after growing delays, then dead-lettered.

The retry delay is the queued copy's visibility: after failed attempt n the copy is hidden for
`base * 2^(n-1)` seconds, at most `cap` (`WEBHOOK_RETRY_BASE_SECONDS`, `WEBHOOK_RETRY_MAX_SECONDS`). SQS
counts the receives; after `WEBHOOK_MAX_ATTEMPTS` (the queue's maxReceiveCount too: one template parameter)
the record is marked dead and SQS moves the copy to the dead-letter queue.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from questline import clock
from questline.aws import client
from questline.errors import BadRequest
from questline.settings import get_settings
from questline.storage import get_table, keys
from questline.storage.keys import PK, SK
from questline.webhooks import records
from questline.webhooks.signing import signed_headers
from questline.webhooks.targets import Target, resolve_target

logger = logging.getLogger(__name__)

_MAX_RESPONSE_BYTES = 1024


class Outcome(NamedTuple):
    status: int | None  # the receiver's status code, None when no answer came
    latency_ms: float
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class DeliveryFailed(Exception):
    """The receiver did not accept the message: the queue offers it again in `retry_in` seconds, or, after
    the last attempt (`retry_in` None), moves it to the dead-letter queue."""

    def __init__(self, outcome: Outcome, *, retry_in: int | None) -> None:
        super().__init__(outcome.error or f"receiver answered {outcome.status}")
        self.outcome = outcome
        self.retry_in = retry_in


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def post(target: Target, body: str, headers: dict[str, str], timeout: float) -> Outcome:
    connection: http.client.HTTPConnection = (
        _PinnedHTTPSConnection(target, timeout)
        if target.scheme == "https"
        else _PinnedHTTPConnection(target, timeout)
    )
    started = time.perf_counter()
    try:
        connection.request(
            "POST", target.path, body=body.encode(), headers={**headers, "user-agent": "Questline-Webhooks/1"}
        )
        response = connection.getresponse()
        response.read(_MAX_RESPONSE_BYTES)
        return Outcome(status=response.status, latency_ms=_since(started))
    except (OSError, http.client.HTTPException) as error:
        return Outcome(status=None, latency_ms=_since(started), error=type(error).__name__)
    finally:
        connection.close()


def retry_delay(attempt: int, *, base: int, cap: int) -> int:
    """Seconds before the next attempt after failed attempt number `attempt` (1-based): doubling from
    `base`, never more than `cap` (SQS visibility timeouts are whole seconds)."""
    return int(min(cap, base * 2 ** min(attempt - 1, 32)))


def attempt(hook: Mapping[str, Any], message: Mapping[str, Any]) -> Outcome:
    """One signed POST of `message` to `hook`; a target that fails the address checks now is a failed
    attempt (its DNS may have changed since the hook was registered), never a connection."""
    settings = get_settings()
    try:
        target = resolve_target(str(hook["uri"]), allow_loopback=settings.allow_loopback_webhooks)
    except BadRequest as refused:
        return Outcome(status=None, latency_ms=0.0, error=refused.message)
    body = json.dumps(message["payload"], separators=(",", ":"))
    headers = signed_headers(str(hook["secret"]), str(message["message_id"]), int(time.time()), body)
    return post(target, body, headers, float(settings.webhook_timeout_seconds))


def process(message: Mapping[str, Any], *, receive_count: int, receipt_handle: str) -> str:
    """Deliver one queued copy of a message (see `fanout.build_message`) and record what happened.

    Answers `delivered`, or why the copy was dropped without a request: `duplicate` (this generation was
    delivered already), `superseded` (a redelivery queued a newer generation), `dropped` (the hook was
    deleted). A failed attempt is recorded, the copy's visibility set to the retry delay (0 after the last
    attempt, so SQS moves it to the dead-letter queue at once), and `DeliveryFailed` raised so the batch
    reports it.
    """
    entity_id, generation = str(message["entity_id"]), int(message.get("generation", 1))
    hook_key = keys.webhook(entity_id, str(message["scope"]), str(message["hook_id"]))
    record_key = records.key_of(message)
    found = {
        (item[PK], item[SK]): item for item in get_table().batch_get([hook_key, record_key], consistent=True)
    }
    hook = found.get((hook_key[PK], hook_key[SK]))
    record = found.get((record_key[PK], record_key[SK]))
    if record is not None:
        stored = int(record.get("generation", 1))
        if stored > generation:
            return "superseded"
        if stored == generation and record.get("status") == records.DELIVERED:
            return "duplicate"
    if hook is None:
        records.update_after(message, records.DROPPED)
        return "dropped"
    settings = get_settings()
    outcome = attempt(hook, message)
    last = receive_count >= settings.webhook_max_attempts
    status = records.DELIVERED if outcome.delivered else records.DEAD if last else records.RETRYING
    records.update_after(
        message,
        status,
        {
            "attempt": receive_count,
            "generation": generation,
            "at": clock.iso(),
            "status_code": outcome.status,
            "latency_ms": outcome.latency_ms,
            "error": outcome.error,
        },
    )
    if outcome.delivered:
        return "delivered"
    delay = (
        0
        if last
        else retry_delay(
            receive_count, base=settings.webhook_retry_base_seconds, cap=settings.webhook_retry_max_seconds
        )
    )
    _show_again_in(receipt_handle, delay)
    raise DeliveryFailed(outcome, retry_in=None if last else delay)


def later_copies(bodies: Mapping[str, str]) -> set[str]:
    """Of the copies in one batch (SQS message id -> body), those repeating an earlier copy's message and
    generation: the first copy delivers (and retries) it, so the others are dropped. Copies of one
    message in one batch happen when the stream queued it twice (a crash between queueing and recording)."""
    seen: set[tuple[str, int]] = set()
    later: set[str] = set()
    for sqs_id, body in bodies.items():
        try:
            message = json.loads(body)
            identity = (str(message["message_id"]), int(message.get("generation", 1)))
        except (ValueError, TypeError, KeyError):
            continue  # not ours to judge: its own delivery fails
        if identity in seen:
            later.add(sqs_id)
        seen.add(identity)
    return later


def _show_again_in(receipt_handle: str, seconds: int) -> None:
    """The queue offers the copy again after `seconds`. Should SQS refuse, the copy comes back after the
    queue's visibility timeout instead, which only changes when."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client("sqs").change_message_visibility(
            QueueUrl=get_settings().webhook_queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )
    except (BotoCoreError, ClientError) as error:
        logger.warning("could not set the retry delay", extra={"error": type(error).__name__})


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
