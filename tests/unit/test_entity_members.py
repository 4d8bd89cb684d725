"""An entity's people: users added as MEMBERs, admins added by the owner (by email or id), removed only by
the owner, and the owner never removed or demoted."""

from __future__ import annotations

import pytest

from tests.unit.conftest import Aws
from tests.unit.quest_client import Quest, table_items


@pytest.fixture
def quest(aws: Aws) -> Quest:
    return Quest(aws)


def test_users_are_added_as_members_and_listed_with_their_roles(quest: Quest) -> None:
    owner, ann, ben = quest.new_user("Owner"), quest.new_user("Ann"), quest.new_user("Ben")
    entity_id = quest.new_entity(owner)

    added = quest.call(
        "POST",
        f"/api/entities/{entity_id}/users",
        owner.headers,
        {"userIds": [ann.user_id, ben.user_id, ann.user_id]},
    )
    listed = quest.call("GET", f"/api/entities/{entity_id}/users", ann.headers, query={"limit": 10})

    assert added.status == 200
    assert [(m["userId"], m["role"]) for m in added.data] == [
        (ann.user_id, "MEMBER"),
        (ben.user_id, "MEMBER"),
    ]
    assert {(m["userId"], m["role"], m["email"]) for m in listed.data} == {
        (owner.user_id, "OWNER", owner.email),
        (ann.user_id, "MEMBER", ann.email),
        (ben.user_id, "MEMBER", ben.email),
    }
    assert "token" not in listed.text and owner.token not in listed.text
    # a member reads but does not manage
    assert quest.call("GET", f"/api/entities/{entity_id}", ann.headers).status == 200
    assert (
        quest.call("POST", f"/api/entities/{entity_id}/users", ann.headers, {"userIds": [ben.user_id]}).status
        == 403
    )


def test_adding_users_keeps_existing_roles(quest: Quest) -> None:
    owner, admin = quest.new_user("Owner"), quest.new_user("Admin")
    entity_id = quest.new_entity(owner)
    quest.add_admin(owner.headers, entity_id, admin)

    added = quest.call(
        "POST", f"/api/entities/{entity_id}/users", admin.headers, {"userIds": [owner.user_id, admin.user_id]}
    )

    assert added.status == 200
    assert {(m["userId"], m["role"]) for m in added.data} == {
        (owner.user_id, "OWNER"),
        (admin.user_id, "ADMIN"),
    }


def test_bad_user_adds_are_refused_and_write_nothing(aws: Aws, quest: Quest) -> None:
    owner = quest.new_user()
    entity_id = quest.new_entity(owner)
    before = table_items(aws)
    path = f"/api/entities/{entity_id}/users"

    unknown = quest.call("POST", path, owner.headers, {"userIds": ["u-" + "0" * 32]})
    malformed = quest.call("POST", path, owner.headers, {"userIds": ["no body"]})
    empty = quest.call("POST", path, owner.headers, {"userIds": []})
    too_many = quest.call("POST", path, owner.headers, {"userIds": [f"u-{n:032x}" for n in range(26)]})

    assert unknown.status == 404 and unknown.error.startswith("userIds:")  # no such user: a not-found
    assert malformed.status == 400 and malformed.error.startswith("userIds.0:")
    assert empty.status == 400 and too_many.status == 400
    assert table_items(aws) == before


def test_the_owner_adds_an_admin_by_email_and_removes_it(quest: Quest) -> None:
    owner, helper = quest.new_user("Owner"), quest.new_user("Helper")
    entity_id = quest.new_entity(owner)

    added = quest.add_admin(
        owner.headers, entity_id, helper, role="ADMIN", email=helper.email.upper(), name="Jon Doe"
    )
    admins = quest.call("GET", f"/api/entities/{entity_id}/admins", helper.headers)
    can_manage = quest.call(
        "PATCH", f"/api/entities/{entity_id}", helper.headers, {"description": "by admin"}
    )
    removed = quest.call("DELETE", f"/api/entities/{entity_id}/admins/{helper.user_id}", owner.headers)

    assert added.status == 200 and added.body["message"] == "Invitation accepted"
    assert added.data["role"] == "ADMIN" and added.data["displayName"] == "Jon Doe"
    assert [(a["userId"], a["role"]) for a in admins.data] == [
        (owner.user_id, "OWNER"),
        (helper.user_id, "ADMIN"),
    ]
    assert can_manage.status == 200
    assert removed.status == 200 and removed.body["message"] == "Admin removed successfully."
    assert quest.call("GET", f"/api/entities/{entity_id}", helper.headers).status == 403


def test_only_the_owner_or_the_operator_manages_admins(aws: Aws, quest: Quest) -> None:
    owner, admin, other = quest.new_user("Owner"), quest.new_user("Admin"), quest.new_user("Other")
    entity_id = quest.new_entity(owner)
    _, secret = quest.new_key(owner, entity_id)
    quest.add_admin(owner.headers, entity_id, admin)
    quest.add_admin(owner.headers, entity_id, other)
    before = table_items(aws)
    admins = f"/api/entities/{entity_id}/admins"

    assert quest.call("POST", admins, admin.headers, {"userId": other.user_id}).status == 403
    assert quest.call("POST", admins, quest.bearer(secret), {"userId": other.user_id}).status == 401
    assert quest.call("DELETE", f"{admins}/{other.user_id}", admin.headers).status == 403  # another admin
    assert quest.call("DELETE", f"{admins}/{admin.user_id}", quest.bearer(secret)).status == 401
    assert table_items(aws) == before

    assert quest.call("DELETE", f"{admins}/{other.user_id}", quest.operator).status == 200
    assert quest.add_admin(quest.operator, entity_id, other).status == 200  # the operator invites too


def test_the_owner_is_never_removed_nor_made_an_admin(aws: Aws, quest: Quest) -> None:
    owner, member = quest.new_user("Owner"), quest.new_user("Member")
    entity_id = quest.new_entity(owner)
    quest.call("POST", f"/api/entities/{entity_id}/users", owner.headers, {"userIds": [member.user_id]})
    before = table_items(aws)
    admins = f"/api/entities/{entity_id}/admins"

    self_removal = quest.call("DELETE", f"{admins}/{owner.user_id}", owner.headers)
    by_operator = quest.call("DELETE", f"{admins}/{owner.user_id}", quest.operator)
    demote = quest.call("POST", admins, quest.operator, {"role": "ADMIN", "userId": owner.user_id})
    not_admin = quest.call("DELETE", f"{admins}/{member.user_id}", owner.headers)

    assert self_removal.status == 422 and self_removal.error == "the owner cannot be removed"
    assert by_operator.status == 422 and by_operator.error == "the owner cannot be removed"
    assert demote.status == 422 and demote.error == "the owner cannot be made an admin"
    assert not_admin.status == 404
    assert table_items(aws) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "ADMIN"}, "email"),
        ({"role": "OWNER", "email": "a@example.com"}, "role"),
        ({"email": "x"}, "email"),
        ({"userId": "u-" + "0" * 32}, "userId"),
    ],
)
def test_bad_admin_adds_are_400_naming_the_field(
    aws: Aws, quest: Quest, body: dict[str, str], field: str
) -> None:
    owner = quest.new_user()
    entity_id = quest.new_entity(owner)
    before = table_items(aws)

    reply = quest.call("POST", f"/api/entities/{entity_id}/admins", owner.headers, body)

    assert reply.status == 400 and reply.error.startswith(field), reply.error
    assert table_items(aws) == before
