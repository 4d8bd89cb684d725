"""Erasing a person while requests for them keep arriving, on DynamoDB Local: every write either lands on a
fresh person (the identifiers were released), is refused, or is swept; nothing personal stays with the
erased identity."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from questline.errors import NotFound, Retryable
from questline.events.logs import LogInput, write_log
from questline.identity import devices, erasure
from questline.identity import identifiers as ids
from questline.identity.graph import resolve
from questline.settings import get_settings
from questline.storage.codec import from_item

E = "e-" + "8" * 32


def everything() -> list[dict[str, Any]]:
    client = boto3.client("dynamodb")
    found: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=get_settings().table_name):
        found += [from_item(i) for i in page["Items"]]
    return found


def test_writes_racing_an_erase_leave_nothing_personal_with_the_erased_person(
    table_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(erasure, "_queue", lambda *args, **kwargs: None)  # the sweep is run below
    person = resolve(E, [ids.unique_identifier("racer"), ids.fingerprint("racer-fp")]).identity_id
    for n in range(50):
        write_log(E, person, LogInput("heymint", "seen", "seen", {"secret": f"racer-data-{n}"}))
    devices.upsert_device(E, person, "racer-device", "racer-push", {})
    started = threading.Event()
    outcomes: list[str] = []

    def writer(n: int) -> None:
        started.wait()
        time.sleep(n * 0.01)  # spread over the erase's own requests
        try:
            found = resolve(E, [ids.unique_identifier("racer")]).identity_id
            write_log(E, found, LogInput("endu", "race", "race", {"secret": f"racer-race-{n}"}))
            outcomes.append("fresh" if found != person else "before")
        except (Retryable, NotFound):
            outcomes.append("refused")

    with ThreadPoolExecutor(max_workers=12) as pool:
        futures = [pool.submit(writer, n) for n in range(40)]
        started.set()
        time.sleep(0.1)
        erasure.request_erasure(E, person)
        for future in futures:
            future.result()
    # (the settle delay: every request that read the person before the erase began has finished)
    while not erasure.sweep(E, person, budget_items=500):
        pass

    items = everything()
    erased = [i for i in items if person in json.dumps(i, default=str)]
    assert {i["type"] for i in erased} <= {"identity"}, erased
    assert erased[0]["status"] == "erased" and not {"email", "data", "phone"} & set(erased[0])
    survivors = {str(i.get("identity_id")) for i in items if "racer" in json.dumps(i, default=str)}
    assert person not in survivors  # whatever names the user id now belongs to a fresh person
    assert len(outcomes) == 40 and {"before", "fresh"} <= set(outcomes)  # the race was run
