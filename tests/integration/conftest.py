"""Integration tests: the local stack, started in this process from template.yaml, called over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.stack import LocalStack
from tests.support import FakeOAuthProvider, Receiver


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
        parameter_overrides=oauth_provider.parameters(),
    )
    local.logs = logs  # type: ignore[attr-defined]
    local.start()
    yield local
    local.stop()


@pytest.fixture(scope="package")
def api(stack: LocalStack) -> Api:
    return Api(stack)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()
