"""Endu ingestion through its sample events: every variation and combination of identity keys."""

from __future__ import annotations

from typing import Any

import pytest

from questline.identity import identifiers as ids
from questline.identity.graph import partitions_of, read_identity, resolve
from questline.storage import get_table, keys
from questline.storage.table import Update
from questline.tenancy.entities import create_enabled_entity
from tests.support import api_event
from tests.unit.conftest import Aws

F = "IngestFunction"


def base(aws: Aws, **extra: Any) -> dict[str, Any]:
    return {
        "property_id": "D#1007491775344160808",
        "organization_id": aws.values["ENTITY_ID"],
        "timestamp": "1672536219",
        "event_type": "ITEM_PURCHASED",
        "event_data": {"item_id": "8258727671"},
        **extra,
    }


def record(aws: Aws, body: Any, key: str | None = None) -> tuple[int, Any]:
    headers = {"authorization": f"Bearer {key or aws.values['PUBLIC_KEY']}"}
    return aws.call(F, api_event("POST", "/api/events/record", body=body, headers=headers))


def person(aws: Aws, identifier: ids.Identifier) -> dict[str, Any]:
    entity_id = aws.values["ENTITY_ID"]
    return read_identity(entity_id, resolve(entity_id, [identifier], create=False).identity_id)


def logs(aws: Aws) -> list[dict[str, Any]]:
    return [i for i in aws.table_items() if i["type"] == "event_log"]


def test_each_seed_variation_is_recorded_with_an_empty_200(aws: Aws, entity: dict[str, str]) -> None:
    for name in ("ingest_record_platform", "ingest_record_fingerprint", "ingest_record_mutation"):
        response = aws.invoke(F, name)
        assert (response["statusCode"], response.get("body") or "") == (200, ""), name
    assert record(aws, base(aws, c_user_id=person(aws, ids.fingerprint("xuauwiaufjwaj"))["identity_id"])) == (
        200,
        None,
    )
    recorded = logs(aws)
    assert len(recorded) == 4
    assert {log["property_id"] for log in recorded} == {"D#1007491775344160808"}
    assert {log["client_ts"] for log in recorded} == {1672536219}
    assert {log["source"] for log in recorded} == {"endu"}


def test_a_mutation_links_the_keys_it_carries_to_one_person(aws: Aws, entity: dict[str, str]) -> None:
    aws.invoke(F, "ingest_record_platform")
    aws.invoke(F, "ingest_record_mutation")  # the same Discord user, now with a wallet

    discord = person(aws, ids.account("discord", "702877938567086080"))
    assert person(aws, ids.wallet("0x0"))["identity_id"] == discord["identity_id"]


def test_events_seen_under_a_fingerprint_are_reassociated_when_it_is_linked(
    aws: Aws, entity: dict[str, str]
) -> None:
    record(aws, base(aws, event_type="PAGE_VIEW", fingerprint="fp-1"))
    record(aws, base(aws, event_type="PAGE_VIEW", fingerprint="fp-1"))
    record(aws, base(aws, p_user_id="777", platform_type="Telegram"))

    record(aws, base(aws, event_type="LINKED", fingerprint="fp-1", p_user_id="777", platform_type="telegram"))

    someone = person(aws, ids.account("telegram", "777"))
    assert person(aws, ids.fingerprint("fp-1"))["identity_id"] == someone["identity_id"]
    timeline = [i for i in logs(aws) if i["identity_id"] in partitions_of(someone)]
    assert sorted(log["name"] for log in timeline) == ["ITEM_PURCHASED", "LINKED", "PAGE_VIEW", "PAGE_VIEW"]


def test_timestamps_come_as_strings_or_numbers(aws: Aws, entity: dict[str, str]) -> None:
    assert record(aws, base(aws, timestamp=1672536219, fingerprint="a"))[0] == 200
    assert record(aws, base(aws, timestamp="1672536219.5", fingerprint="a"))[0] == 200
    assert sorted(log["client_ts"] for log in logs(aws)) == [1672536219, 1672536219.5]


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({}, 400, "an identity key is required"),
        ({"p_user_id": "1"}, 400, "p_user_id and platform_type go together"),
        ({"p_user_id": "1", "platform_type": "Slack"}, 400, "one of Discord, Telegram"),
        ({"fingerprint": "f", "timestamp": "yesterday"}, 400, "timestamp must be Unix seconds"),
        ({"fingerprint": "f", "timestamp": -5}, 400, "timestamp must be Unix seconds"),
        ({"fingerprint": "f", "timestamp": True}, 400, "timestamp"),
        ({"fingerprint": "f", "event_data": "text"}, 400, "event_data"),
        (
            {"fingerprint": "f", "blockchain": {"chain_type": "solana"}},
            400,
            "blockchain.chain_account: is required",
        ),
        ({"fingerprint": "f", "organization_id": "848WN4oEUgisKrV9dY9Ni6"}, 403, "organization_id"),
        ({"c_user_id": "01a00000-0000-7000-8000-000000000000"}, 404, "does not exist"),
        ({"fingerprint": "f", "property_id": None}, 400, "property_id"),
    ],
)
def test_bad_input_is_a_clear_4xx_and_writes_nothing(
    aws: Aws, entity: dict[str, str], change: dict[str, Any], status: int, words: str
) -> None:
    before = aws.table_items()

    got, body = record(aws, {k: v for k, v in base(aws, **change).items() if v is not None})

    assert got == status and words in body["message"] and set(body) == {"message", "code"}, body
    assert aws.table_items() == before


def test_an_organization_of_the_key_records_into_itself(aws: Aws, entity: dict[str, str]) -> None:
    child = create_enabled_entity("Guild")
    get_table().update(
        keys.entity(child.entity["entity_id"]), Update(set={"parent_entity_id": entity["ENTITY_ID"]})
    )
    stranger = create_enabled_entity("Stranger").entity["entity_id"]

    assert record(aws, base(aws, organization_id=child.entity["entity_id"], fingerprint="g"))[0] == 200
    assert record(aws, base(aws, organization_id=stranger, fingerprint="g"))[0] == 403
    assert [log["entity_id"] for log in logs(aws)] == [child.entity["entity_id"]]
