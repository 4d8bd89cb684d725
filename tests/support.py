"""Test helpers shared by the unit and integration suites."""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


def is_request_count(item: dict[str, Any]) -> bool:
    """A tenant's count of write requests in one second (`questline.tenancy.limits`): every write request
    adds to it, valid or not, so snapshots that show a refused request changed nothing leave it out (a
    test of the limits looks at it instead). Works on stored items and on raw AttributeValue maps."""
    pk = item.get("PK")
    pk = pk.get("S") if isinstance(pk, dict) else pk
    return isinstance(pk, str) and pk.startswith("LIMIT#") and "#W#" in pk


def logging_stack(**options: Any) -> Any:
    """A local stack on free ports whose log lines are kept in its `logs` (a failing test shows them)."""
    from local.stack import LocalStack

    logs: list[str] = []
    stack = LocalStack(port=0, state_file=None, log=logs.append, visibility_timeout=1, **options)
    stack.logs = logs  # type: ignore[attr-defined]
    return stack


class Receiver:
    """A webhook receiver on loopback that answers the status codes it is told to, then 200. `port`
    brings a receiver back up where a stopped one was."""

    def __init__(self, statuses: list[int] | None = None, *, port: int = 0) -> None:
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

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def attach_stack_log(report: Any, stack: Any) -> None:
    """On a failing test's report: the local stack's last log lines (function logs, access log)."""
    logs = getattr(stack, "logs", None)
    if report.when == "call" and report.failed and logs:
        tail = "\n".join(line[:400] for line in logs[-60:])
        report.sections.append(("local stack log (last 60 lines)", tail))


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


def endu_link(entity_id: str, **identity: Any) -> dict[str, Any]:
    """An Endu `LINK` event of the entity (an organization id), naming the identifiers given."""
    return {
        "property_id": "p",
        "organization_id": entity_id,
        "timestamp": "1672536219",
        "event_type": "LINK",
        "event_data": {},
        **identity,
    }


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


class FakeOAuthProvider:
    """Twitter (X), Discord and Slack OAuth 2.0 on loopback, as their real endpoints answer:

    * `POST /twitter/2/oauth2/token` (client id and secret as HTTP Basic, PKCE `code_verifier`) and
      `GET /twitter/2/users/me`;
    * `POST /discord/oauth2/token` (client id and secret in the form) and `GET /discord/users/@me`;
    * `POST /slack/oauth.v2.access` (errors as 200 with `"ok": false`).

    A code starting with `good` is accepted once; `boom` makes the provider fail with a 500; anything else is
    refused as the provider refuses it. Every token it hands out is unique, so tests can look for it.
    """

    CLIENTS = {
        "twitter": ("tw-client", "tw-secret"),
        "discord": ("dc-client", "dc-secret"),
        "slack": ("sl-client", "sl-secret"),
    }

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], dict[str, str]]] = []
        self.issued: list[str] = []  # every access and refresh token handed out
        self.used_codes: set[str] = set()
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _oauth_handler(self))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def parameters(self) -> dict[str, str]:
        """Template parameter overrides that point the social function at this provider."""
        return {
            "TwitterOAuthBaseUrl": f"{self.url}/twitter",
            "TwitterClientId": self.CLIENTS["twitter"][0],
            "DiscordOAuthBaseUrl": f"{self.url}/discord",
            "DiscordClientId": self.CLIENTS["discord"][0],
            "SlackOAuthBaseUrl": f"{self.url}/slack",
            "SlackClientId": self.CLIENTS["slack"][0],
        }

    def secrets(self) -> dict[str, str]:
        """The client secrets, by their names under the stack's parameter path (SecureStrings there)."""
        return {f"oauth/{provider}-client-secret": secret for provider, (_, secret) in self.CLIENTS.items()}

    def token(self, name: str) -> str:
        with self._lock:
            value = f"{name}-{next(self._counter)}-{secrets.token_hex(4)}"
            self.issued.append(value)
        return value

    def spend(self, code: str) -> bool:
        with self._lock:
            if not code.startswith("good") or code in self.used_codes:
                return False
            self.used_codes.add(code)
            return True

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _oauth_handler(provider: FakeOAuthProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _headers(self) -> dict[str, str]:
            return {k.lower(): v for k, v in self.headers.items()}

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            length = int(self.headers.get("content-length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            provider.requests.append(("POST", path, self._headers(), form))
            exchange = {
                "/twitter/2/oauth2/token": self._twitter_token,
                "/discord/oauth2/token": self._discord_token,
                "/slack/oauth.v2.access": self._slack_access,
            }.get(path)
            if form.get("code") == "boom":
                self._answer(500, {"error": "server_error"})
            elif exchange is None:
                self._answer(404, {"error": "not_found"})
            else:
                exchange(form)

        def _twitter_token(self, form: dict[str, str]) -> None:
            client_id, secret = provider.CLIENTS["twitter"]
            basic = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
            if self._headers().get("authorization") != basic:
                self._answer(401, {"error": "unauthorized_client"})
            elif not form.get("code_verifier") or not provider.spend(form.get("code", "")):
                self._answer(400, {"error": "invalid_request"})
            else:
                self._answer(
                    200,
                    {
                        "token_type": "bearer",
                        "expires_in": 7200,
                        "access_token": provider.token("tw-access"),
                        "refresh_token": provider.token("tw-refresh"),
                        "scope": "tweet.read users.read offline.access",
                    },
                )

        def _discord_token(self, form: dict[str, str]) -> None:
            if (form.get("client_id"), form.get("client_secret")) != provider.CLIENTS["discord"]:
                self._answer(401, {"error": "invalid_client"})
            elif not provider.spend(form.get("code", "")):
                self._answer(400, {"error": "invalid_grant"})
            else:
                self._answer(
                    200,
                    {
                        "access_token": provider.token("dc-access"),
                        "token_type": "Bearer",
                        "expires_in": 604800,
                        "refresh_token": provider.token("dc-refresh"),
                        "scope": "identify guilds",
                    },
                )

        def _slack_access(self, form: dict[str, str]) -> None:
            if (form.get("client_id"), form.get("client_secret")) != provider.CLIENTS["slack"]:
                self._answer(200, {"ok": False, "error": "invalid_client_id"})
            elif not provider.spend(form.get("code", "")):
                self._answer(200, {"ok": False, "error": "invalid_code"})
            else:
                self._answer(
                    200,
                    {
                        "ok": True,
                        "access_token": provider.token("xoxb"),
                        "token_type": "bot",
                        "scope": "chat:write",
                        "bot_user_id": "U0KRQLJ9H",
                        "team": {"name": "Questline HQ", "id": "T9TK3CUKW"},
                    },
                )

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            headers = self._headers()
            provider.requests.append(("GET", path, headers, {}))
            bearer = headers.get("authorization", "").removeprefix("Bearer ")
            if bearer not in provider.issued:
                self._answer(401, {"error": "invalid_token"})
            elif path == "/twitter/2/users/me":
                self._answer(200, {"data": {"id": "2244994945", "username": "questline_dev"}})
            elif path == "/discord/users/@me":
                self._answer(200, {"id": "80351110224678912", "username": "questline"})
            else:
                self._answer(404, {"error": "not_found"})

        def log_message(self, *args: object) -> None:
            return

    return Handler
