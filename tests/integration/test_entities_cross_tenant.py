"""Tenant isolation over HTTP: every Entity API route is called with entity B's credentials (its secret key,
publishable key, owner's and admin's tokens) against entity A. None may answer 2xx for A, none may show
anything of A, and A is unchanged afterwards.

The sweep covers every route the template declares for the entities function (a new route fails this test
until it is added here). The one public route, the theme read, is listed apart: a theme is public by design.
"""

from __future__ import annotations

import pytest

from local.stack import LocalStack
from local.template import Template
from tests.integration.conftest import Api
from tests.integration.entity_world import Tenant, new_tenant
from tests.integration.isolation import entity_route_requests, shown_secrets, tenant_items

ENTITY_API_FUNCTIONS = ("EntitiesFunction", "EntityMembersFunction", "EntitySocialFunction")

PUBLIC_ROUTES = {"GET /api/entities/{entityId}/theme"}
# Routes that do not name an entity: B may use them (2xx), but nothing of A may come back.
UNTARGETED_ROUTES = {"GET /api/entities"}


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
    specs = Template.load().functions()
    template_routes = {r.route_key for function in ENTITY_API_FUNCTIONS for r in specs[function].routes}

    assert set(entity_route_requests(tenants[0])) == template_routes


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
    before = tenant_items(stack, a.entity_id, a.owner.user_id)
    leaks: list[tuple[str, int, str]] = []

    for route_key, (path, query, body) in entity_route_requests(a).items():
        if route_key in PUBLIC_ROUTES:
            continue
        method = route_key.split()[0]
        reply = api.request(method, path, headers=headers, params=query, json=body)
        # the path itself names A's ids; what must not come back is anything A holds
        shown = shown_secrets(reply, a_secrets, path, query)
        if route_key in UNTARGETED_ROUTES:
            if shown:
                leaks.append((route_key, reply.status_code, reply.text[:200]))
            continue
        if 200 <= reply.status_code < 300 or shown:
            leaks.append((route_key, reply.status_code, reply.text[:200]))

    assert leaks == []
    assert tenant_items(stack, a.entity_id, a.owner.user_id) == before
    # A still works for its own owner
    assert api.get(f"/api/entities/{a.entity_id}", headers=api.bearer(a.secret_key)).status_code == 200
