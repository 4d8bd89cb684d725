"""Theme (public read), MAU for a month, lookups by alias and custom entity id, custom ids."""

from __future__ import annotations

import pytest

from questline.ids import secret_hash
from questline.storage import get_table, keys
from questline.tenancy.mau import record_monthly_activity
from tests.unit.conftest import Aws
from tests.unit.quest_client import Quest, User, table_items

NOVEMBER_2026 = 1_795_330_800.0


@pytest.fixture
def quest(aws: Aws) -> Quest:
    return Quest(aws)


@pytest.fixture
def owned(quest: Quest) -> tuple[User, str]:
    owner = quest.new_user()
    return owner, quest.new_entity(owner, entityURLAlias="my-game")


# --- theme ----------------------------------------------------------------------------------------------


def test_the_theme_is_replaced_by_managers_and_read_by_anyone(quest: Quest, owned: tuple[User, str]) -> None:
    owner, entity_id = owned
    theme = {"mode": "dark", "primaryColor": "#1A2B3C", "borderRadius": 8, "fontFamily": "Inter"}

    put = quest.call("PUT", f"/api/entities/{entity_id}/theme", owner.headers, theme)
    read = quest.call("GET", f"/api/entities/{entity_id}/theme")

    assert put.status == 200 and put.body["message"] == "Entity theme updated successfully"
    assert read.status == 200
    assert {k: v for k, v in read.data.items() if v is not None} == theme
    assert quest.call("GET", f"/api/entities/e-{'0' * 32}/theme").status == 404


@pytest.mark.parametrize(
    ("theme", "field"),
    [({"primaryColor": "red"}, "primaryColor"), ({"mode": "sepia"}, "mode"), ({"colour": "#fff"}, "colour")],
)
def test_bad_themes_are_400_naming_the_field(
    aws: Aws, quest: Quest, owned: tuple[User, str], theme: dict[str, str], field: str
) -> None:
    owner, entity_id = owned
    before = table_items(aws)

    reply = quest.call("PUT", f"/api/entities/{entity_id}/theme", owner.headers, theme)

    assert reply.status == 400 and reply.error.startswith(f"{field}:"), reply.error
    assert table_items(aws) == before


def test_members_and_strangers_do_not_change_the_theme(
    aws: Aws, quest: Quest, owned: tuple[User, str]
) -> None:
    owner, entity_id = owned
    member, stranger = quest.new_user("Member"), quest.new_user("Stranger")
    quest.call("POST", f"/api/entities/{entity_id}/users", owner.headers, {"userIds": [member.user_id]})
    before = table_items(aws)

    assert (
        quest.call("PUT", f"/api/entities/{entity_id}/theme", member.headers, {"mode": "dark"}).status == 403
    )
    assert (
        quest.call("PUT", f"/api/entities/{entity_id}/theme", stranger.headers, {"mode": "dark"}).status
        == 403
    )
    assert quest.call("PUT", f"/api/entities/{entity_id}/theme", None, {"mode": "dark"}).status == 401
    assert table_items(aws) == before


# --- MAU ------------------------------------------------------------------------------------------------


def test_mau_counts_distinct_identities_of_the_month(quest: Quest, owned: tuple[User, str]) -> None:
    owner, entity_id = owned
    for identity in ("i-1", "i-2", "i-1", "i-3"):
        record_monthly_activity(entity_id, identity, at=NOVEMBER_2026)
    record_monthly_activity(entity_id, "i-4", at=NOVEMBER_2026 + 18 * 86400)  # 10 December

    november = quest.call("GET", f"/api/entities/{entity_id}/mau", owner.headers, query={"month": "2026-11"})
    december = quest.call("GET", f"/api/entities/{entity_id}/mau", quest.operator, query={"month": "2026-12"})
    empty = quest.call("GET", f"/api/entities/{entity_id}/mau", owner.headers, query={"month": "2020-01"})
    current = quest.call("GET", f"/api/entities/{entity_id}/mau", owner.headers)

    assert november.status == 200 and november.data == {"entityId": entity_id, "month": "2026-11", "count": 3}
    assert december.data["count"] == 1 and empty.data["count"] == 0
    assert current.status == 200 and len(current.data["month"]) == 7


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-11", "2026-11-01", "november"])
def test_mau_month_must_be_yyyy_mm(quest: Quest, owned: tuple[User, str], month: str) -> None:
    owner, entity_id = owned

    reply = quest.call("GET", f"/api/entities/{entity_id}/mau", owner.headers, query={"month": month})

    assert reply.status == 400 and reply.error.startswith("month:")


def test_mau_of_another_entity_is_refused(quest: Quest, owned: tuple[User, str]) -> None:
    _, entity_id = owned
    other = quest.new_user("Other")
    other_entity = quest.new_entity(other)
    _, other_secret = quest.new_key(other, other_entity)

    assert quest.call("GET", f"/api/entities/{entity_id}/mau", other.headers).status == 403
    assert quest.call("GET", f"/api/entities/{entity_id}/mau", quest.bearer(other_secret)).status == 403


# --- lookups and custom ids ------------------------------------------------------------------------------


def test_lookups_answer_within_the_callers_reach_only(quest: Quest, owned: tuple[User, str]) -> None:
    owner, entity_id = owned
    quest.call(
        "POST",
        f"/api/entities/{entity_id}/custom-ids",
        owner.headers,
        {"platform": "DISCORD", "platformId": "guild-1", "name": "My guild"},
    )
    stranger = quest.new_user("Stranger")
    _, stranger_key = quest.new_key(stranger, quest.new_entity(stranger))
    by_alias = {"entityURLAlias": "MY-GAME"}
    by_custom = {"platform": "DISCORD", "customEntityId": "guild-1"}

    assert quest.call("GET", "/api/entities/by-alias", owner.headers, query=by_alias).data == entity_id
    assert quest.call("GET", "/api/entities/by-alias", quest.operator, query=by_alias).data == entity_id
    assert quest.call("GET", "/api/entities/by-custom-id", owner.headers, query=by_custom).data == entity_id
    for outsider in (stranger.headers, quest.bearer(stranger_key)):
        for path, query in (("by-alias", by_alias), ("by-custom-id", by_custom)):
            refused = quest.call("GET", f"/api/entities/{path}", outsider, query=query)
            assert refused.status == 404 and entity_id not in refused.text
    missing = quest.call("GET", "/api/entities/by-alias", owner.headers, query={"entityURLAlias": "nope"})
    assert missing.status == 404
    assert (
        quest.call("GET", "/api/entities/by-alias", owner.headers, query={"entityURLAlias": "a b"}).status
        == 400
    )
    assert (
        quest.call("GET", "/api/entities/by-custom-id", owner.headers, query={"platform": "X"}).status == 400
    )


def test_a_custom_id_belongs_to_one_entity_and_its_tokens_are_kept_not_answered(
    aws: Aws, quest: Quest, owned: tuple[User, str]
) -> None:
    owner, entity_id = owned
    body = {
        "platform": "DISCORD",
        "platformId": "platformId",
        "name": "dummy-name",
        "username": "dummy-username",
        "link": "dummy-link",
        "accessToken": "dummy-access-token",
        "refreshToken": "dummy-refresh-token",
        "expiry": "some-date",
    }

    added = quest.call("POST", f"/api/entities/{entity_id}/custom-ids", owner.headers, body)
    again = quest.call(
        "POST", f"/api/entities/{entity_id}/custom-ids", owner.headers, {**body, "name": "renamed"}
    )
    other_owner = quest.new_user("Other")
    other = quest.new_entity(other_owner)
    before = table_items(aws)
    stolen = quest.call("POST", f"/api/entities/{other}/custom-ids", other_owner.headers, body)

    assert added.status == 201 and added.data["hasTokens"] is True
    assert "dummy-access-token" not in added.text and "dummy-refresh-token" not in added.text
    assert again.status == 201 and again.data["name"] == "renamed"
    assert stolen.status == 400 and stolen.error.startswith("platformId:")
    assert table_items(aws) == before
    stored = get_table().get(keys.entity_custom_id(entity_id, "DISCORD", "platformId"))
    assert stored is not None and stored["access_token"] == "dummy-access-token"


def test_custom_id_bad_input_and_refusals(aws: Aws, quest: Quest, owned: tuple[User, str]) -> None:
    owner, entity_id = owned
    member = quest.new_user("Member")
    quest.call("POST", f"/api/entities/{entity_id}/users", owner.headers, {"userIds": [member.user_id]})
    before = table_items(aws)
    path = f"/api/entities/{entity_id}/custom-ids"

    assert quest.call("POST", path, owner.headers, {"platformId": "1"}).error.startswith("platform:")
    assert quest.call("POST", path, owner.headers, {"platform": "DISCORD"}).error.startswith("platformId:")
    assert quest.call("POST", path, member.headers, {"platform": "DISCORD", "platformId": "1"}).status == 403
    assert table_items(aws) == before


def test_the_seeded_secret_key_reads_its_entity(quest: Quest, entity: dict[str, str]) -> None:
    reply = quest.call("GET", f"/api/entities/{entity['ENTITY_ID']}", quest.bearer(entity["SECRET_KEY"]))

    assert reply.status == 200
    assert get_table().get(keys.api_key(secret_hash(entity["SECRET_KEY"]))) is not None
