"""Every route of the published OpenAPI document fuzzed with schemathesis, through the local stack.

The document is the one the stack serves (`GET /openapi.json`). Each operation gets generated requests
(valid and invalid data) carrying a credential it accepts, and every answer must be no 5xx and conform to
what the document says of that route: its status codes, its content type and its response schema.

Credentials: each operation says which kinds it accepts (`x-questline-credentials`, from its `AuthPolicy`);
the test sends the first of platform user (the entity's owner), secret key, publishable key, operator. The
path's `entityId` is always the tenant's own, so requests get past authorization; in a third of the examples
the other names of the tenant's things (`userId`, `keyId`, a `pid` in the path, query or body, a body's
`organization_id`) are its own too, so they reach the handlers' success paths; otherwise they are generated.
Another third is negative data (schemathesis's invalid bodies and parameters).

Routes that end credentials or the entity itself (deleting it, revoking or rotating a key, a new user
token) run against a throwaway tenant made for that operation; every other operation shares one fuzz tenant
(never the stack's demo tenant, which other integration tests read). After each operation the fuzz tenant's
credentials must still work, so a new destructive route cannot quietly break the ones after it.

`QUESTLINE_FUZZ_EXAMPLES` bounds the generated examples per operation (CI default below; a `/api/v1` twin of
a canonical route gets a few); generation is derandomized, so a run is repeatable.
"""

from __future__ import annotations

import json
import os
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.schemas import OpenApiSchema

from local.openapi import DOCUMENT as OPENAPI_DOCUMENT
from local.stack import DEMO_CAMPAIGN, LocalStack
from tests.integration.conftest import Api, new_tenant

MAX_EXAMPLES = int(os.environ.get("QUESTLINE_FUZZ_EXAMPLES", "25"))
# A `/api/v1` twin (`x-questline-twin-of`) runs its canonical route's handler on the canonical path
# (tests/unit/test_base_paths.py): a few examples show it is routed and documented as that route is.
TWIN_EXAMPLES = min(MAX_EXAMPLES, 3)

# Routes that end a credential or the entity: each runs against a tenant of its own.
DESTRUCTIVE = {
    "DELETE /api/entities/{entityId}",
    "DELETE /api/entities/{entityId}/keys/{keyId}",
    "POST /api/entities/{entityId}/keys/{keyId}/rotate",
    "POST /api/users/{userId}/token",
}
# A user's new token ends the one that asked for it; the operator asks instead, so every example counts.
CREDENTIAL_OVERRIDES = {"POST /api/users/{userId}/token": "operator"}
PREFERENCE = ("platform_user", "secret_key", "publishable_key", "operator")

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]

covered: set[str] = set()


class Tenant:
    """A platform user owning an enabled entity with an sk_ and a pk_ key and a published campaign."""

    def __init__(self, stack: LocalStack, name: str) -> None:
        made = new_tenant(stack, name)
        self.url: str = stack.state["api_url"]
        self.operator_key: str = stack.state["operator_key"]
        self.user_id: str = made["user_id"]
        self.user_token: str = made["user_token"]
        self.entity_id: str = made["entity_id"]
        self.secret_key: str = made["secret_key"]
        self.public_key: str = made["public_key"]
        keys = self._call("GET", f"/api/entities/{self.entity_id}/keys")
        self.key_id: str = next(key["keyId"] for key in keys if key["type"] == "sk")
        self.campaign_id = "fuzz_campaign"
        campaign = f"/api/entities/{self.entity_id}/campaigns/{self.campaign_id}"
        self._call("PUT", campaign, json.loads(json.loads(DEMO_CAMPAIGN.read_text(encoding="utf-8"))["body"]))
        self._call("POST", f"{campaign}/publish", {})

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(
            method, self.url + path, json=body, headers=self.headers("platform_user"), timeout=30
        )
        assert response.status_code < 300, response.text
        return response.json()["data"]

    def headers(self, kind: str) -> dict[str, str]:
        if kind == "platform_user":
            return {"userid": self.user_id, "token": self.user_token}
        key = {
            "secret_key": self.secret_key,
            "publishable_key": self.public_key,
            "operator": self.operator_key,
        }
        return {"Authorization": f"Bearer {key[kind]}"}

    def own(self) -> dict[str, str]:
        """Parameter values naming this tenant's things."""
        return {
            "entityId": self.entity_id,
            "userId": self.user_id,
            "keyId": self.key_id,
            "pid": self.campaign_id,
        }

    def own_body(self, case: Case) -> Case:
        """The campaign and the organization a generated body names become this tenant's."""
        if isinstance(case.body, dict):
            own = {"pid": self.campaign_id, "organization_id": self.entity_id}
            case.body.update({name: value for name, value in own.items() if name in case.body})
        return case

    def still_works(self) -> None:
        for kind in ("platform_user", "secret_key"):
            response = requests.get(
                f"{self.url}/api/entities/{self.entity_id}", headers=self.headers(kind), timeout=30
            )
            assert response.status_code == 200, (kind, response.text)


@pytest.fixture(scope="module")
def document(api: Api) -> dict[str, Any]:
    response = api.get("/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def fuzz_schema(api: Api, document: dict[str, Any]) -> OpenApiSchema:
    # Security parameters are the test's to send (valid ones), not generated.
    config = SchemathesisConfig.from_dict(
        {"base-url": api.url, "generation": {"with-security-parameters": False}}
    )
    return schemathesis.openapi.from_dict(document, config=config)


@pytest.fixture(scope="module")
def fuzz_tenant(stack: LocalStack) -> Tenant:
    return Tenant(stack, "Fuzz tenant")


def _route_keys(document: dict[str, Any]) -> list[str]:
    return [f"{method.upper()} {path}" for path, methods in document["paths"].items() for method in methods]


# Collected from the checked-in document (what the stack serves; a unit test keeps it current); the last
# test checks the served document has exactly these operations.
ROUTE_KEYS = _route_keys(json.loads(OPENAPI_DOCUMENT.read_text(encoding="utf-8")))


@pytest.mark.parametrize("route_key", ROUTE_KEYS)
def test_operation_answers_as_documented(
    route_key: str, fuzz_schema: OpenApiSchema, fuzz_tenant: Tenant, stack: LocalStack
) -> None:
    operation = fuzz_schema.find_operation_by_label(route_key)
    assert operation is not None, route_key
    tenant = Tenant(stack, "Throwaway tenant") if route_key in DESTRUCTIVE else fuzz_tenant
    own = tenant.own()
    names = {parameter.name for parameter in operation.path_parameters}
    query_names = {parameter.name for parameter in operation.query}
    fixed = {name: own[name] for name in names if name == "entityId"}
    owned = {name: own[name] for name in names if name in own}
    owned_query = {"pid": tenant.campaign_id} if "pid" in query_names else {}
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=owned, query=owned_query or None).map(
            tenant.own_body
        ),
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed),
        operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed),
    )
    accepted = operation.definition.raw.get("x-questline-credentials", [])
    headers: dict[str, str] = {}
    if accepted:
        kind = CREDENTIAL_OVERRIDES.get(route_key) or next(k for k in PREFERENCE if k in accepted)
        headers = tenant.headers(kind)

    twin = "x-questline-twin-of" in operation.definition.raw

    @hypothesis.settings(
        max_examples=TWIN_EXAMPLES if twin else MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )
    @hypothesis.given(case=strategy)
    def fuzz(case: Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    covered.add(route_key)
    fuzz()
    if tenant is fuzz_tenant:
        tenant.still_works()


def test_every_operation_was_fuzzed(document: dict[str, Any]) -> None:
    assert set(_route_keys(document)) == set(ROUTE_KEYS) == covered
