"""The replay suite: requests as the vendors' own clients send them (VENDOR-NOTES.md; read from the public
SDK sources), byte for byte, through the local stack over real HTTP, each asserting what was stored.

Each module plays one client against a tenant of its own (a platform user, an entity and its keys, made
through the Entity API as any integrator's would be), so what a replay stored is easy to find and to tell
from everything else in the table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import requests

from local.stack import LocalStack
from questline.storage import keys
from questline.storage.codec import from_item
from tests.integration.conftest import new_tenant
from tests.support import attach_stack_log, eventually

# The iOS SDK's DateFormatter and the Android SDK's DateAdapter read this format, and only this one.
SDK_DATE = "%Y-%m-%dT%H:%M:%S.%fZ"
_MILLISECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class Replay:
    """Raw requests to the running stack, and reads of what it stored."""

    def __init__(self, stack: LocalStack, tenant: dict[str, Any]) -> None:
        self.stack = stack
        self.url: str = stack.state["api_url"]
        self.tenant = tenant
        self.entity_id: str = tenant["entity_id"]
        self.http = requests.Session()

    def send(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> requests.Response:
        """`body` goes out exactly as given; `headers` as the client sets them."""
        return self.http.request(method, self.url + path, headers=headers, data=body, timeout=30)

    # what was stored

    def item(self, key: dict[str, str]) -> dict[str, Any] | None:
        found = self.stack.client("dynamodb").get_item(
            TableName=self.stack.state["table_name"],
            Key={name: {"S": value} for name, value in key.items()},
            ConsistentRead=True,
        )
        return from_item(found["Item"]) if "Item" in found else None

    def items(self, partition: str, begins_with: str | None = None) -> list[dict[str, Any]]:
        condition, values = "PK = :pk", {":pk": {"S": partition}}
        if begins_with:
            condition, values = condition + " AND begins_with(SK, :sk)", {**values, ":sk": {"S": begins_with}}
        found = self.stack.client("dynamodb").query(
            TableName=self.stack.state["table_name"],
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ConsistentRead=True,
        )
        return [from_item(item) for item in found["Items"]]

    def owner_of(self, kind: str, value: str) -> str | None:
        """The identity an identifier belongs to (`uid`, `anon`, `acct`, `wallet`…), or None."""
        claim = self.item(keys.identifier(self.entity_id, f"{kind}#{value}"))
        return str(claim["identity_id"]) if claim else None

    def identity(self, identity_id: str) -> dict[str, Any]:
        found = self.item(keys.identity(self.entity_id, identity_id))
        assert found is not None, identity_id
        return found

    def logs_of(self, identity_id: str) -> list[dict[str, Any]]:
        return self.items(keys.identity_partition(self.entity_id, identity_id), keys.LOG_PREFIX)

    def devices_of(self, identity_id: str) -> list[dict[str, Any]]:
        return self.items(keys.identity_partition(self.entity_id, identity_id), keys.DEVICE_PREFIX)

    def notifications_of(self, identity_id: str) -> list[dict[str, Any]]:
        return self.items(keys.notifications_of(self.entity_id, identity_id))

    def mobile_headers(self, user_agent: str, **extra: str) -> dict[str, str]:
        """What the iOS and Android SDKs send on every request (GET too), with the app's publishable key."""
        return {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {self.tenant['public_key']}",
            "User-Agent": user_agent,
            **extra,
        }

    def preflight(self, path: str, origin: str, method: str, request_headers: str) -> set[str]:
        """A browser's CORS preflight: answered 204 for any origin; the allowed request headers."""
        reply = self.send(
            "OPTIONS",
            path,
            {
                "Origin": origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": request_headers,
            },
        )
        assert reply.status_code == 204, reply.text
        assert reply.headers["access-control-allow-origin"] == "*"
        return set(reply.headers["access-control-allow-headers"].split(","))

    def show_and_consume(
        self, headers: Callable[..., dict[str, str]], anonymous_id: str, external_id: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The mobile SDKs' auto-show: wait for the stream to make the person's notification, read the page
        with `x-anonymous-id`/`x-external-id`, decode it as the SDKs do, consume the first with `PUT`.
        Answers the notification as decoded and as stored afterwards."""
        person = self.owner_of("uid", external_id)
        assert person is not None
        eventually(lambda: self.notifications_of(person))
        user = {"x-anonymous-id": anonymous_id, "x-external-id": external_id}
        page = self.send("GET", "/api/client/notifications", headers(**user))
        assert page.status_code == 200, page.text
        (notification,) = decode_notification_page(page.json())
        consumed = self.send(
            "PUT",
            f"/api/client/notifications/{notification['id']}",
            headers(),
            json.dumps(
                {"anonymous_id": anonymous_id, "external_id": external_id}, separators=(",", ":")
            ).encode(),
        )
        assert (consumed.status_code, consumed.content) == (204, b"")
        assert (
            decode_notification_page(self.send("GET", "/api/client/notifications", headers(**user)).json())
            == []
        )
        (stored,) = self.notifications_of(person)
        return notification, stored

    def publish_campaign(self, pid: str, definition: dict[str, Any]) -> None:
        """Through the Entity API, as the entity's owner."""
        owner = {"userid": self.tenant["user_id"], "token": self.tenant["user_token"]}
        campaigns = f"{self.url}/api/entities/{self.entity_id}/campaigns/{pid}"
        for method, url, body in (("PUT", campaigns, definition), ("POST", f"{campaigns}/publish", {})):
            reply = requests.request(method, url, json=body, headers=owner, timeout=30)
            assert reply.status_code == 200, reply.text


def decode_sdk_date(value: str | None) -> datetime | None:
    """As the SDKs' date decoders do: null, or exactly `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` (else they throw)."""
    if value is None:
        return None
    assert _MILLISECONDS.match(value), value
    return datetime.strptime(value, SDK_DATE)


def decode_notification_page(page: Any) -> list[dict[str, Any]]:
    """What the iOS (`Page<ParcelvoyNotification>`, JSONDecoder with convertFromSnakeCase) and Android
    (`Page<ParcelvoyNotification>`, Gson) decoders require of a page, checked the way they would fail."""
    assert isinstance(page, dict) and isinstance(page["results"], list)
    assert page.get("next_cursor") is None or isinstance(page["next_cursor"], str)
    for notification in page["results"]:
        assert isinstance(notification["id"], int) and -(2**63) <= notification["id"] < 2**63  # Int, Long
        assert notification["id"] < 2**53  # a JavaScript number holds it exactly
        content_type, content = notification["content_type"], notification["content"]
        assert content_type in ("banner", "alert", "html")
        assert isinstance(content["title"], str) and isinstance(content["body"], str)
        assert content.get("read_on_show") is None or isinstance(content["read_on_show"], bool)
        if content_type == "html":
            assert isinstance(content["html"], str)
        if content_type == "alert":
            assert content.get("image") is None or isinstance(content["image"], str)
        decode_sdk_date(notification["read_at"])
        decode_sdk_date(notification["expires_at"])
    return list(page["results"])


NOTIFYING_CAMPAIGN: dict[str, Any] = {
    "name": "Replay season",
    "actions": [
        {"id": "first_level", "name": "Finish a level", "type": "events_count", "xp": 100,
         "meta": {"event": {"name": "level_completed"}, "target": 1}},
    ],
    "notifications": {"task": {"title": "Level up!", "body": "{{action.name}}: +{{xp}} XP"}},
}  # fmt: skip


@pytest.fixture(scope="package")
def stack() -> Iterator[LocalStack]:
    logs: list[str] = []
    local = LocalStack(
        port=0, state_file=None, log=logs.append, visibility_timeout=1, stack_name="questline-replay"
    )
    local.logs = logs  # type: ignore[attr-defined]
    local.start()
    yield local
    local.stop()


@pytest.fixture(scope="module")
def replay(stack: LocalStack, request: pytest.FixtureRequest) -> Replay:
    return Replay(stack, new_tenant(stack, f"Replay {request.module.__name__.rsplit('.', 1)[-1]}"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failing replay shows the local stack's last log lines."""
    outcome = yield
    replayed = item.funcargs.get("replay") if hasattr(item, "funcargs") else None
    attach_stack_log(outcome.get_result(), getattr(replayed, "stack", None))  # type: ignore[attr-defined]
