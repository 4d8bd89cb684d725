"""Tenancy invariants under concurrency on DynamoDB Local (real conditional writes and transactions):
unique aliases, emails and custom ids; exactly one OWNER whatever admins come and go; no key issued during a
deletion survives it."""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from questline.auth import CredentialKind, Principal
from questline.errors import QuestlineError
from questline.settings import reset_settings
from questline.storage import get_table, keys
from questline.tenancy import entities, invitations, lookups, members, users
from questline.tenancy import keys as entity_keys

OPERATOR = Principal(CredentialKind.OPERATOR)


def as_user(user_id: str) -> Principal:
    return Principal(CredentialKind.PLATFORM_USER, user_id=user_id)


@pytest.fixture(autouse=True)
def auto_enable(table_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTO_ENABLE_ENTITIES", "true")
    reset_settings()


def _outcomes(calls: list[Callable[[], Any]], workers: int = 16) -> list[Any]:
    """Run the calls at once; each result is the call's return value or the domain error it raised."""

    def attempt(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except QuestlineError as error:
            return error

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(attempt, calls))


def _new_user(name: str) -> str:
    return str(users.create_user(f"{name}-{random.getrandbits(40)}@example.com", name).item["user_id"])


def test_concurrent_alias_claims_make_exactly_one_entity(table_env: str) -> None:
    creators = [_new_user(f"creator{n}") for n in range(20)]

    outcomes = _outcomes(
        [
            lambda user=user: entities.create_entity(
                as_user(user), {"name": "Contender", "chain_source": "OFF_CHAIN"}, alias="the-one"
            )
            for user in creators
        ]
    )

    winners = [o for o in outcomes if isinstance(o, dict)]
    assert len(winners) == 1
    # a loser is told the alias is taken (or, if contention outlasted the retries, to try again)
    assert all(
        getattr(o, "field", None) == "entityURLAlias" or getattr(o, "status", None) == 503
        for o in outcomes
        if not isinstance(o, dict)
    )
    claim = get_table().get(keys.entity_alias("the-one"), consistent=True)
    assert claim is not None and claim["entity_id"] == winners[0]["entity_id"]
    # the losers wrote nothing: one entity in the directory, one owner membership
    directory = get_table().query(keys.ENTITY_DIRECTORY, index=keys.GSI1).items
    assert [e["entity_id"] for e in directory] == [winners[0]["entity_id"]]


def test_concurrent_signups_with_one_email_make_one_user(table_env: str) -> None:
    outcomes = _outcomes([lambda n=n: users.create_user("Same@Example.com", f"user {n}") for n in range(20)])

    assert sum(isinstance(o, users.NewUser) for o in outcomes) == 1


def test_concurrent_custom_id_claims_by_different_entities_leave_one_owner(table_env: str) -> None:
    owners = [_new_user(f"owner{n}") for n in range(8)]
    entity_ids = [
        entities.create_entity(as_user(user), {"name": f"E{n}", "chain_source": "OFF_CHAIN"})["entity_id"]
        for n, user in enumerate(owners)
    ]

    outcomes = _outcomes(
        [
            lambda user=user, entity_id=entity_id: lookups.add_custom_id(
                as_user(user), entity_id, "DISCORD", "guild-42", {"name": "contested"}
            )
            for user, entity_id in zip(owners, entity_ids, strict=True)
        ]
    )

    winners = [o["entity_id"] for o in outcomes if isinstance(o, dict)]
    assert len(winners) == 1
    claim = get_table().get(keys.custom_id("DISCORD", "guild-42"), consistent=True)
    assert claim is not None and claim["entity_id"] == winners[0]
    records = [
        entity_id
        for entity_id in entity_ids
        if get_table().get(keys.entity_custom_id(entity_id, "DISCORD", "guild-42"), consistent=True)
    ]
    assert records == winners


def _invited_and_accepted(caller: Principal, entity_id: str, user_id: str) -> Any:
    invitation = invitations.invite_admin(caller, entity_id, user_id=user_id)
    return invitations.accept(as_user(user_id), entity_id, str(invitation["invitation_id"]))


def test_admins_coming_and_going_keep_exactly_one_owner(table_env: str) -> None:
    owner = _new_user("owner")
    entity_id = entities.create_entity(as_user(owner), {"name": "Busy", "chain_source": "OFF_CHAIN"})[
        "entity_id"
    ]
    helpers = [_new_user(f"helper{n}") for n in range(6)]
    rng = random.Random(7)
    calls: list[Callable[[], Any]] = []
    for _ in range(120):
        target = rng.choice([*helpers, owner])
        caller = rng.choice([as_user(owner), OPERATOR, as_user(rng.choice(helpers))])
        if rng.random() < 0.5:  # an admin joins as two steps: the invitation, and its acceptance
            calls.append(lambda c=caller, t=target: _invited_and_accepted(c, entity_id, t))
        else:
            calls.append(lambda c=caller, t=target: members.remove_admin(c, entity_id, t))

    outcomes = _outcomes(calls)

    refusals = {o.status for o in outcomes if isinstance(o, QuestlineError)}
    assert refusals <= {403, 404, 422, 503}  # no role, not an admin, the owner rule, contention
    memberships = (
        get_table()
        .query(keys.entity_partition(entity_id), begins_with=keys.MEMBER_PREFIX, consistent=True)
        .items
    )
    owners = [m["user_id"] for m in memberships if m["role"] == "OWNER"]
    assert owners == [owner]
    assert {m["role"] for m in memberships} <= {"OWNER", "ADMIN"}


def test_no_key_issued_during_a_deletion_survives_it(table_env: str) -> None:
    owner = _new_user("owner")
    entity_id = entities.create_entity(as_user(owner), {"name": "Doomed", "chain_source": "OFF_CHAIN"})[
        "entity_id"
    ]
    issue: list[Callable[[], Any]] = [
        lambda: entity_keys.create_key(as_user(owner), entity_id, CredentialKind.SECRET_KEY, None)
        for _ in range(24)
    ]
    calls = [*issue[:12], lambda: entities.delete_entity(OPERATOR, entity_id), *issue[12:]]

    outcomes = _outcomes(calls, workers=13)

    deletion = outcomes[12]
    assert deletion is None, deletion
    issued = [o for o in outcomes if isinstance(o, entity_keys.IssuedKey)]
    for key in issued:
        stored = get_table().get(keys.api_key(key.key_hash), consistent=True)
        assert stored is not None and stored["status"] == "revoked", key.key_id
    refused = [o for o in outcomes if isinstance(o, QuestlineError)]
    assert all(o.status in (404, 503) for o in refused)
    assert len(issued) + len(refused) == 24
