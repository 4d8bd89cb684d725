"""Integration tests: the local stack, started in this process from template.yaml, called over real HTTP."""

from __future__ import annotations

import os
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


# Which stack the tests talk to (docs/operate/fidelity.md):
#   source (default)  the local stack running the source tree in this Python
#   built:dev         the local stack running the `sam build` output as Lambda does (make fidelity-build),
#   built:prod        with dev's or prod's parameter values from samconfig.toml
#   deployed          a stack on AWS, from ops.deploy's outputs (QUESTLINE_STACK_OUTPUTS) and its operator key
#                     (QUESTLINE_OPERATOR_KEY)
TARGET = os.environ.get("QUESTLINE_TEST_STACK", "source")


@pytest.fixture(scope="package")
def stack(oauth_provider: FakeOAuthProvider) -> Iterator[LocalStack]:
    mode, _, environment = TARGET.partition(":")
    if mode == "deployed":
        from tests.integration.deployed import DeployedStack

        yield DeployedStack.from_environment()  # type: ignore[misc]
        return
    options: dict[str, Any] = {}
    if mode == "built":
        from local import fidelity

        options = fidelity.stack_options(environment)
    elif mode != "source":
        raise ValueError(f"QUESTLINE_TEST_STACK={TARGET!r}: source, built:dev, built:prod or deployed")
    logs: list[str] = []
    local = LocalStack(
        port=0,
        state_file=None,
        log=logs.append,
        visibility_timeout=1,
        # Five webhook attempts (the local stage waits 1, 2, 4, 4 s between them) keep the DLQ tests short.
        parameter_overrides={
            **options.pop("parameter_overrides", {}),
            **oauth_provider.parameters(),
            "WebhookMaxAttempts": "5",
        },
        secrets=oauth_provider.secrets(),
        **options,
    )
    local.logs = logs  # type: ignore[attr-defined]
    local.start()
    yield local
    never_ran = [name for name, pool in local.pools.items() if not pool.cold_starts]
    local.stop()
    if mode == "built":  # the fidelity subset must reach every function (.ci/run chooses it)
        assert never_ran == [], f"functions the tests never invoked in {TARGET}: {never_ran}"


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
    if not entity["isEnabled"]:  # a deployed stage waits for the operator (the local one enables at once)
        call("POST", f"/api/entities/{entity['entityId']}/enable", operator, {})
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
