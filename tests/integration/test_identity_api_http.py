"""The identity API end to end through the local stack over real HTTP: people made by HeyMint and Endu, read
and found by any identifier, a link the rules refuse answered 409 and visible on both people, a link that
merges them, and the `identity.merged` webhook delivered signed to a receiver on loopback."""

from __future__ import annotations

import base64
import time
from typing import Any

import requests
from standardwebhooks import Webhook

from local.stack import LocalStack
from tests.integration.conftest import Api, new_tenant
from tests.support import Receiver, eventually

SECRET = "identity-hook-secret"


def test_read_lookup_refused_link_and_the_merge_webhook(
    stack: LocalStack, api: Api, receiver: Receiver
) -> None:
    tenant = new_tenant(stack, "Identity API tenant")
    sk = {"x-api-key": tenant["secret_key"]}

    def heymint(method: str, path: str, **kwargs: Any) -> requests.Response:
        return api.request(method, path, headers=sk, **kwargs)

    hook = {"scope": "identity", "uri": receiver.url, "secret": SECRET, "hook_id": "people", "pids": []}
    assert api.post("/hook", json=hook, headers=api.bearer(tenant["secret_key"])).status_code == 200
    alice = heymint("POST", "/v1/identities", json={"uniqueIdentifier": "alice"}).json()["id"]
    bob = heymint("POST", "/v1/identities", json={"uniqueIdentifier": "bob"}).json()["id"]
    record = {
        "property_id": "p",
        "organization_id": tenant["entity_id"],
        "timestamp": str(int(time.time())),
        "event_type": "visit",
        "event_data": {},
        "fingerprint": "fp-carol",
    }
    assert (
        api.post("/api/events/record", json=record, headers=api.bearer(tenant["public_key"])).status_code
        == 200
    )

    read = heymint("GET", f"/v1/identities/{alice}")
    found = heymint("GET", "/api/v1/identities", params={"kind": "user_id", "value": "alice"})
    carol = heymint("GET", "/v1/identities", params={"kind": "fingerprint", "value": "fp-carol"})
    as_public = api.request("GET", f"/v1/identities/{alice}", headers={"x-api-key": tenant["public_key"]})

    assert read.status_code == 200 and read.json()["id"] == alice
    assert [(i["kind"], i["value"], i["surface"]) for i in read.json()["identifiers"]] == [
        ("user_id", "alice", "heymint")
    ]
    assert found.status_code == 200 and found.json() == read.json()
    assert carol.status_code == 200 and carol.json()["identifiers"][0]["surface"] == "endu"
    assert as_public.status_code == 401 and alice not in as_public.text

    refused = heymint("POST", f"/v1/identities/{alice}/identifiers", json={"kind": "user_id", "value": "bob"})
    assert refused.status_code == 409 and refused.json()["code"] == "identity_conflict"
    on_bob = heymint("GET", f"/v1/identities/{bob}").json()["conflicts"]
    assert [(c["otherIdentityId"], c["reason"]) for c in on_bob] == [(alice, "two_user_ids")]

    merged = heymint(
        "POST", f"/v1/identities/{alice}/identifiers", json={"kind": "fingerprint", "value": "fp-carol"}
    )
    carol_id = carol.json()["id"]
    assert merged.status_code == 200 and merged.json()["mergedIds"] == [carol_id]
    assert heymint("GET", f"/v1/identities/{carol_id}").json()["redirectedFrom"] == carol_id

    key = "whsec_" + base64.b64encode(SECRET.encode()).decode()

    def delivered() -> list[dict[str, Any]] | None:
        payloads = [Webhook(key).verify(body, headers) for headers, body in receiver.requests]
        return payloads if len(payloads) >= 3 else None  # two conflict sides and the merge

    payloads = eventually(delivered, timeout=60)
    assert sorted(p["type"] for p in payloads) == [
        "identity.conflict",
        "identity.conflict",
        "identity.merged",
    ]
    (event,) = [p for p in payloads if p["type"] == "identity.merged"]
    assert event["data"]["identity_id"] == alice and event["data"]["merged_identity_id"] == carol_id
