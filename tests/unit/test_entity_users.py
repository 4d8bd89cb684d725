"""Platform users: the operator creates them, a token is shown once and stored hashed, rotation stops the old
token at once."""

from __future__ import annotations

import pytest

from questline.ids import secret_hash
from questline.storage import get_table, keys
from tests.unit.conftest import Aws
from tests.unit.quest_client import Quest, table_items


@pytest.fixture
def quest(aws: Aws) -> Quest:
    return Quest(aws)


def test_operator_creates_a_user_whose_token_is_shown_once_and_stored_hashed(quest: Quest) -> None:
    reply = quest.call("POST", "/api/users", quest.operator, {"email": "Ada@Example.com", "name": "Ada"})

    assert reply.status == 201
    user = reply.data
    assert user["userId"].startswith("u-") and user["token"].startswith("ut_")
    assert user["email"] == "ada@example.com" and user["name"] == "Ada"
    stored = get_table().get(keys.platform_user(user["userId"]))
    assert stored is not None and stored["token_hash"] == secret_hash(user["token"])
    assert user["token"] not in str(stored)
    me = quest.call("GET", "/api/entities", {"userid": user["userId"], "token": user["token"]})
    assert me.status == 200 and me.data == []


def test_only_the_operator_creates_users(aws: Aws, quest: Quest) -> None:
    user = quest.new_user()
    before = table_items(aws)

    anonymous = quest.call("POST", "/api/users", None, {"email": "x@example.com", "name": "X"})
    as_user = quest.call("POST", "/api/users", user.headers, {"email": "x@example.com", "name": "X"})

    assert anonymous.status == 401 and anonymous.body["success"] is False
    assert as_user.status == 401
    assert table_items(aws) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "No email"}, "email"),
        ({"email": "not-an-email", "name": "X"}, "email"),
        ({"email": "x@example.com"}, "name"),
        ({"email": "x@example.com", "name": ""}, "name"),
    ],
)
def test_bad_user_input_is_400_naming_the_field_and_writes_nothing(
    aws: Aws, quest: Quest, body: dict[str, str], field: str
) -> None:
    before = table_items(aws)

    reply = quest.call("POST", "/api/users", quest.operator, body)

    assert reply.status == 400
    assert reply.error.startswith(f"{field}:")
    assert table_items(aws) == before


def test_an_email_belongs_to_one_user(aws: Aws, quest: Quest) -> None:
    quest.call("POST", "/api/users", quest.operator, {"email": "same@example.com", "name": "First"})
    before = table_items(aws)

    again = quest.call("POST", "/api/users", quest.operator, {"email": "SAME@example.com", "name": "Second"})

    assert again.status == 400
    assert again.error == "email: another platform user has this email"
    assert table_items(aws) == before


def test_a_user_rotates_its_own_token_and_the_old_one_stops_at_once(quest: Quest) -> None:
    user = quest.new_user()
    assert quest.call("GET", "/api/entities", user.headers).status == 200  # now cached in this container

    reply = quest.call("POST", f"/api/users/{user.user_id}/token", user.headers)

    assert reply.status == 200
    new_token = reply.data["token"]
    assert new_token != user.token and reply.data["userId"] == user.user_id
    assert quest.call("GET", "/api/entities", user.headers).status == 401
    assert quest.call("GET", "/api/entities", {"userid": user.user_id, "token": new_token}).status == 200


def test_the_operator_rotates_any_token_and_a_user_never_anothers(aws: Aws, quest: Quest) -> None:
    ada, bob = quest.new_user("Ada"), quest.new_user("Bob")
    before = table_items(aws)

    by_bob = quest.call("POST", f"/api/users/{ada.user_id}/token", bob.headers)
    assert by_bob.status == 403
    assert table_items(aws) == before

    by_operator = quest.call("POST", f"/api/users/{ada.user_id}/token", quest.operator)
    assert by_operator.status == 200
    assert quest.call("GET", "/api/entities", ada.headers).status == 401


def test_rotating_an_unknown_user_is_404_and_a_malformed_id_400(quest: Quest) -> None:
    unknown = quest.call("POST", f"/api/users/u-{'0' * 32}/token", quest.operator)
    malformed = quest.call("POST", "/api/users/nobody/token", quest.operator)

    assert unknown.status == 404
    assert malformed.status == 400 and malformed.error.startswith("userId:")
