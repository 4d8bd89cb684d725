"""The platform function through its sample events: health, the OpenAPI document, Swagger UI."""

from __future__ import annotations

import json

import boto3
from openapi_spec_validator import validate

from local import openapi
from tests.unit.conftest import Aws


def test_health_reports_a_reachable_table(aws: Aws) -> None:
    response = aws.invoke("PlatformFunction", "platform_health")

    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body["status"] == "ok"
    assert body["stage"] == "local"
    assert body["table"]["reachable"] is True


def test_health_answers_503_when_the_table_is_gone(aws: Aws) -> None:
    boto3.client("dynamodb").delete_table(TableName=aws.table_name)

    response = aws.invoke("PlatformFunction", "platform_health")

    assert response["statusCode"] == 503
    assert json.loads(response["body"])["table"] == {"reachable": False, "latency_ms": None}


def test_openapi_route_serves_the_committed_document(aws: Aws) -> None:
    response = aws.invoke("PlatformFunction", "platform_openapi")

    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == json.loads(openapi.DOCUMENT.read_text())


def test_committed_openapi_document_is_current_and_valid_openapi_31() -> None:
    document = openapi.build_document()

    assert openapi.is_current(), (
        "functions/platform/openapi.json is stale: run `python -m local openapi --write`"
    )
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_openapi_documents_every_template_route_with_its_family_errors() -> None:
    from local.inprocess import function_specs

    document = openapi.build_document()
    routes = {(r.method.lower(), r.path) for spec in function_specs().values() for r in spec.routes}
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert documented == routes
    get_entity = document["paths"]["/api/entities/{entityId}"]["get"]
    assert get_entity["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/QuestProtocolError"
    }
    assert "422" not in get_entity["responses"]  # Powertools' generic entry is replaced by the family's 400


def test_docs_page_loads_swagger_ui_for_the_document(aws: Aws) -> None:
    response = aws.invoke("PlatformFunction", _event("/docs"))

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"].startswith("text/html")
    assert "SwaggerUIBundle" in response["body"]
    assert (
        '"openapi": "3.1.0"' in response["body"]
    )  # the merged document, inline (tests/unit/test_docs_offline.py)


def _event(path: str) -> dict[str, object]:
    from local.events import load_event

    event = load_event("platform_health")
    event["routeKey"] = event["requestContext"]["routeKey"] = f"GET {path}"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    return event
