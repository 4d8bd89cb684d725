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
    invitation_id: str = ""  # an admin invitation of the entity, pending (addressed to nobody's account)


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
    owner = new_user(api, f"{label} owner")
    name = f"{label} entity {unique}"
    alias = f"{label.lower()}-{unique}"
    entity_id = new_entity(api, owner, name, entityURLAlias=alias)
    return furnish_tenant(api, label, entity_id, owner, name=name, alias=alias)


def furnish_tenant(
    api: Api,
    label: str,
    entity_id: str,
    owner: User,
    *,
    name: str,
    alias: str,
    secret_key: str | None = None,
    public_key: str | None = None,
) -> Tenant:
    """An existing entity made a `Tenant`: an admin, a claimed custom id, and its keys (made here unless
    given, such as the local stack's seeded ones)."""
    unique = secrets.token_hex(4)
    admin = new_user(api, f"{label} admin")
    invited = api.post(
        f"/api/entities/{entity_id}/admins", headers=owner.headers, json={"email": admin.email}
    )
    assert invited.status_code == 200, invited.text
    accepted = api.post(
        f"/api/entities/{entity_id}/invitations/{invited.json()['data']['invitationId']}/accept",
        headers=admin.headers,
    )
    assert accepted.status_code == 200, accepted.text
    pending = api.post(
        f"/api/entities/{entity_id}/admins",
        headers=owner.headers,
        json={"email": f"invitee-{unique}@example.com"},
    )
    assert pending.status_code == 200, pending.text
    if secret_key is None:
        secret_id, secret_key = new_key(api, owner, entity_id, "sk")
    else:
        secret_id = key_id_of(api, owner, entity_id, secret_key)
    if public_key is None:
        _, public_key = new_key(api, owner, entity_id, "pk")
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
    return Tenant(
        entity_id,
        name,
        alias,
        owner,
        admin,
        secret_key,
        secret_id,
        public_key,
        custom_id,
        pending.json()["data"]["invitationId"],
    )


def key_id_of(api: Api, user: User, entity_id: str, key: str) -> str:
    """The id of one of the entity's keys, found by its masked form in the key list."""
    prefix, _, rest = key.partition("_")
    masked = f"{prefix}_{rest[:4]}…{rest[-4:]}"
    listed = api.get(f"/api/entities/{entity_id}/keys", headers=user.headers)
    assert listed.status_code == 200, listed.text
    return next(str(k["keyId"]) for k in listed.json()["data"] if k["maskedKey"] == masked)
