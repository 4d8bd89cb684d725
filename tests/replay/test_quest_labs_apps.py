"""The Quest Labs apps (browser apps, axios): `apiKey`, `userId`, `token` and sometimes `entityId` headers,
with `apisecret` and `entity-authentication-token` (preflighted); they read `res.data.entityDoc.id` from the
entity-create answer and `res.data.key` (`data.data.key`) from the key route, and call
`GET /api/users/{userId}`; the Quest Protocol seed adds users with the bare array `["userId"]`."""

from __future__ import annotations

import json
import uuid

from questline.storage import keys
from tests.replay.conftest import Replay

ORIGIN = "https://app.questlabs.example"


def app_headers(replay: Replay, **extra: str) -> dict[str, str]:
    """What the apps send: the entity's secret key as apiKey next to the platform user."""
    return {
        "Accept": "application/json, text/plain, */*",
        "Content-Type": "application/json",
        "apiKey": replay.tenant["secret_key"],
        "apisecret": "unused-by-questline",
        "userId": replay.tenant["user_id"],
        "token": replay.tenant["user_token"],
        "Origin": ORIGIN,
        **extra,
    }


def test_the_preflight_allows_every_header_the_apps_send(replay: Replay) -> None:
    sent = "apikey,apisecret,content-type,entity-authentication-token,entityid,token,userid"

    assert set(sent.split(",")) <= replay.preflight("/api/entities", ORIGIN, "POST", sent)


def test_create_an_entity_read_its_key_and_the_user(replay: Replay) -> None:
    alias = f"ql-{uuid.uuid4().hex[:10]}"
    body = json.dumps({"name": "Quest app", "chainSource": "OFF_CHAIN", "entityURLAlias": alias}).encode()

    created = replay.send("POST", "/api/entities", app_headers(replay), body)
    entity_id = created.json()["entityDoc"]["id"]  # res.data.entityDoc.id
    key_reply = replay.send(
        "POST",
        f"/api/entities/{entity_id}/keys",
        app_headers(replay, entityId=entity_id),
        b'{"type":"sk","name":"app"}',
    )
    user = replay.send("GET", f"/api/users/{replay.tenant['user_id']}", app_headers(replay))

    assert created.status_code == 201 and created.headers["access-control-allow-origin"] == "*"
    assert created.json()["entityId"] == entity_id == created.json()["data"]["entityId"]
    stored = replay.item(keys.entity(entity_id))
    assert (
        stored is not None
        and stored["name"] == "Quest app"
        and stored["owner_user_id"] == replay.tenant["user_id"]
    )
    assert key_reply.status_code == 201
    plain = key_reply.json()["key"]  # data.data.key of the axios response
    assert plain.startswith("sk_") and plain == key_reply.json()["data"]["key"]
    assert replay.send("GET", f"/api/entities/{entity_id}", {"apikey": plain}).status_code == 200
    assert user.status_code == 200
    assert user.json()["data"]["userId"] == replay.tenant["user_id"] and "token" not in user.json()["data"]


def test_the_seeds_bare_array_adds_users(replay: Replay) -> None:
    operator = {
        "authorization": f"Bearer {replay.stack.state['operator_key']}",
        "content-type": "application/json",
    }
    email = f"member-{uuid.uuid4().hex[:8]}@example.com"
    member = replay.send("POST", "/api/users", operator, json.dumps({"email": email, "name": "M"}).encode())
    member_id = member.json()["data"]["userId"]
    path = f"/api/entities/{replay.entity_id}/users"

    added = replay.send("POST", path, app_headers(replay), json.dumps([member_id]).encode())
    seed_example = replay.send("POST", path, app_headers(replay), b'["userId"]')

    assert added.status_code == 200, added.text
    membership = replay.item(keys.entity_member(replay.entity_id, member_id))
    assert membership is not None and membership["role"] == "MEMBER"
    assert seed_example.status_code == 404 and seed_example.json()["error"].startswith("userIds:")
