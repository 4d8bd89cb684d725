"""The local HTTP API: API Gateway HTTP API (payload format 2.0) in front of the function pools.

Routes come from the template's `HttpApi` events. Each request becomes a real v2 event (routeKey,
rawPath, rawQueryString, cookies, lower-cased comma-joined headers, pathParameters, requestContext,
base64 bodies for binary media types) and each function result is mapped back as API Gateway maps it
(a dict without `statusCode` is a 200 JSON body). As API Gateway fails, so does it: a body over 10 MB, or
one whose Lambda event would exceed Lambda's 6 MB, is a 413 before any function runs; every function error
(it raised, its process died, it ran past its own timeout, it answered over 6 MB) is a 500
`{"message":"Internal Server Error"}`; only the integration's timeout (the route's `TimeoutInMillis`, at
most 30 s) is a 503 `{"message":"Service Unavailable"}`, while the function runs on to its own end.
CORS preflights are answered from the HTTP API's CORS configuration.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import json
import queue
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from local.runtime import MAX_PAYLOAD_BYTES as LAMBDA_PAYLOAD_BYTES
from local.runtime import FunctionPool, Invocation
from local.template import ACCOUNT_ID, HttpRoute

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's own limit
_JSON = {"content-type": "application/json"}
TOO_LARGE = (413, b'{"message":"Request Entity Too Large"}')
UNAVAILABLE = (503, b'{"message":"Service Unavailable"}')
_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/javascript",
    "application/xml",
    "application/x-www-form-urlencoded",
)


@dataclass
class _CompiledRoute:
    route: HttpRoute
    pool: FunctionPool
    pattern: re.Pattern[str]
    literal_segments: int
    greedy: bool


def _compile(route: HttpRoute, pool: FunctionPool) -> _CompiledRoute:
    segments = [s for s in route.path.split("/") if s]
    parts, literals, greedy = [], 0, False
    for segment in segments:
        match = re.fullmatch(r"\{(\w+)(\+?)\}", segment)
        if match and match.group(2):
            parts.append(f"(?P<{match.group(1)}>.+)")
            greedy = True
        elif match:
            parts.append(f"(?P<{match.group(1)}>[^/]+)")
        else:
            parts.append(re.escape(segment))
            literals += 1
    return _CompiledRoute(route, pool, re.compile("^/" + "/".join(parts) + "/?$"), literals, greedy)


class Router:
    def __init__(self) -> None:
        self._routes: list[_CompiledRoute] = []

    def add(self, route: HttpRoute, pool: FunctionPool) -> None:
        self._routes.append(_compile(route, pool))
        # API Gateway prefers the most specific route: more literal segments, and greedy ones last.
        self._routes.sort(key=lambda r: (r.greedy, -r.literal_segments, r.route.method == "ANY"))

    @property
    def routes(self) -> list[HttpRoute]:
        return [r.route for r in self._routes]

    def match(self, method: str, path: str) -> tuple[_CompiledRoute, dict[str, str]] | None:
        for compiled in self._routes:
            if compiled.route.method not in (method, "ANY"):
                continue
            found = compiled.pattern.match(path)
            if found:
                return compiled, {k: unquote(v) for k, v in found.groupdict().items()}
        return None


def build_event(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    route_key: str,
    path_parameters: Mapping[str, str],
    source_ip: str,
    host: str,
) -> dict[str, Any]:
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        lower = name.lower()
        if lower == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        joined[lower] = f"{joined[lower]},{value}" if lower in joined else value
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    now = datetime.now(UTC)
    content_type = joined.get("content-type", "").lower()
    text_body = not content_type or content_type.startswith(_TEXT_TYPES) or "json" in content_type
    encoded_body: str | None = None
    base64_encoded = False
    if body:
        try:
            encoded_body = body.decode("utf-8") if text_body else None
        except UnicodeDecodeError:
            encoded_body = None
        if encoded_body is None:
            encoded_body, base64_encoded = base64.b64encode(body).decode(), True
    request_id = uuid.uuid4().hex[:16]
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": joined,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".", maxsplit=1)[0].split(":", maxsplit=1)[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": base64_encoded,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if encoded_body is not None:
        event["body"] = encoded_body
    return event


def map_result(outcome: Invocation) -> tuple[int, dict[str, str], list[str], bytes]:
    """A function's answer as API Gateway (payload 2.0) turns it into an HTTP response."""
    if not outcome.ok:  # Lambda reports a timeout, a crash and an oversized answer as function errors
        return 500, dict(_JSON), [], b'{"message":"Internal Server Error"}'
    result = outcome.result
    if not isinstance(result, dict) or "statusCode" not in result:
        return 200, {"content-type": "application/json"}, [], json.dumps(result).encode()
    headers = {str(k).lower(): str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[str(name).lower()] = ",".join(map(str, values))
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    return int(result["statusCode"]), headers, list(result.get("cookies") or []), raw


@dataclass
class Cors:
    allow_origins: list[str]
    allow_headers: list[str]
    allow_methods: list[str]
    max_age: int | None
    expose_headers: list[str] = field(default_factory=list)

    def headers_for(self, origin: str | None) -> dict[str, str]:
        """What API Gateway adds to a response for a request from `origin`."""
        if not origin or not self.allow_origins:
            return {}
        if "*" in self.allow_origins:
            allowed = {"access-control-allow-origin": "*"}
        elif origin in self.allow_origins:
            allowed = {"access-control-allow-origin": origin}
        else:
            return {}
        if self.expose_headers:
            allowed["access-control-expose-headers"] = ",".join(self.expose_headers)
        return allowed


class PortInUse(OSError):
    """The gateway's port is taken (by another local stack, most likely)."""


class _Server(ThreadingHTTPServer):
    # Python's default listen backlog is 5: a burst of new connections (a test suite, a load script, a
    # browser opening a page) then waits a second for the kernel to retry each connection it dropped.
    request_queue_size = 128
    daemon_threads = True


class Gateway:
    """The HTTP API. `ready` is set once the stack is seeded: until then `GET /health` answers 503
    `{"status": "starting"}` (the seeding requests themselves go through), so a script can wait for it.
    `stop()` stops accepting, lets the requests in flight finish, then returns."""

    def __init__(
        self,
        router: Router,
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        cors: Cors | None = None,
        access_log: Callable[[str], None] | None = None,
    ) -> None:
        self.router = router
        self.cors = cors
        self.access_log = access_log
        self.ready = threading.Event()
        self.stopping = False
        self._in_flight = 0
        self._idle = threading.Condition()
        handler = _handler_class(self)
        try:
            self.server = _Server((host, port), handler)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUse(error.errno, f"port {port} on {host} is in use") from error
            raise
        self.thread = threading.Thread(target=self.server.serve_forever, name="gateway", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()

    @contextlib.contextmanager
    def _request(self) -> Iterator[None]:
        with self._idle:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def stop(self, drain_seconds: float = 60.0) -> None:
        self.stopping = True
        if self.thread.is_alive():
            self.server.shutdown()
        self.server.server_close()
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=drain_seconds)


def _invoke_within(pool: FunctionPool, event: dict[str, Any], seconds: float) -> Invocation | None:
    """The function's outcome, or None when the integration's timeout passes first (the invocation goes on,
    as Lambda's does, and its worker returns to the pool when it ends)."""
    outcomes: queue.Queue[Invocation] = queue.Queue(maxsize=1)
    threading.Thread(target=lambda: outcomes.put(pool.invoke(event)), daemon=True).start()
    try:
        return outcomes.get(timeout=seconds)
    except queue.Empty:
        return None


def _handler_class(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "QuestlineLocal/1"

        def setup(self) -> None:
            super().setup()
            # Headers and body leave in separate writes; without this, Nagle's algorithm and the client's
            # delayed ACK add 40 ms to every response on a kept-alive connection.
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(
            self, status: int, headers: Mapping[str, str], body: bytes, cookies: list[str] = ()
        ) -> None:  # type: ignore[assignment]
            self.send_response(status)
            sent = {k.lower() for k in headers}
            for name, value in headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            if "content-type" not in sent and body:
                self.send_header("content-type", "application/json")
            for cookie in cookies:
                self.send_header("set-cookie", cookie)
            self.send_header("apigw-requestid", uuid.uuid4().hex[:16])
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _read_body(self) -> bytes | None:
            if "chunked" in self.headers.get("transfer-encoding", "").lower():
                chunks, total = [], 0
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    total += size
                    if total > MAX_PAYLOAD_BYTES:
                        return None
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_PAYLOAD_BYTES:
                return None
            return self.rfile.read(length) if length else b""

        def _handle(self) -> None:
            with gateway._request():
                self._route()

        def _route(self) -> None:
            started = time.perf_counter()
            split = urlsplit(self.path)
            if gateway.stopping or (not gateway.ready.is_set() and split.path == "/health"):
                self.close_connection = gateway.stopping
                status = "stopping" if gateway.stopping else "starting"
                self._send(503, {"content-type": "application/json"}, json.dumps({"status": status}).encode())
                return
            origin = self.headers.get("origin")
            cors_headers = gateway.cors.headers_for(origin) if gateway.cors else {}
            try:
                body = self._read_body()
            except ValueError:
                self._send(400, {"content-type": "application/json"}, b'{"message":"Bad Request"}')
                return
            if body is None:
                self.close_connection = True
                self._send(TOO_LARGE[0], dict(_JSON), TOO_LARGE[1])
                return
            method = self.command.upper()
            if (
                method == "OPTIONS"
                and origin
                and self.headers.get("access-control-request-method")
                and gateway.cors
            ):
                preflight = {
                    **cors_headers,
                    "access-control-allow-methods": ",".join(gateway.cors.allow_methods),
                    "access-control-allow-headers": ",".join(gateway.cors.allow_headers),
                }
                if gateway.cors.max_age is not None:
                    preflight["access-control-max-age"] = str(gateway.cors.max_age)
                self._send(204, preflight, b"")
                return
            found = gateway.router.match(method, split.path)
            if found is None:
                self._send(
                    404, {"content-type": "application/json", **cors_headers}, b'{"message":"Not Found"}'
                )
                return
            compiled, parameters = found
            event = build_event(
                method=method,
                raw_path=split.path,
                raw_query=split.query,
                headers=list(self.headers.items()),
                body=body,
                route_key=compiled.route.route_key,
                path_parameters=parameters,
                source_ip=self.client_address[0],
                host=self.headers.get("host", "127.0.0.1"),
            )
            if (
                len(json.dumps(event).encode()) > LAMBDA_PAYLOAD_BYTES
            ):  # the body was read: keep the connection
                self._send(TOO_LARGE[0], {**_JSON, **cors_headers}, TOO_LARGE[1])
                return
            outcome = _invoke_within(compiled.pool, event, compiled.route.timeout_ms / 1000)
            if outcome is None:
                status, headers, cookies, payload = UNAVAILABLE[0], dict(_JSON), [], UNAVAILABLE[1]
            else:
                status, headers, cookies, payload = map_result(outcome)
            self._send(status, {**headers, **cors_headers}, payload, cookies)
            if gateway.access_log is not None:
                elapsed = (time.perf_counter() - started) * 1000
                cold = (
                    f" cold start {outcome.init_ms:.0f} ms" if outcome and outcome.init_ms is not None else ""
                )
                gateway.access_log(f"{method} {split.path} -> {status} {elapsed:.1f} ms{cold}")

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    return Handler
