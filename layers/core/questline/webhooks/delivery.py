"""One signed POST of a webhook message to its hook's URI, connecting to the address that was checked."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from typing import Any, NamedTuple

from questline.errors import NotFound
from questline.settings import get_settings
from questline.storage import get_table, keys
from questline.webhooks.signing import signed_headers
from questline.webhooks.targets import Target, resolve_target

_MAX_RESPONSE_BYTES = 1024


class Outcome(NamedTuple):
    status: int | None  # the receiver's status code, None when no answer came
    latency_ms: float
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class DeliveryFailed(Exception):
    """The receiver did not accept the message; the queue will offer it again."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.error or f"receiver answered {outcome.status}")
        self.outcome = outcome


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


def deliver(message: dict[str, Any]) -> Outcome:
    """Deliver one queued message (see `fanout.build_message`). Raises `DeliveryFailed` when the receiver
    does not answer 2xx, so the queue retries it and, after the last attempt, moves it to the DLQ."""
    hook = get_table().get(keys.webhook(message["entity_id"], message["scope"], message["hook_id"]))
    if hook is None:
        raise NotFound("the hook was deleted")
    settings = get_settings()
    target = resolve_target(hook["uri"], allow_loopback=settings.allow_loopback_webhooks)
    body = json.dumps(message["payload"], separators=(",", ":"))
    timestamp = int(time.time())
    headers = signed_headers(hook["secret"], message["message_id"], timestamp, body)
    outcome = post(target, body, headers, float(settings.webhook_timeout_seconds))
    if not outcome.delivered:
        raise DeliveryFailed(outcome)
    return outcome


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
