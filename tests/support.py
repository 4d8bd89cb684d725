"""Test helpers shared by the unit and integration suites."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    """A webhook receiver on loopback that answers the status codes it is told to, then 200."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def eventually(check: Callable[[], Any], *, timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Poll `check` until it returns something truthy (asynchronous pipelines settle in their own time)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def api_event(
    method: str,
    route: str,
    *,
    path: str | None = None,
    params: dict[str, str] | None = None,
    body: Any = None,
    raw_body: bytes | None = None,
    query: str = "",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, built as the local stack's gateway builds them."""
    import json

    from local.gateway import build_event

    sent = (
        {"content-type": "application/json", **(headers or {})}
        if body is not None or raw_body
        else dict(headers or {})
    )
    payload = raw_body if raw_body is not None else (json.dumps(body).encode() if body is not None else b"")
    return build_event(
        method=method,
        raw_path=path or route,
        raw_query=query,
        headers=list(sent.items()),
        body=payload,
        route_key=f"{method} {route}",
        path_parameters=params or {},
        source_ip="127.0.0.1",
        host="127.0.0.1:3000",
    )
