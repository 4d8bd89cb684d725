"""Vendor base paths: claimr clients call `https://prod.claimr.io/api/v1/<route>` and HeyMint's real base is
`https://{subdomain}.heymint.quest/api/v1/<route>`, so every claimr and HeyMint route also answers under
`/api/v1/…`, from a route declared once at its canonical path (the function's `Api` adds the twin; the
template routes it, one event per twin, which the checks below keep complete)."""

from __future__ import annotations

import itertools
import json

from local.inprocess import function_specs, load_function
from local.template import Template
from tests.support import api_event
from tests.unit.conftest import Aws

TWIN_FAMILIES = {"claimr": "/api/v1", "heymint": "/api"}


def _apis() -> dict[str, object]:
    return {logical: load_function(logical).api for logical, spec in function_specs().items() if spec.routes}


def test_no_two_routes_of_the_template_share_a_method_and_path() -> None:
    routes = [(r.method, r.path, logical) for logical, s in function_specs().items() for r in s.routes]

    clashes = [(a, b) for a, b in itertools.combinations(routes, 2) if (a[0], a[1]) == (b[0], b[1])]

    assert clashes == []
    keys = {f"{method} {path}" for method, path, _ in routes}
    # The two families' twins meet at /api/v1/events, on different methods.
    assert {"POST /api/v1/events", "GET /api/v1/events"} <= keys


def test_every_claimr_and_heymint_route_has_its_api_v1_twin_in_the_template() -> None:
    """The generated check: a route added at its canonical path without its twin event fails here, with the
    line to paste under the function's `Events:`."""
    missing: list[str] = []
    for logical, api in _apis().items():
        prefix = TWIN_FAMILIES.get(api.family.name)  # type: ignore[attr-defined]
        template = {r.route_key for r in function_specs()[logical].routes}
        for route_key in sorted(api.policies):  # type: ignore[attr-defined]
            method, path = route_key.split(" ", 1)
            if prefix and f"{method} {prefix}{path}" not in template:
                missing.append(
                    f"{logical}: <Name>ApiV1: {{Type: HttpApi, Properties: {{ApiId: !Ref HttpApi, "
                    f'Method: {method}, Path: "{prefix}{path}"}}}}'
                )
    assert missing == [], "add these events to template.yaml:\n" + "\n".join(missing)


def test_only_claimr_and_heymint_have_twins() -> None:
    for logical, spec in function_specs().items():
        api = _apis().get(logical)
        twins = {r.route_key for r in spec.routes if r.path.startswith("/api/v1/")}
        if api is None or api.family.name not in TWIN_FAMILIES:  # type: ignore[attr-defined]
            assert twins == set(), logical


def test_a_claimr_route_answers_under_api_v1_as_at_its_canonical_path(
    aws: Aws, entity: dict[str, str]
) -> None:
    headers = {"authorization": f"Bearer {entity['SECRET_KEY']}"}
    reward = {"account": "0xAbC", "platform": "web3", "pid": "nope", "id": "r-1", "xp": 5}

    canonical = aws.call(
        "ClaimrUsersFunction", api_event("POST", "/user/reward", body=reward, headers=headers)
    )
    twin = aws.call(
        "ClaimrUsersFunction", api_event("POST", "/api/v1/user/reward", body=reward, headers=headers)
    )

    assert canonical[0] == twin[0] == 404  # no campaign "nope": the same answer, in claimr's envelope
    assert twin == canonical
    assert twin[1]["success"] is False and twin[1]["code"] == "not_found"


def test_a_heymint_route_answers_under_api_v1(aws: Aws, entity: dict[str, str]) -> None:
    headers = {"x-api-key": entity["SECRET_KEY"]}
    body = {"uniqueIdentifier": "abcd1234"}

    status, created = aws.call(
        "HeyMintFunction", api_event("POST", "/api/v1/identities", body=body, headers=headers)
    )
    again = aws.call("HeyMintFunction", api_event("POST", "/v1/identities", body=body, headers=headers))

    assert status == 200 and again == (200, created)  # create-or-get: the same identity by either path


def test_the_openapi_document_lists_each_twin_with_its_canonical_route() -> None:
    from local import openapi

    paths = openapi.build_document()["paths"]

    twin = paths["/api/v1/user/balance"]["get"]
    canonical = paths["/user/balance"]["get"]
    assert twin["x-questline-twin-of"] == "/user/balance"
    assert twin["operationId"] != canonical["operationId"]
    assert json.dumps(twin["responses"]) == json.dumps(canonical["responses"])
    assert paths["/api/v1/identities"]["post"]["x-questline-twin-of"] == "/v1/identities"
    assert "/api/v1/api/client/events" not in paths and "/api/v1/api/entities" not in paths


def test_the_raw_template_routes_every_twin_to_the_canonical_function() -> None:
    template = Template.load()
    by_key = {r.route_key: logical for logical, spec in template.functions().items() for r in spec.routes}
    for route_key, logical in by_key.items():
        method, path = route_key.split(" ", 1)
        for family, prefix in TWIN_FAMILIES.items():
            if path.startswith(prefix + "/") and f"{method} {path[len(prefix) :]}" in by_key:
                assert by_key[f"{method} {path[len(prefix) :]}"] == logical, (family, route_key)
