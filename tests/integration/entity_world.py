"""Platform users, entities and keys created through the Entity API of the running local stack (each test
makes its own rather than changing the seeded demo entity)."""

from __future__ import annotations

import itertools
import secrets
from typing import Any, NamedTuple

from tests.integration.conftest import Api

_serial = itertools.count(1)


class User(NamedTuple):
    user_id: str
    token: str
    email: str

    @property
    def headers(self) -> dict[str, str]:
        return {"userid": self.user_id, "token": self.token}


class Tenant(NamedTuple):
    """An entity with its owner, an admin, keys, an alias and a custom id."""

    entity_id: str
    name: str
    alias: str
    owner: User
    admin: User
    secret_key: str
    secret_key_id: str
    public_key: str
    custom_id: str


def operator(api: Api) -> dict[str, str]:
    return api.bearer(api.state["operator_key"])


def new_user(api: Api, name: str = "User") -> User:
    email = f"{name.lower().replace(' ', '-')}-{next(_serial)}-{secrets.token_hex(3)}@example.com"
    reply = api.post("/api/users", headers=operator(api), json={"email": email, "name": name})
    assert reply.status_code == 201, reply.text
    data = reply.json()["data"]
    return User(data["userId"], data["token"], email)


def new_entity(api: Api, owner: User, name: str, **fields: Any) -> str:
    reply = api.post(
        "/api/entities", headers=owner.headers, json={"name": name, "chainSource": "OFF_CHAIN", **fields}
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["entityId"])


def new_key(api: Api, user: User, entity_id: str, kind: str) -> tuple[str, str]:
    reply = api.post(f"/api/entities/{entity_id}/keys", headers=user.headers, json={"type": kind})
    assert reply.status_code == 201, reply.text
    return reply.json()["data"]["keyId"], reply.json()["data"]["key"]


def new_tenant(api: Api, label: str) -> Tenant:
    unique = secrets.token_hex(4)
    owner, admin = new_user(api, f"{label} owner"), new_user(api, f"{label} admin")
    name = f"{label} entity {unique}"
    alias = f"{label.lower()}-{unique}"
    entity_id = new_entity(api, owner, name, entityURLAlias=alias)
    added = api.post(f"/api/entities/{entity_id}/admins", headers=owner.headers, json={"email": admin.email})
    assert added.status_code == 200, added.text
    secret_id, secret = new_key(api, owner, entity_id, "sk")
    _, public = new_key(api, owner, entity_id, "pk")
    custom_id = f"guild-{unique}"
    claimed = api.post(
        f"/api/entities/{entity_id}/custom-ids",
        headers=owner.headers,
        json={
            "platform": "DISCORD",
            "platformId": custom_id,
            "accessToken": f"{label}-discord-token-{unique}",
        },
    )
    assert claimed.status_code == 201, claimed.text
    return Tenant(entity_id, name, alias, owner, admin, secret, secret_id, public, custom_id)
