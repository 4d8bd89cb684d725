"""What the Quest Labs apps read and the Quest Protocol seed's own examples send (VENDOR-NOTES.md): the
apps read `res.data.entityDoc.id` from the entity-create answer and `data.data.key` from the key route (an
axios response's `.data` is the body), and call `GET /api/users/{userId}`; the seed adds users with a bare
array `["userId"]`, and its dummy values (`platform: "dummy-platform"`, `parentEntityId: "e-0000000000"`,
`admin-1` in the remove-admin path) deserve a not-found, not a 400 from a pattern stricter than the vendor's.
"""

from __future__ import annotations

from tests.unit.conftest import Aws
from tests.unit.quest_client import Quest, table_items


def test_the_create_answer_carries_entity_doc_beside_todays_fields(aws: Aws) -> None:
    quest = Quest(aws)
    owner = quest.new_user()

    reply = quest.call("POST", "/api/entities", owner.headers, {"name": "Game", "chainSource": "OFF_CHAIN"})

    assert reply.status == 201
    assert reply.body["entityDoc"] == reply.body["data"]
    assert reply.body["entityDoc"]["id"] == reply.body["entityId"] == reply.data["entityId"]


def test_the_key_routes_answer_the_key_at_data_key_of_the_body(aws: Aws) -> None:
    quest = Quest(aws)
    owner = quest.new_user()
    entity_id = quest.new_entity(owner)

    created = quest.call("POST", f"/api/entities/{entity_id}/keys", owner.headers, {"type": "sk"})
    listed = quest.call("GET", f"/api/entities/{entity_id}/keys", owner.headers)

    assert created.status == 201 and created.body["key"] == created.data["key"]
    assert created.body["key"].startswith("sk_")
    # Keys are stored hashed: the list can only show the newest working secret key masked.
    assert listed.status == 200 and isinstance(listed.data, list)
    assert listed.body["key"] == created.data["maskedKey"]


def test_get_user_answers_the_user_themself_or_the_operator(aws: Aws) -> None:
    quest = Quest(aws)
    ann, ben = quest.new_user("Ann"), quest.new_user("Ben")

    itself = quest.call("GET", f"/api/users/{ann.user_id}", ann.headers)
    by_operator = quest.call("GET", f"/api/users/{ann.user_id}", quest.operator)
    other = quest.call("GET", f"/api/users/{ann.user_id}", ben.headers)
    unknown = quest.call("GET", "/api/users/u-0000101", quest.operator)
    anonymous = quest.call("GET", f"/api/users/{ann.user_id}")

    assert itself.status == 200 and itself.data == by_operator.data
    assert itself.data["userId"] == ann.user_id and itself.data["email"] == ann.email
    assert itself.data["name"] == "Ann" and "token" not in itself.data and itself.data["createdAt"]
    assert ann.token not in itself.text
    assert other.status == 403 and ann.email not in other.text
    assert unknown.status == 404 and anonymous.status == 401


def test_the_seeds_bare_array_adds_users(aws: Aws) -> None:
    quest = Quest(aws)
    owner, member = quest.new_user(), quest.new_user()
    entity_id = quest.new_entity(owner)
    path = f"/api/entities/{entity_id}/users"

    added = quest.call("POST", path, owner.headers, [member.user_id])
    before = table_items(aws)
    seed_example = quest.call("POST", path, owner.headers, ["userId"])

    assert added.status == 200 and [(m["userId"], m["role"]) for m in added.data] == [
        (member.user_id, "MEMBER")
    ]
    assert seed_example.status == 404 and seed_example.error.startswith("userIds:"), seed_example.text
    assert table_items(aws) == before


def test_the_seeds_dummy_values_are_a_not_found_or_accepted(aws: Aws) -> None:
    quest = Quest(aws)
    owner = quest.new_user()
    entity_id = quest.new_entity(owner)
    before = table_items(aws)

    orphan = quest.call(
        "POST",
        "/api/entities",
        owner.headers,
        {"name": "dummy-entity", "chainSource": "OFF_CHAIN", "parentEntityId": "e-0000000000"},
    )
    not_an_admin = quest.call("DELETE", f"/api/entities/{entity_id}/admins/admin-1", owner.headers)

    assert orphan.status == 404 and orphan.error.startswith("parentEntityId:"), orphan.text
    assert not_an_admin.status == 404 and not_an_admin.error.startswith("admin-1"), not_an_admin.text
    assert table_items(aws) == before

    custom = quest.call(
        "POST",
        f"/api/entities/{entity_id}/custom-ids",
        owner.headers,
        {"platform": "dummy-platform", "platformId": "platformId", "name": "dummy-name"},
    )
    found = quest.call(
        "GET",
        "/api/entities/by-custom-id",
        owner.headers,
        query={"platform": "dummy-platform", "customEntityId": "platformId"},
    )
    assert custom.status == 201, custom.text
    assert found.status == 200 and found.data == entity_id
