"""HeyMint, Parcelvoy and Endu through the local stack over real HTTP, on one identity graph: the seed
documents' own example requests as written (our key and ids substituted), idempotency, merges across
surfaces, bad input and tenant isolation."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from tests.integration.conftest import Api


def heymint(api: Api, method: str, path: str, key: str | None = None, **kwargs: Any) -> requests.Response:
    return api.request(method, path, headers={"x-api-key": key or api.state["secret_key"]}, **kwargs)


def parcelvoy(api: Api, path: str, body: Any, key: str | None = None) -> requests.Response:
    return api.post(path, json=body, headers=api.bearer(key or api.state["public_key"]))


def endu(api: Api, body: dict[str, Any], key: str | None = None) -> requests.Response:
    return api.post("/api/events/record", json=body, headers=api.bearer(key or api.state["public_key"]))


def endu_base(api: Api, **extra: Any) -> dict[str, Any]:
    return {
        "property_id": "D#1007491775344160808",
        "organization_id": api.state["entity_id"],
        "timestamp": "1672536219",
        "event_type": "ITEM_PURCHASED",
        "event_data": {"item_id": "8258727671"},
        **extra,
    }


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_heymint_seed_examples(api: Api) -> None:
    uid, slug = unique("abcd1234"), unique("level_up")[:60]
    identity = heymint(api, "POST", "/v1/identities", json={"uniqueIdentifier": uid})
    same = heymint(api, "POST", "/v1/identities", json={"uniqueIdentifier": uid})
    identity_id = identity.json()["id"]
    association = heymint(api, "POST", f"/v1/identities/{identity_id}/association")
    event = heymint(api, "POST", "/v1/events", json={"name": "Level Up", "slug": slug})
    event_id = event.json()["id"]
    by_id = heymint(
        api,
        "POST",
        "/v1/events/logs",
        json={"identityId": identity_id, "eventId": event_id, "uniqueIdentifier": "abcd1234"},
    )
    repeat = heymint(
        api,
        "POST",
        "/v1/events/logs",
        json={"identityId": identity_id, "eventId": event_id, "uniqueIdentifier": "abcd1234"},
    )
    by_slug = heymint(api, "POST", "/v1/events/logs", json={"eventSlug": slug, "identityId": identity_id})
    listed = heymint(
        api, "GET", "/v1/events/logs", params={"eventId": event_id, "identityId": identity_id, "limit": 100}
    )

    assert identity.status_code == 200 and same.json() == identity.json()
    assert association.status_code == 200 and association.json()["identityId"] == identity_id
    assert "/claim-identity/" in association.json()["url"]
    assert event.status_code == 200 and event.json()["slug"] == slug
    assert by_id.status_code == 200 and set(by_id.json()) == {"logId", "identityClaimed"}
    assert repeat.json() == by_id.json()
    assert by_slug.status_code == 200 and set(by_slug.json()) == {"logId", "createdAt", "identityClaimed"}
    assert [log["id"] for log in listed.json()["logs"]] == [by_id.json()["logId"], by_slug.json()["logId"]]


def test_parcelvoy_seed_examples(api: Api) -> None:
    external = unique("EXTERNAL_ID")
    calls = [
        ("/api/client/alias", {"anonymous_id": unique("ANONYMOUS_ID"), "external_id": external}),
        (
            "/api/client/identify",
            {
                "external_id": external,
                "email": "test@test.com",
                "timezone": "America/Chicago",
                "locale": "en",
                "data": {"first_name": "John", "last_name": "Smith", "has_completed_onboarding": True},
            },
        ),
        (
            "/api/client/devices",
            {
                "external_id": external,
                "device_id": "5e356e66-03aa-4926-a322-d7f5c89049c1",
                "token": "45d2e0c7bbb649679723a96d92d0fa305e356e6603aa4926a322d7f5c89",
                "os": "iOS 16.3",
                "model": "iPhone15,2",
                "app_build": "465",
                "app_version": "1.2.4",
            },
        ),
        (
            "/api/client/events",
            [
                {
                    "external_id": external,
                    "name": "Product Purchased",
                    "data": {"product_id": 12345, "price": 49.99, "quantity": 4},
                }
            ],
        ),
    ]
    for path, body in calls:
        response = parcelvoy(api, path, body)
        assert (response.status_code, response.content) == (204, b""), path
    with_secret = parcelvoy(
        api, "/api/client/identify", {"external_id": external}, key=api.state["secret_key"]
    )
    assert with_secret.status_code == 204


def test_parcelvoy_errors_are_parcelvoys(api: Api) -> None:
    unauthorized = api.post("/api/client/events", json=[{"name": "x", "external_id": "y"}])
    unknown = parcelvoy(api, "/api/client/events", [{"name": "x", "external_id": "y"}], key="pk_nobody")
    invalid = parcelvoy(api, "/api/client/identify", {"external_id": "y", "timezone": "Nowhere/Land"})

    assert (unauthorized.status_code, unauthorized.json()) == (
        401,
        {"status": "error", "error": "Authorization error.", "code": 1000},
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, 6000)
    assert (invalid.status_code, invalid.json()) == (
        422,
        {"status": "error", "error": "The timezone value must be in the IANA format."},
    )


def test_endu_seed_variations(api: Api) -> None:
    discord, fingerprint = unique("7028779385"), unique("xuauwiaufjwaj")
    variations = [
        endu_base(api, p_user_id=discord, platform_type="Discord"),
        endu_base(api, blockchain={"chain_type": "solana", "chain_account": unique("0x0")}),
        endu_base(api, event_type="PAGE_VIEW", fingerprint=fingerprint),
        endu_base(
            api,
            p_user_id=discord,
            platform_type="Discord",
            blockchain={"chain_type": "solana", "chain_account": unique("0x0")},
        ),
    ]
    for body in variations:
        response = endu(api, body)
        assert (response.status_code, response.content) == (200, b""), body

    bad = endu(api, endu_base(api))
    assert bad.status_code == 400 and set(bad.json()) == {"message", "code"}


def test_one_person_across_endu_and_heymint(api: Api) -> None:
    discord = unique("dc")
    endu(
        api,
        endu_base(
            api, event_type="PAGE_VIEW", fingerprint=unique("fp"), p_user_id=discord, platform_type="Discord"
        ),
    )
    endu_person = heymint(api, "POST", "/v1/identities", json={}).json()[
        "id"
    ]  # unrelated, to show ids differ
    player = heymint(api, "POST", "/v1/identities", json={"uniqueIdentifier": unique("player")}).json()["id"]
    url = heymint(api, "POST", f"/v1/identities/{player}/association").json()["url"]
    token = url.rsplit("/", 1)[1]

    claimed = heymint(api, "POST", f"/v1/claims/{token}", json={"platform": "discord", "account": discord})
    timeline = heymint(api, "GET", "/v1/events/logs", params={"identityId": player}).json()["logs"]

    assert claimed.status_code == 200 and claimed.json()["claimed"] is True
    survivor = claimed.json()["identityId"]
    assert len(claimed.json()["mergedIdentityIds"]) == 1 and player in {
        survivor,
        *claimed.json()["mergedIdentityIds"],
    }
    assert survivor != endu_person
    assert [(log["eventSlug"], log["source"], log["identityId"]) for log in timeline] == [
        ("PAGE_VIEW", "endu", survivor)
    ]


def test_another_tenant_sees_nothing(api: Api, other_entity: dict[str, Any]) -> None:
    identity = heymint(api, "POST", "/v1/identities", json={"uniqueIdentifier": unique("mine")}).json()["id"]
    event = heymint(api, "POST", "/v1/events", json={"name": "x", "slug": unique("x")}).json()["id"]
    heymint(api, "POST", "/v1/events/logs", json={"identityId": identity, "eventId": event})
    theirs = other_entity["secret_key"]

    assert (
        heymint(api, "GET", "/v1/events/logs", key=theirs, params={"identityId": identity}).status_code == 404
    )
    assert (
        heymint(
            api, "POST", "/v1/events/logs", key=theirs, json={"identityId": identity, "eventId": event}
        ).status_code
        == 404
    )
    assert identity not in heymint(api, "GET", "/v1/events/logs", key=theirs).text
    assert endu(api, endu_base(api, fingerprint="f"), key=other_entity["public_key"]).status_code == 403
