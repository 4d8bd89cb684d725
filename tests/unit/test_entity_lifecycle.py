"""Entities from creation to deletion: the creator is OWNER, pending until enabled (unless auto-enabled),
aliases are unique, lists page, organizations nest, and a deleted entity's keys and data are gone at once."""

from __future__ import annotations

import pytest

from questline.ids import secret_hash
from questline.storage import get_table, keys
from tests.unit.conftest import Aws
from tests.unit.quest_client import Quest, table_items


@pytest.fixture
def quest(aws: Aws) -> Quest:
    return Quest(aws)


def _pending_deployment(aws: Aws) -> None:
    """A deployed stage with AutoEnableEntities=false (the local stage enables at once)."""
    aws.template.set_parameters({"Stage": "dev", "AutoEnableEntities": "false"})


# --- create -------------------------------------------------------------------------------------------------


def test_create_makes_the_caller_owner_and_answers_201_with_the_id_twice(quest: Quest) -> None:
    owner = quest.new_user()

    reply = quest.call(
        "POST",
        "/api/entities",
        owner.headers,
        {
            "name": "dummy-entity",
            "chainSource": "OFF_CHAIN",
            "contracts": "dummy-contract",
            "openseaSlug": "dummy-slug",
            "description": "description",
            "website": "https://www.websitelink.com",
            "imageUrl": "imageurl",
            "bannerUrl": "bannerurl",
            "entityURLAlias": "Simple-Alias",
        },
    )

    assert reply.status == 201
    entity = reply.data
    assert reply.body["entityId"] == entity["entityId"] == entity["id"]
    assert entity["entityId"].startswith("e-")
    assert entity["isEnabled"] is True and entity["status"] == "enabled"  # the local stage auto-enables
    assert entity["contracts"] == ["dummy-contract"]
    assert entity["entityURLAlias"] == "simple-alias"
    assert entity["ownerUserId"] == owner.user_id
    admins = quest.call("GET", f"/api/entities/{entity['entityId']}/admins", owner.headers)
    assert [(a["userId"], a["role"]) for a in admins.data] == [(owner.user_id, "OWNER")]


def test_a_deployment_without_auto_enable_keeps_entities_pending_until_the_operator_enables(
    aws: Aws, quest: Quest
) -> None:
    _pending_deployment(aws)
    owner = quest.new_user()
    entity_id = quest.new_entity(owner)

    assert quest.call("GET", f"/api/entities/{entity_id}", owner.headers).data["isEnabled"] is False
    pending = quest.call("GET", "/api/entities/pending", quest.operator)
    assert [e["entityId"] for e in pending.data] == [entity_id]
    no_keys = quest.call("POST", f"/api/entities/{entity_id}/keys", owner.headers, {"type": "sk"})
    assert no_keys.status == 422 and "pending" in no_keys.error
    assert quest.call("GET", "/api/entities/pending", owner.headers).status == 401

    enabled = quest.call(
        "POST",
        f"/api/entities/{entity_id}/enable",
        quest.operator,
        {"entityId": entity_id, "baseName": "dummy-base-name", "baseSymbol": "DUMMY"},
    )

    assert enabled.status == 200
    assert enabled.data["isEnabled"] is True and enabled.data["baseSymbol"] == "DUMMY"
    assert quest.call("GET", "/api/entities/pending", quest.operator).data == []
    assert quest.call("POST", f"/api/entities/{entity_id}/keys", owner.headers, {"type": "sk"}).status == 201


def test_enable_refuses_other_callers_and_mismatched_bodies(aws: Aws, quest: Quest) -> None:
    _pending_deployment(aws)
    owner = quest.new_user()
    entity_id = quest.new_entity(owner)
    before = table_items(aws)

    by_owner = quest.call("POST", f"/api/entities/{entity_id}/enable", owner.headers, {})
    mismatch = quest.call(
        "POST", f"/api/entities/{entity_id}/enable", quest.operator, {"entityId": "e-" + "1" * 32}
    )
    unknown = quest.call("POST", f"/api/entities/e-{'0' * 32}/enable", quest.operator, {})

    assert by_owner.status == 401
    assert mismatch.status == 400 and mismatch.error.startswith("entityId:")
    assert unknown.status == 404
    assert table_items(aws) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"chainSource": "OFF_CHAIN"}, "name"),
        ({"name": "X"}, "chainSource"),
        ({"name": "X", "chainSource": "off chain"}, "chainSource"),
        ({"name": "X", "chainSource": "OFF_CHAIN", "entityURLAlias": "bad alias!"}, "entityURLAlias"),
        # (an id like the seed's e-0000000000 is a 404: tests/unit/test_quest_labs_shapes.py)
        ({"name": "X", "chainSource": "OFF_CHAIN", "parentEntityId": "not an id"}, "parentEntityId"),
        ({"name": "X" * 101, "chainSource": "OFF_CHAIN"}, "name"),
        ({"name": "X", "chainSource": "OFF_CHAIN", "contracts": [1, 2]}, "contracts"),
    ],
)
def test_bad_create_input_is_400_naming_the_field_and_writes_nothing(
    aws: Aws, quest: Quest, body: dict[str, object], field: str
) -> None:
    owner = quest.new_user()
    before = table_items(aws)

    reply = quest.call("POST", "/api/entities", owner.headers, body)

    assert reply.status == 400, reply.text
    assert reply.error.startswith(field), reply.error
    assert table_items(aws) == before


def test_an_alias_is_unique_and_a_taken_one_writes_nothing(aws: Aws, quest: Quest) -> None:
    owner = quest.new_user()
    quest.new_entity(owner, entityURLAlias="taken")
    before = table_items(aws)

    again = quest.call(
        "POST",
        "/api/entities",
        owner.headers,
        {"name": "B", "chainSource": "OFF_CHAIN", "entityURLAlias": "TAKEN"},
    )

    assert again.status == 400
    assert again.error == "entityURLAlias is taken"
    assert table_items(aws) == before


def test_only_platform_users_create_entities(aws: Aws, quest: Quest, entity: dict[str, str]) -> None:
    before = table_items(aws)
    body = {"name": "X", "chainSource": "OFF_CHAIN"}

    assert quest.call("POST", "/api/entities", quest.operator, body).status == 401
    assert quest.call("POST", "/api/entities", quest.bearer(entity["SECRET_KEY"]), body).status == 401
    assert table_items(aws) == before


# --- organizations --------------------------------------------------------------------------------------


def test_organizations_are_children_created_by_the_parents_owner_or_admin(aws: Aws, quest: Quest) -> None:
    owner, stranger = quest.new_user("Owner"), quest.new_user("Stranger")
    parent = quest.new_entity(owner, "Parent")
    child = quest.new_entity(owner, "Child", parentEntityId=parent)
    before = table_items(aws)

    refused = quest.call(
        "POST",
        "/api/entities",
        stranger.headers,
        {"name": "Intruder", "chainSource": "OFF_CHAIN", "parentEntityId": parent},
    )
    missing = quest.call(
        "POST",
        "/api/entities",
        owner.headers,
        {"name": "Orphan", "chainSource": "OFF_CHAIN", "parentEntityId": "e-" + "0" * 32},
    )

    assert refused.status == 403
    assert missing.status == 404 and missing.error.startswith("parentEntityId:")
    assert table_items(aws) == before
    children = quest.call("GET", f"/api/entities/{parent}/organizations", owner.headers)
    assert children.status == 200
    assert [(c["entityId"], c["parentEntityId"]) for c in children.data] == [(child, parent)]
    assert quest.call("GET", f"/api/entities/{parent}/organizations", stranger.headers).status == 403


# --- read and list --------------------------------------------------------------------------------------


def test_read_access_by_role_key_and_operator(quest: Quest) -> None:
    owner, member, stranger = quest.new_user("Owner"), quest.new_user("Member"), quest.new_user("Stranger")
    entity_id = quest.new_entity(owner)
    quest.call("POST", f"/api/entities/{entity_id}/users", owner.headers, {"userIds": [member.user_id]})
    _, secret = quest.new_key(owner, entity_id, "sk")
    _, public = quest.new_key(owner, entity_id, "pk")
    other = quest.new_entity(stranger)
    _, other_secret = quest.new_key(stranger, other, "sk")
    path = f"/api/entities/{entity_id}"

    assert quest.call("GET", path, owner.headers).status == 200
    assert quest.call("GET", path, member.headers).status == 200
    assert quest.call("GET", path, quest.bearer(secret)).status == 200
    assert quest.call("GET", path, {"apikey": secret}).status == 200
    assert quest.call("GET", path, quest.operator).status == 200
    assert quest.call("GET", path, stranger.headers).status == 403
    assert quest.call("GET", path, quest.bearer(other_secret)).status == 403
    assert quest.call("GET", path, quest.bearer(public)).status == 401
    assert quest.call("GET", f"/api/entities/e-{'0' * 32}", owner.headers).status == 404


def test_lists_show_what_the_caller_reaches_in_pages(quest: Quest) -> None:
    ada, bob = quest.new_user("Ada"), quest.new_user("Bob")
    adas = [quest.new_entity(ada, f"Ada {n}") for n in range(3)]
    bobs = quest.new_entity(bob, "Bob's")
    _, secret = quest.new_key(ada, adas[1])

    first = quest.call("GET", "/api/entities", ada.headers, query={"page": 1, "limit": 2})
    second = quest.call("GET", "/api/entities", ada.headers, query={"page": "2", "limit": "2"})
    after = quest.call("GET", "/api/entities", ada.headers, query={"after": adas[0], "limit": 5})
    everything = quest.call("GET", "/api/entities", quest.operator, query={"limit": 100})
    own = quest.call("GET", "/api/entities", quest.bearer(secret))

    assert [e["entityId"] for e in first.data] == adas[:2] and first.body["hasMore"] is True
    assert [e["entityId"] for e in second.data] == adas[2:] and second.body["hasMore"] is False
    assert [e["entityId"] for e in after.data] == adas[1:]
    assert {*adas, bobs} <= {e["entityId"] for e in everything.data}
    assert [e["entityId"] for e in own.data] == [adas[1]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page": 0}, "page"),
        ({"limit": 101}, "limit"),
        ({"page": 20, "limit": 100}, "page"),
        ({"after": "x"}, "after"),
    ],
)
def test_bad_paging_is_400_naming_the_parameter(quest: Quest, query: dict[str, object], field: str) -> None:
    reply = quest.call("GET", "/api/entities", quest.operator, query=query)

    assert reply.status == 400 and reply.error.startswith(f"{field}:"), reply.error


# --- update and plan --------------------------------------------------------------------------------------


def test_owner_admin_and_secret_key_update_the_profile_and_alias_moves(quest: Quest) -> None:
    owner = quest.new_user()
    entity_id = quest.new_entity(owner, entityURLAlias="old-alias")
    _, secret = quest.new_key(owner, entity_id)

    reply = quest.call(
        "PATCH",
        f"/api/entities/{entity_id}",
        owner.headers,
        {
            "description": "new",
            "twitter": "questline",
            "isPublic": True,
            "features": ["SUB_ENTITY"],
            "entityURLAlias": "new-alias",
        },
    )
    by_key = quest.call(
        "PATCH", f"/api/entities/{entity_id}", quest.bearer(secret), {"website": None, "name": "Renamed"}
    )

    assert reply.status == 200
    assert reply.data["description"] == "new" and reply.data["isPublic"] is True
    assert reply.data["features"] == ["SUB_ENTITY"] and reply.data["entityURLAlias"] == "new-alias"
    assert by_key.status == 200 and by_key.data["name"] == "Renamed"
    assert get_table().get(keys.entity_alias("old-alias")) is None
    lookup = quest.call("GET", "/api/entities/by-alias", owner.headers, query={"entityURLAlias": "new-alias"})
    assert lookup.data == entity_id
    # the old alias is free again
    assert quest.new_entity(owner, "Other", entityURLAlias="old-alias")


def test_update_refusals_write_nothing(aws: Aws, quest: Quest) -> None:
    owner, member = quest.new_user("Owner"), quest.new_user("Member")
    entity_id = quest.new_entity(owner)
    quest.new_entity(owner, "Other", entityURLAlias="claimed")
    quest.call("POST", f"/api/entities/{entity_id}/users", owner.headers, {"userIds": [member.user_id]})
    before = table_items(aws)
    path = f"/api/entities/{entity_id}"

    assert quest.call("PATCH", path, member.headers, {"description": "x"}).status == 403
    assert quest.call("PATCH", path, owner.headers, {}).status == 400
    assert quest.call("PATCH", path, owner.headers, {"name": None}).error.startswith("name:")
    assert quest.call("PATCH", path, owner.headers, {"features": ["NOPE"]}).error.startswith("features")
    taken = quest.call("PATCH", path, owner.headers, {"entityURLAlias": "claimed"})
    assert taken.status == 400 and taken.error == "entityURLAlias is taken"
    assert (
        quest.call("PATCH", f"/api/entities/e-{'0' * 32}", owner.headers, {"description": "x"}).status == 404
    )
    assert table_items(aws) == before


def test_only_the_operator_changes_the_plan(aws: Aws, quest: Quest) -> None:
    owner = quest.new_user()
    entity_id = quest.new_entity(owner)
    before = table_items(aws)

    assert quest.call("POST", f"/api/entities/{entity_id}/plan", owner.headers, {"plan": "PRO"}).status == 401
    assert (
        quest.call("POST", f"/api/entities/{entity_id}/plan", quest.operator, {"plan": "pro"}).status == 400
    )
    assert (
        quest.call("POST", f"/api/entities/e-{'0' * 32}/plan", quest.operator, {"plan": "PRO"}).status == 404
    )
    assert table_items(aws) == before

    changed = quest.call("POST", f"/api/entities/{entity_id}/plan", quest.operator, {"plan": "PRO"})
    assert changed.status == 200 and changed.data["plan"] == "PRO"


# --- delete -------------------------------------------------------------------------------------------


def test_delete_stops_keys_at_once_and_makes_the_data_unreachable(quest: Quest) -> None:
    owner, admin = quest.new_user("Owner"), quest.new_user("Admin")
    entity_id = quest.new_entity(owner, entityURLAlias="doomed")
    quest.add_admin(owner.headers, entity_id, admin, role="ADMIN", email=admin.email)
    _, secret = quest.new_key(owner, entity_id, "sk")
    _, public = quest.new_key(owner, entity_id, "pk")
    quest.call(
        "POST",
        f"/api/entities/{entity_id}/custom-ids",
        owner.headers,
        {"platform": "DISCORD", "platformId": "123", "accessToken": "discord-secret"},
    )
    assert quest.call("GET", f"/api/entities/{entity_id}", quest.bearer(secret)).status == 200  # cached now

    by_admin = quest.call("DELETE", f"/api/entities/{entity_id}", admin.headers)
    by_key = quest.call("DELETE", f"/api/entities/{entity_id}", quest.bearer(secret))
    deleted = quest.call("DELETE", f"/api/entities/{entity_id}", owner.headers)

    assert by_admin.status == 403 and by_key.status == 401
    assert deleted.status == 200
    assert deleted.body["message"] == "Entity deleted successfully"
    assert quest.call("GET", f"/api/entities/{entity_id}", quest.bearer(secret)).status == 401
    for key in (secret, public):
        item = get_table().get(keys.api_key(secret_hash(key)))
        assert item is not None and item["status"] == "revoked"
    assert quest.call("GET", f"/api/entities/{entity_id}", owner.headers).status == 404
    assert quest.call("GET", f"/api/entities/{entity_id}/theme").status == 404
    assert quest.call("GET", "/api/entities", owner.headers).data == []
    assert (
        quest.call("GET", "/api/entities/by-alias", quest.operator, query={"entityURLAlias": "doomed"}).status
        == 404
    )
    by_custom = quest.call(
        "GET",
        "/api/entities/by-custom-id",
        quest.operator,
        query={"platform": "DISCORD", "customEntityId": "123"},
    )
    assert by_custom.status == 404
    assert quest.call("DELETE", f"/api/entities/{entity_id}", owner.headers).status == 404
    # what it owned is gone: memberships, custom ids and their tokens, key references
    leftovers = get_table().query(keys.entity_partition(entity_id)).items
    assert [item["SK"] for item in leftovers] == ["#META"]
    # and its alias can be claimed again
    assert quest.new_entity(owner, "Reborn", entityURLAlias="doomed")


def test_the_operator_deletes_any_entity_and_children_leave_their_parent(quest: Quest) -> None:
    owner = quest.new_user()
    parent = quest.new_entity(owner, "Parent")
    child = quest.new_entity(owner, "Child", parentEntityId=parent)

    assert quest.call("DELETE", f"/api/entities/{child}", quest.operator).status == 200
    assert quest.call("GET", f"/api/entities/{parent}/organizations", owner.headers).data == []
