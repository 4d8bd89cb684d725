"""Integration tests: the local stack, started in this process from template.yaml, called over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.stack import LocalStack
from tests.support import FakeOAuthProvider, Receiver, attach_stack_log


class Api:
    """A thin HTTP client for the running stack that remembers its seeded credentials."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.state: dict[str, Any] = stack.state
        self.url: str = stack.state["api_url"]
        self.http = requests.Session()

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.url + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.post(self.url + path, timeout=30, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, self.url + path, timeout=30, **kwargs)

    def bearer(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="package")
def oauth_provider() -> Iterator[FakeOAuthProvider]:
    """Twitter, Discord and Slack OAuth on loopback; the stack's entities function is pointed at it."""
    provider = FakeOAuthProvider()
    yield provider
    provider.stop()


@pytest.fixture(scope="package")
def stack(oauth_provider: FakeOAuthProvider) -> Iterator[LocalStack]:
    logs: list[str] = []
    local = LocalStack(
        port=0,
        state_file=None,
        log=logs.append,
        visibility_timeout=1,
        # Five webhook attempts (the local stage waits 1, 2, 4, 4 s between them) keep the DLQ tests short.
        parameter_overrides={**oauth_provider.parameters(), "WebhookMaxAttempts": "5"},
    )
    local.logs = logs  # type: ignore[attr-defined]
    local.start()
    yield local
    local.stop()


@pytest.fixture(scope="package")
def api(stack: LocalStack) -> Api:
    return Api(stack)


@pytest.fixture(scope="package")
def other_entity(stack: LocalStack) -> dict[str, Any]:
    """A second tenant (its own platform user, entity and keys), made through the Entity API."""
    return new_tenant(stack, "Other tenant")


def new_tenant(stack: LocalStack, name: str) -> dict[str, Any]:
    import uuid

    url, operator = stack.state["api_url"], {"authorization": f"Bearer {stack.state['operator_key']}"}

    def call(method: str, path: str, headers: dict[str, str], body: Any) -> Any:
        response = requests.request(method, url + path, json=body, headers=headers, timeout=30)
        assert response.status_code < 300, response.text
        return response.json()["data"]

    user = call(
        "POST", "/api/users", operator, {"email": f"{uuid.uuid4().hex[:12]}@example.com", "name": name}
    )
    as_user = {"userid": user["userId"], "token": user["token"]}
    entity = call("POST", "/api/entities", as_user, {"name": name, "chainSource": "OFF_CHAIN"})
    keys = f"/api/entities/{entity['entityId']}/keys"
    return {
        "user_id": user["userId"],
        "user_token": user["token"],
        "entity_id": entity["entityId"],
        "secret_key": call("POST", keys, as_user, {"type": "sk", "name": "sk"})["key"],
        "public_key": call("POST", keys, as_user, {"type": "pk", "name": "pk"})["key"],
    }


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failing integration test shows the local stack's last log lines (function logs, access log)."""
    outcome = yield
    stack = item.funcargs.get("stack") if hasattr(item, "funcargs") else None
    attach_stack_log(outcome.get_result(), stack)  # type: ignore[attr-defined]
