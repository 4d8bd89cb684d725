"""The local stack over real HTTP: platform routes, a protected route, API Gateway's own answers."""

from __future__ import annotations

import json

import requests
from openapi_spec_validator import validate

from tests.integration.conftest import Api


def test_health_reports_the_table(api: Api) -> None:
    response = api.get("/health")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["table"]["reachable"] is True


def test_openapi_document_is_valid_openapi_31_and_lists_every_route(api: Api) -> None:
    document = api.get("/openapi.json").json()

    validate(document)
    assert document["openapi"] == "3.1.0"
    assert {"/health", "/openapi.json", "/docs", "/api/entities/{entityId}"} <= set(document["paths"])


def test_swagger_ui_page(api: Api) -> None:
    response = api.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "SwaggerUIBundle" in response.text


def test_protected_route_is_401_without_a_key_and_200_with_the_seeded_secret_key(api: Api) -> None:
    entity_id = api.state["entity_id"]

    anonymous = api.get(f"/api/entities/{entity_id}")
    with_key = api.get(f"/api/entities/{entity_id}", headers=api.bearer(api.state["secret_key"]))
    with_apikey_header = api.get(f"/api/entities/{entity_id}", headers={"apikey": api.state["secret_key"]})

    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "success": False,
        "error": "this route needs the operator key or a secret key (sk_) or userid and token headers",
    }
    assert with_key.status_code == 200
    assert with_key.json()["data"]["entityId"] == entity_id
    assert with_key.json()["data"]["name"] == "Demo entity"
    assert with_apikey_header.json() == with_key.json()


def test_operator_key_and_capacity_header(api: Api) -> None:
    response = api.get(
        f"/api/entities/{api.state['entity_id']}", headers={"x-api-key": api.state["operator_key"]}
    )

    assert response.status_code == 200
    assert response.headers["x-questline-capacity"].startswith("calls=")


def test_unknown_route_is_api_gateways_404(api: Api) -> None:
    response = api.get("/no/such/route")

    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_cors_preflight_answers_from_the_template(api: Api) -> None:
    response = api.request(
        "OPTIONS",
        "/api/entities/e-1",
        headers={"Origin": "https://game.example", "Access-Control-Request-Method": "GET"},
    )

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "x-api-key" in response.headers["access-control-allow-headers"]


def test_bodies_over_api_gateways_limit_are_413(api: Api) -> None:
    response = api.post(
        "/health", data=b"x" * (10 * 1024 * 1024 + 1), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413


def test_malformed_path_and_header_input_is_4xx_never_5xx(api: Api) -> None:
    for path, headers in [
        ("/api/entities/%ff%fe", api.bearer(api.state["secret_key"])),
        ("/api/entities/" + "e" * 5000, api.bearer(api.state["secret_key"])),
        (f"/api/entities/{api.state['entity_id']}", {"Authorization": "Bearer " + "x" * 10000}),
        (f"/api/entities/{api.state['entity_id']}", {"Authorization": "Token abc"}),
    ]:
        response = api.get(path, headers=headers)
        assert 400 <= response.status_code < 500, (path[:40], response.status_code, response.text)
        assert json.loads(response.text)["success"] is False


def test_keep_alive_connections_serve_many_requests(api: Api) -> None:
    with requests.Session() as session:
        statuses = {session.get(api.url + "/health", timeout=10).status_code for _ in range(20)}
    assert statuses == {200}
