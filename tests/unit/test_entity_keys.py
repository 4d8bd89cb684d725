"""An entity's keys: shown once, stored hashed, listed masked; rotation keeps the old key for its grace
period; revocation stops a key at once; keys never mint keys."""

from __future__ import annotations

import time

import pytest

from questline.ids import secret_hash
from questline.storage import get_table, keys
from tests.unit.conftest import Aws
from tests.unit.quest_client import Quest, User, table_items


@pytest.fixture
def quest(aws: Aws) -> Quest:
    return Quest(aws)


@pytest.fixture
def owned(quest: Quest) -> tuple[User, str]:
    owner = quest.new_user()
    return owner, quest.new_entity(owner)


def test_a_created_key_is_shown_once_stored_hashed_and_listed_masked(
    quest: Quest, owned: tuple[User, str]
) -> None:
    owner, entity_id = owned

    created = quest.call(
        "POST", f"/api/entities/{entity_id}/keys", owner.headers, {"type": "sk", "name": "server"}
    )
    listed = quest.call("GET", f"/api/entities/{entity_id}/keys", owner.headers)

    assert created.status == 201
    plain = created.data["key"]
    assert plain.startswith("sk_") and created.data["maskedKey"] == f"sk_{plain[3:7]}…{plain[-4:]}"
    stored = get_table().get(keys.api_key(secret_hash(plain)))
    assert stored is not None and plain not in str(stored)
    assert listed.status == 200
    assert [(k["keyId"], k["type"], k["name"], k["status"]) for k in listed.data] == [
        (created.data["keyId"], "sk", "server", "active")
    ]
    assert plain not in listed.text and "key" not in listed.data[0]
    assert quest.call("GET", f"/api/entities/{entity_id}", quest.bearer(plain)).status == 200


def test_publishable_keys_are_the_tracking_tokens(quest: Quest, owned: tuple[User, str]) -> None:
    owner, entity_id = owned
    quest.new_key(owner, entity_id, "sk")
    public_id, public = quest.new_key(owner, entity_id, "pk")

    tokens = quest.call("GET", f"/api/entities/{entity_id}/tracking-tokens", owner.headers)

    assert tokens.status == 200
    assert [(t["keyId"], t["type"]) for t in tokens.data] == [(public_id, "pk")]
    assert public not in tokens.text
    # a publishable key ingests; it never reads the Entity API
    assert quest.call("GET", f"/api/entities/{entity_id}", quest.bearer(public)).status == 401


def test_rotation_keeps_the_old_key_for_the_grace_period(quest: Quest, owned: tuple[User, str]) -> None:
    owner, entity_id = owned
    old_id, old = quest.new_key(owner, entity_id, "sk")
    before = time.time()

    rotated = quest.call("POST", f"/api/entities/{entity_id}/keys/{old_id}/rotate", owner.headers)

    assert rotated.status == 201
    new = rotated.data["key"]
    assert new.startswith("sk_") and new != old and rotated.data["replacesKeyId"] == old_id
    stored = get_table().get(keys.api_key(secret_hash(old)))
    assert stored is not None and before + 86400 - 5 <= stored["expires_at"] <= time.time() + 86400
    for key in (old, new):
        assert quest.call("GET", f"/api/entities/{entity_id}", quest.bearer(key)).status == 200
    states = {
        k["keyId"]: k["status"]
        for k in quest.call("GET", f"/api/entities/{entity_id}/keys", owner.headers).data
    }
    assert states == {old_id: "expiring", rotated.data["keyId"]: "active"}
    again = quest.call("POST", f"/api/entities/{entity_id}/keys/{old_id}/rotate", owner.headers)
    assert again.status == 422 and again.error.startswith("key ")


def test_rotation_with_no_grace_stops_the_old_key_at_once(
    aws: Aws, quest: Quest, owned: tuple[User, str]
) -> None:
    aws.template.set_parameters({"KeyRotationGraceSeconds": "0"})
    owner, entity_id = owned
    old_id, old = quest.new_key(owner, entity_id, "sk")
    assert quest.call("GET", f"/api/entities/{entity_id}", quest.bearer(old)).status == 200  # cached

    rotated = quest.call("POST", f"/api/entities/{entity_id}/keys/{old_id}/rotate", owner.headers)

    assert rotated.status == 201
    assert quest.call("GET", f"/api/entities/{entity_id}", quest.bearer(old)).status == 401
    assert quest.call("GET", f"/api/entities/{entity_id}", quest.bearer(rotated.data["key"])).status == 200


def test_revocation_stops_a_key_at_once(quest: Quest, owned: tuple[User, str]) -> None:
    owner, entity_id = owned
    key_id, secret = quest.new_key(owner, entity_id, "sk")
    assert quest.call("GET", f"/api/entities/{entity_id}", quest.bearer(secret)).status == 200  # cached now

    revoked = quest.call("DELETE", f"/api/entities/{entity_id}/keys/{key_id}", owner.headers)

    assert revoked.status == 200 and revoked.data["status"] == "revoked" and revoked.data["revokedAt"]
    assert quest.call("GET", f"/api/entities/{entity_id}", quest.bearer(secret)).status == 401
    assert quest.call("DELETE", f"/api/entities/{entity_id}/keys/{key_id}", owner.headers).status == 200
    assert quest.call("POST", f"/api/entities/{entity_id}/keys/{key_id}/rotate", owner.headers).status == 422


def test_keys_never_manage_keys_and_members_never_see_them(
    aws: Aws, quest: Quest, owned: tuple[User, str]
) -> None:
    owner, entity_id = owned
    member = quest.new_user("Member")
    quest.call("POST", f"/api/entities/{entity_id}/users", owner.headers, {"userIds": [member.user_id]})
    key_id, secret = quest.new_key(owner, entity_id, "sk")
    before = table_items(aws)
    path = f"/api/entities/{entity_id}/keys"

    assert quest.call("POST", path, quest.bearer(secret), {"type": "sk"}).status == 401
    assert quest.call("POST", f"{path}/{key_id}/rotate", quest.bearer(secret)).status == 401
    assert quest.call("DELETE", f"{path}/{key_id}", quest.bearer(secret)).status == 401
    assert quest.call("POST", path, member.headers, {"type": "sk"}).status == 403
    assert quest.call("DELETE", f"{path}/{key_id}", member.headers).status == 403
    assert quest.call("GET", path, member.headers).status == 403
    assert table_items(aws) == before
    assert quest.call("GET", path, quest.bearer(secret)).status == 200  # its own entity's key metadata


def test_a_key_of_another_entity_is_404_and_bad_input_400(
    aws: Aws, quest: Quest, owned: tuple[User, str]
) -> None:
    owner, entity_id = owned
    other_owner = quest.new_user("Other")
    other = quest.new_entity(other_owner)
    other_key_id, _ = quest.new_key(other_owner, other)
    before = table_items(aws)

    foreign = quest.call("DELETE", f"/api/entities/{entity_id}/keys/{other_key_id}", owner.headers)
    foreign_rotate = quest.call(
        "POST", f"/api/entities/{entity_id}/keys/{other_key_id}/rotate", owner.headers
    )
    bad_type = quest.call("POST", f"/api/entities/{entity_id}/keys", owner.headers, {"type": "op"})
    bad_id = quest.call("DELETE", f"/api/entities/{entity_id}/keys/not-a-key", owner.headers)

    assert foreign.status == 404 and foreign_rotate.status == 404
    assert bad_type.status == 400 and bad_type.error.startswith("type:")
    assert bad_id.status == 400 and bad_id.error.startswith("keyId:")
    assert table_items(aws) == before
