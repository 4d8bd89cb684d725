"""Endu migrations: an existing Endu client keeps sending its Chatsight `organization_id` (the seed's
`848WN4oEUgisKrV9dY9Ni6`). The entity registers that id through the Entity API as a custom id of platform
`ENDU`; events carrying it are accepted from then on, for that entity only."""

from __future__ import annotations

from typing import Any

from tests.support import api_event
from tests.unit.conftest import Aws
from tests.unit.quest_client import Quest

CHATSIGHT_ORGANIZATION = "848WN4oEUgisKrV9dY9Ni6"


def _event(organization_id: str) -> dict[str, Any]:
    return {
        "property_id": "D#1007491775344160808",
        "organization_id": organization_id,
        "timestamp": "1672536219",
        "event_type": "ITEM_PURCHASED",
        "p_user_id": "702877938567086080",
        "platform_type": "Discord",
        "event_data": {"item_id": "8258727671"},
    }


def _record(aws: Aws, key: str, organization_id: str) -> tuple[int, Any]:
    return aws.call(
        "IngestFunction",
        api_event(
            "POST",
            "/api/events/record",
            body=_event(organization_id),
            headers={"authorization": f"Bearer {key}"},
        ),
    )


def _logs_of(aws: Aws, entity_id: str) -> list[dict[str, Any]]:
    return [i for i in aws.table_items() if i["type"] == "event_log" and i["entity_id"] == entity_id]


def test_a_registered_endu_organization_id_is_accepted_for_its_entity_only(aws: Aws) -> None:
    quest = Quest(aws)
    owner, other_owner = quest.new_user(), quest.new_user()
    entity_id = quest.new_entity(owner, "Migrated from Endu")
    _, public_key = quest.new_key(owner, entity_id, "pk")
    other_id = quest.new_entity(other_owner, "Someone else")
    _, other_key = quest.new_key(other_owner, other_id, "pk")

    before = _record(aws, public_key, CHATSIGHT_ORGANIZATION)
    registered = quest.call(
        "POST",
        f"/api/entities/{entity_id}/custom-ids",
        owner.headers,
        {"platform": "ENDU", "platformId": CHATSIGHT_ORGANIZATION, "name": "Chatsight organization"},
    )
    after = _record(aws, public_key, CHATSIGHT_ORGANIZATION)
    by_another_key = _record(aws, other_key, CHATSIGHT_ORGANIZATION)
    taken = quest.call(
        "POST",
        f"/api/entities/{other_id}/custom-ids",
        other_owner.headers,
        {"platform": "endu", "platformId": CHATSIGHT_ORGANIZATION},
    )

    assert before[0] == 403 and before[1]["code"] == "forbidden"
    assert registered.status == 201, registered.text
    assert after == (200, None)
    assert [(log["name"], log["source"]) for log in _logs_of(aws, entity_id)] == [("ITEM_PURCHASED", "endu")]
    assert by_another_key[0] == 403 and _logs_of(aws, other_id) == []
    assert taken.status == 400 and taken.error.startswith("platformId")


def test_a_custom_id_of_another_platform_does_not_name_an_endu_organization(aws: Aws) -> None:
    quest = Quest(aws)
    owner = quest.new_user()
    entity_id = quest.new_entity(owner)
    _, public_key = quest.new_key(owner, entity_id, "pk")
    quest.call(
        "POST",
        f"/api/entities/{entity_id}/custom-ids",
        owner.headers,
        {"platform": "DISCORD", "platformId": CHATSIGHT_ORGANIZATION},
    )

    assert _record(aws, public_key, CHATSIGHT_ORGANIZATION)[0] == 403
