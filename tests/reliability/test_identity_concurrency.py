"""The identity graph and idempotent logs under real concurrency on DynamoDB Local."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import boto3

from questline.events.ingest import EventIn, ingest, ingest_one
from questline.events.logs import LogInput
from questline.identity import identifiers as ids
from questline.identity.graph import read_identity, resolve
from questline.settings import get_settings

E = "e-" + "7" * 32


def items_of_type(kind: str) -> list[dict[str, object]]:
    client = boto3.client("dynamodb")
    found = []
    for page in client.get_paginator("scan").paginate(TableName=get_settings().table_name):
        found += [i for i in page["Items"] if i.get("type", {}).get("S") == kind]
    return found


def test_fifty_identical_logs_make_one(table_env: str) -> None:
    identity = resolve(E, [ids.unique_identifier("player")]).identity_id
    log = LogInput(source="heymint", event_key="level_up", name="Level Up", data={}, unique_key="once")

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda _: ingest_one(E, identity, log), range(50)))

    assert len({a.log_id for a in answers}) == 1
    assert sum(not a.repeated for a in answers) == 1
    assert len(items_of_type("event_log")) == 1


def test_concurrent_first_sightings_of_one_identifier_make_one_identity(table_env: str) -> None:
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(
            pool.map(
                lambda _: resolve(E, [ids.external_id("new-user"), ids.fingerprint("fp")]).identity_id,
                range(20),
            )
        )

    assert len(set(answers)) == 1
    assert len(items_of_type("identity")) == 1
    assert len(items_of_type("identifier")) == 2


def test_concurrent_links_converge_on_one_identity(table_env: str) -> None:
    people = [resolve(E, [ids.fingerprint(f"fp-{n}")]).identity_id for n in range(8)]
    links = [(n, n + 1) for n in range(7)] * 3

    def link(pair: tuple[int, int]) -> str:
        return ingest(
            E,
            [
                EventIn(
                    (ids.fingerprint(f"fp-{pair[0]}"), ids.fingerprint(f"fp-{pair[1]}")),
                    LogInput("endu", "LINK", "LINK", {}),
                )
            ],
        )[0].identity_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(link, links))

    survivors = {read_identity(E, person)["identity_id"] for person in people}
    assert survivors == {min(people)}
    owners = {i["identity_id"]["S"] for i in items_of_type("identifier")}
    assert owners <= set(people) and {read_identity(E, o)["identity_id"] for o in owners} == {min(people)}
