"""Admins are invited, not annexed: `POST …/admins` makes an invitation that changes nothing for the invitee
until they accept it (`POST …/invitations/{id}/accept`), answered the same whether or not a platform user
has the email, in Quest Protocol's documented success body; an admin may leave."""

from __future__ import annotations

import pytest

from tests.unit.conftest import Aws
from tests.unit.quest_client import Quest, User, table_items


@pytest.fixture
def quest(aws: Aws) -> Quest:
    return Quest(aws)


def invite(quest: Quest, owner: User, entity_id: str, **body: str) -> dict[str, object]:
    reply = quest.call("POST", f"/api/entities/{entity_id}/admins", owner.headers, {"role": "ADMIN", **body})
    assert reply.status == 200, reply.text
    assert reply.body["success"] is True and reply.body["message"] == "Admin added to entity"
    return dict(reply.data)


def roles(quest: Quest, entity_id: str, who: User) -> dict[str, str]:
    listed = quest.call("GET", f"/api/entities/{entity_id}/admins", quest.operator)
    return {a["userId"]: a["role"] for a in listed.data} if who else {}


def test_another_tenants_owner_is_invited_not_annexed(aws: Aws, quest: Quest) -> None:
    alice, bob = quest.new_user("Alice, owner of A"), quest.new_user("Bob, owner of B")
    a, b = quest.new_entity(alice, "A"), quest.new_entity(bob, "B")

    invited = invite(quest, bob, b, email=alice.email, name="Alice")

    assert invited["status"] == "pending" and invited["role"] == "ADMIN"
    assert invited["email"] == alice.email and invited["userId"] is None  # no hint of who has the email
    assert alice.user_id not in roles(quest, b, alice)  # nothing changed for Alice
    assert quest.call("GET", f"/api/entities/{b}", alice.headers).status == 403
    waiting = quest.call("GET", f"/api/users/{alice.user_id}/invitations", alice.headers)
    assert [(i["entityId"], i["entityName"]) for i in waiting.data] == [(b, "B")]

    accepted = quest.call(
        "POST", f"/api/entities/{b}/invitations/{invited['invitationId']}/accept", alice.headers
    )

    assert accepted.status == 200 and accepted.data["role"] == "ADMIN", accepted.text
    assert roles(quest, b, alice)[alice.user_id] == "ADMIN"
    assert quest.call("GET", f"/api/entities/{b}", alice.headers).status == 200
    assert quest.call("GET", f"/api/users/{alice.user_id}/invitations", alice.headers).data == []
    left = quest.call("DELETE", f"/api/entities/{b}/admins/{alice.user_id}", alice.headers)
    assert left.status == 200, left.text  # and Alice may leave
    assert alice.user_id not in roles(quest, b, alice)
    assert quest.call("GET", f"/api/entities/{a}", alice.headers).status == 200  # her own entity is hers


def test_the_answer_is_the_same_whoever_has_the_email(aws: Aws, quest: Quest) -> None:
    owner, someone = quest.new_user("Owner"), quest.new_user("Someone")
    entity_id = quest.new_entity(owner)

    known = invite(quest, owner, entity_id, email=someone.email)
    unknown = invite(quest, owner, entity_id, email="nobody-at-all@example.com")

    def shape(answer: dict[str, object]) -> dict[str, object]:
        return {k: type(v).__name__ for k, v in answer.items()}

    assert shape(known) == shape(unknown)
    assert {k for k, v in known.items() if v != unknown[k]} == {"invitationId", "email", "invitedAt"}
    pending = quest.call("GET", f"/api/entities/{entity_id}/invitations", owner.headers)
    assert sorted(i["email"] for i in pending.data) == sorted([someone.email, "nobody-at-all@example.com"])


def test_someone_who_signs_up_later_finds_the_invitation(aws: Aws, quest: Quest) -> None:
    owner = quest.new_user("Owner")
    entity_id = quest.new_entity(owner)
    invited = invite(quest, owner, entity_id, email="late-comer@example.com")
    reply = quest.call(
        "POST", "/api/users", quest.operator, {"email": "Late-Comer@example.com", "name": "Late comer"}
    )
    late = User(reply.data["userId"], reply.data["token"], "late-comer@example.com")

    accepted = quest.call(
        "POST", f"/api/entities/{entity_id}/invitations/{invited['invitationId']}/accept", late.headers
    )

    assert accepted.status == 200 and roles(quest, entity_id, late)[late.user_id] == "ADMIN"


def test_only_the_invitee_answers_and_a_declined_or_withdrawn_invitation_is_gone(
    aws: Aws, quest: Quest
) -> None:
    owner, invitee, intruder = quest.new_user("Owner"), quest.new_user("Invitee"), quest.new_user("Intruder")
    entity_id = quest.new_entity(owner)
    first = invite(quest, owner, entity_id, userId=invitee.user_id)
    path = f"/api/entities/{entity_id}/invitations/{first['invitationId']}"
    before = table_items(aws)

    by_intruder = quest.call("POST", f"{path}/accept", intruder.headers)
    by_owner = quest.call("POST", f"{path}/accept", owner.headers)
    declined_by_intruder = quest.call("POST", f"{path}/decline", intruder.headers)
    listed_by_intruder = quest.call("GET", f"/api/users/{invitee.user_id}/invitations", intruder.headers)
    pending_by_intruder = quest.call("GET", f"/api/entities/{entity_id}/invitations", intruder.headers)
    withdrawn_by_intruder = quest.call("DELETE", path, intruder.headers)

    assert (by_intruder.status, by_owner.status, declined_by_intruder.status) == (404, 404, 404)
    assert (listed_by_intruder.status, pending_by_intruder.status, withdrawn_by_intruder.status) == (
        403,
        403,
        403,
    )
    assert table_items(aws) == before

    declined = quest.call("POST", f"{path}/decline", invitee.headers)
    assert declined.status == 200 and declined.body["message"] == "Invitation declined"
    assert quest.call("POST", f"{path}/accept", invitee.headers).status == 404
    second = invite(quest, owner, entity_id, userId=invitee.user_id)
    assert second["invitationId"] == first["invitationId"]  # one invitation per invitee
    assert quest.call("DELETE", path, owner.headers).status == 200
    assert quest.call("POST", f"{path}/accept", invitee.headers).status == 404
    assert invitee.user_id not in roles(quest, entity_id, invitee)


def test_an_invitation_expires(aws: Aws, quest: Quest, monkeypatch: pytest.MonkeyPatch) -> None:
    from questline import clock
    from questline.tenancy.invitations import INVITATION_SECONDS

    owner, invitee = quest.new_user("Owner"), quest.new_user("Invitee")
    entity_id = quest.new_entity(owner)
    invited = invite(quest, owner, entity_id, email=invitee.email)
    later = clock.now() + INVITATION_SECONDS + 1
    monkeypatch.setattr(clock, "now", lambda: later)

    accepted = quest.call(
        "POST", f"/api/entities/{entity_id}/invitations/{invited['invitationId']}/accept", invitee.headers
    )

    assert accepted.status == 404
    assert quest.call("GET", f"/api/users/{invitee.user_id}/invitations", invitee.headers).data == []
