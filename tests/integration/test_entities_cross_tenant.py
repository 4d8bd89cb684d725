"""Tenant isolation over HTTP: every Entity API route is called with entity B's credentials (its secret key,
publishable key, owner's and admin's tokens) against entity A. None may answer 2xx for A, none may show
anything of A, and A is unchanged afterwards.

The sweep covers every route the template declares for the entities function (a new route fails this test
until it is added here). The one public route, the theme read, is listed apart: a theme is public by design.
"""

from __future__ import annotations

from typing import Any

import pytest

from local.stack import LocalStack
from local.template import Template
from tests.integration.conftest import Api
from tests.integration.entity_world import Tenant, new_tenant

PUBLIC_ROUTES = {"GET /api/entities/{entityId}/theme"}
# Routes that do not name an entity: B may use them (2xx), but nothing of A may come back.
UNTARGETED_ROUTES = {"GET /api/entities"}


def _requests(a: Tenant) -> dict[str, tuple[str, dict[str, Any] | None, Any]]:
    """For each route: the concrete path aimed at A, query parameters, and a valid body."""
    e = f"/api/entities/{a.entity_id}"
    oauth = {"code": "good-cross-tenant", "redirectUri": "https://x", "codeVerifier": "v"}
    return {
        "POST /api/users": ("/api/users", None, {"email": "intruder@example.com", "name": "Intruder"}),
        "POST /api/users/{userId}/token": (f"/api/users/{a.owner.user_id}/token", None, None),
        "POST /api/entities": (
            "/api/entities",
            None,
            {"name": "Under A", "chainSource": "OFF_CHAIN", "parentEntityId": a.entity_id},
        ),
        "GET /api/entities": ("/api/entities", {"limit": 100}, None),
        "GET /api/entities/pending": ("/api/entities/pending", None, None),
        "GET /api/entities/by-alias": ("/api/entities/by-alias", {"entityURLAlias": a.alias}, None),
        "GET /api/entities/by-custom-id": (
            "/api/entities/by-custom-id",
            {"platform": "DISCORD", "customEntityId": a.custom_id},
            None,
        ),
        "GET /api/entities/{entityId}": (e, None, None),
        "PATCH /api/entities/{entityId}": (e, None, {"description": "defaced"}),
        "DELETE /api/entities/{entityId}": (e, None, None),
        "POST /api/entities/{entityId}/enable": (f"{e}/enable", None, {}),
        "POST /api/entities/{entityId}/plan": (f"{e}/plan", None, {"plan": "FREE"}),
        "POST /api/entities/{entityId}/custom-ids": (
            f"{e}/custom-ids",
            None,
            {"platform": "DISCORD", "platformId": a.custom_id, "accessToken": "stolen"},
        ),
        "GET /api/entities/{entityId}/organizations": (f"{e}/organizations", None, None),
        "GET /api/entities/{entityId}/mau": (f"{e}/mau", {"month": "2026-11"}, None),
        "GET /api/entities/{entityId}/users": (f"{e}/users", None, None),
        "POST /api/entities/{entityId}/users": (f"{e}/users", None, {"userIds": [a.admin.user_id]}),
        "GET /api/entities/{entityId}/admins": (f"{e}/admins", None, None),
        "POST /api/entities/{entityId}/admins": (
            f"{e}/admins",
            None,
            {"role": "ADMIN", "email": a.admin.email},
        ),
        "DELETE /api/entities/{entityId}/admins/{userId}": (f"{e}/admins/{a.admin.user_id}", None, None),
        "GET /api/entities/{entityId}/keys": (f"{e}/keys", None, None),
        "POST /api/entities/{entityId}/keys": (f"{e}/keys", None, {"type": "sk"}),
        "POST /api/entities/{entityId}/keys/{keyId}/rotate": (
            f"{e}/keys/{a.secret_key_id}/rotate",
            None,
            None,
        ),
        "DELETE /api/entities/{entityId}/keys/{keyId}": (f"{e}/keys/{a.secret_key_id}", None, None),
        "GET /api/entities/{entityId}/tracking-tokens": (f"{e}/tracking-tokens", None, None),
        "GET /api/entities/{entityId}/theme": (f"{e}/theme", None, None),
        "PUT /api/entities/{entityId}/theme": (f"{e}/theme", None, {"primaryColor": "#000000"}),
        "POST /api/entities/{entityId}/twitter/connect": (f"{e}/twitter/connect", None, oauth),
        "POST /api/entities/{entityId}/twitter/disconnect": (f"{e}/twitter/disconnect", None, None),
        "POST /api/entities/{entityId}/discord/connect": (f"{e}/discord/connect", None, oauth),
        "POST /api/entities/{entityId}/discord/disconnect": (f"{e}/discord/disconnect", None, None),
        "POST /api/entities/{entityId}/slack/connect": (f"{e}/slack/connect", None, oauth),
        "GET /api/entities/{entityId}/social-tokens": (f"{e}/social-tokens", {"type": "TWITTER"}, None),
        "POST /api/entities/{entityId}/social-tokens": (
            f"{e}/social-tokens",
            None,
            {"type": "TWITTER", "accessToken": "planted"},
        ),
        "GET /api/entities/{entityId}/integrations": (f"{e}/integrations", None, None),
    }


def _snapshot(stack: LocalStack, a: Tenant) -> list[dict[str, Any]]:
    """Every item that belongs to A or names it, read from the table."""
    client = stack.client("dynamodb")
    found: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        page = client.scan(
            TableName=stack.state["table_name"], **({"ExclusiveStartKey": start} if start else {})
        )
        found.extend(
            item for item in page["Items"] if a.entity_id in str(item) or a.owner.user_id in str(item)
        )
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    return sorted(found, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))


@pytest.fixture(scope="module")
def tenants(api: Api) -> tuple[Tenant, Tenant]:
    a, b = new_tenant(api, "Alpha"), new_tenant(api, "Bravo")
    # A has connections and a theme worth stealing
    owner = a.owner.headers
    base = f"/api/entities/{a.entity_id}"
    assert (
        api.request("PUT", f"{base}/theme", headers=owner, json={"primaryColor": "#112233"}).status_code
        == 200
    )
    tokens = {
        "type": "TWITTER",
        "accessToken": "alpha-twitter-access",
        "refreshToken": "alpha-twitter-refresh",
    }
    assert api.post(f"{base}/social-tokens", headers=owner, json=tokens).status_code == 200
    return a, b


def test_the_sweep_covers_every_entities_route(tenants: tuple[Tenant, Tenant]) -> None:
    template_routes = {r.route_key for r in Template.load().functions()["EntitiesFunction"].routes}

    assert set(_requests(tenants[0])) == template_routes


@pytest.mark.parametrize(
    "credential", ["secret key", "secret key as apikey", "publishable key", "owner", "admin"]
)
def test_no_credential_of_b_reaches_a(
    api: Api, stack: LocalStack, tenants: tuple[Tenant, Tenant], credential: str
) -> None:
    a, b = tenants
    headers = {
        "secret key": api.bearer(b.secret_key),
        "secret key as apikey": {"apikey": b.secret_key},
        "publishable key": api.bearer(b.public_key),
        "owner": b.owner.headers,
        "admin": b.admin.headers,
    }[credential]
    a_secrets = [
        a.entity_id,
        a.name,
        a.alias,
        a.owner.user_id,
        a.owner.email,
        a.admin.email,
        a.secret_key,
        a.public_key,
        a.secret_key_id,
        a.custom_id,
        "alpha-twitter-access",
        "alpha-twitter-refresh",
        "#112233",
    ]
    before = _snapshot(stack, a)
    leaks: list[tuple[str, int, str]] = []

    for route_key, (path, query, body) in _requests(a).items():
        if route_key in PUBLIC_ROUTES:
            continue
        method = route_key.split()[0]
        reply = api.request(method, path, headers=headers, params=query, json=body)
        # the path itself names A's ids; what must not come back is anything A holds
        shown = [s for s in a_secrets if s in reply.text and s not in path and s not in str(query or "")]
        if route_key in UNTARGETED_ROUTES:
            if shown:
                leaks.append((route_key, reply.status_code, reply.text[:200]))
            continue
        if 200 <= reply.status_code < 300 or shown:
            leaks.append((route_key, reply.status_code, reply.text[:200]))

    assert leaks == []
    assert _snapshot(stack, a) == before
    # A still works for its own owner
    assert api.get(f"/api/entities/{a.entity_id}", headers=api.bearer(a.secret_key)).status_code == 200
