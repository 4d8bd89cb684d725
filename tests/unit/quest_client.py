"""The Entity API in this process, as a client sees it: requests become real HTTP API v2 events (routed from
the template, as the local gateway routes them) and run through the entities function's handler."""

from __future__ import annotations

import json
from typing import Any, NamedTuple
from urllib.parse import urlencode

import boto3

from local.gateway import Router, build_event
from tests.support import is_request_count
from tests.unit.conftest import Aws

# The Entity API's functions: the entities function, the members function (users, admins, invitations) and
# the social function (social connections).
FUNCTIONS = ("EntitiesFunction", "EntityMembersFunction", "EntitySocialFunction")


class Reply(NamedTuple):
    status: int
    body: Any
    text: str
    headers: dict[str, str]

    @property
    def data(self) -> Any:
        return self.body["data"]

    @property
    def error(self) -> str:
        return str(self.body["error"])


class User(NamedTuple):
    user_id: str
    token: str
    email: str

    @property
    def headers(self) -> dict[str, str]:
        return {"userid": self.user_id, "token": self.token}


class Quest:
    def __init__(self, aws: Aws) -> None:
        self.aws = aws
        self.router = Router()
        specs = aws.template.functions()
        for function in FUNCTIONS:
            for route in specs[function].routes:
                self.router.add(route, function)  # type: ignore[arg-type]
        self._emails = 0

    @property
    def operator(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.aws.operator_key}"}

    @staticmethod
    def bearer(key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {key}"}

    def call(
        self,
        method: str,
        path: str,
        auth: dict[str, str] | None = None,
        body: Any = None,
        *,
        query: dict[str, Any] | None = None,
        raw: bytes | None = None,
    ) -> Reply:
        found = self.router.match(method, path)
        assert found is not None, f"no route for {method} {path}"
        compiled, parameters = found
        headers = {"content-type": "application/json", **(auth or {})}
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        event = build_event(
            method=method,
            raw_path=path,
            raw_query=urlencode(query or {}),
            headers=list(headers.items()),
            body=payload,
            route_key=compiled.route.route_key,
            path_parameters=parameters,
            source_ip="127.0.0.1",
            host="localhost",
        )
        response = self.aws.invoke(str(compiled.pool), event)
        text = response.get("body") or ""
        return Reply(response["statusCode"], json.loads(text) if text else None, text, response["headers"])

    # what most tests need first

    def new_user(self, name: str = "Test user") -> User:
        self._emails += 1
        email = f"user{self._emails}-{id(self)}@example.com"
        reply = self.call("POST", "/api/users", self.operator, {"email": email, "name": name})
        assert reply.status == 201, reply.text
        return User(reply.data["userId"], reply.data["token"], email)

    def new_entity(self, owner: User, name: str = "Game", **fields: Any) -> str:
        reply = self.call(
            "POST", "/api/entities", owner.headers, {"name": name, "chainSource": "OFF_CHAIN", **fields}
        )
        assert reply.status == 201, reply.text
        return str(reply.data["entityId"])

    def add_admin(self, inviter: dict[str, str], entity_id: str, admin: User, **body: Any) -> Reply:
        """Invite `admin` (by user id unless `body` names them) and accept as them: the accepted reply."""
        path = f"/api/entities/{entity_id}"
        invited = self.call("POST", f"{path}/admins", inviter, body or {"userId": admin.user_id})
        assert invited.status == 200, invited.text
        accepted = self.call(
            "POST", f"{path}/invitations/{invited.data['invitationId']}/accept", admin.headers
        )
        assert accepted.status == 200, accepted.text
        return accepted

    def new_key(self, user: User, entity_id: str, kind: str = "sk") -> tuple[str, str]:
        reply = self.call("POST", f"/api/entities/{entity_id}/keys", user.headers, {"type": kind})
        assert reply.status == 201, reply.text
        return str(reply.data["keyId"]), str(reply.data["key"])


def table_items(aws: Aws) -> list[dict[str, Any]]:
    """Every item of the table, in a stable order: compared before and after a refused request."""
    client = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        page = client.scan(TableName=aws.table_name, **({"ExclusiveStartKey": start} if start else {}))
        items.extend(i for i in page["Items"] if not is_request_count(i))
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    return sorted(items, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))
