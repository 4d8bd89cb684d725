"""CORS comes from one list in the template (`HttpApi.CorsConfiguration`): it allows every request header the
code reads and every header a documented browser client sends, and exposes the response headers clients
may read. The lists are compared with the code, so a header the code starts to read cannot be forgotten."""

from __future__ import annotations

import ast
from pathlib import Path

from local import openapi
from local.gateway import Cors
from local.template import ROOT, Template
from questline.http.api import CAPACITY_HEADER

# Headers documented clients send from browsers that the code itself does not read (VENDOR-NOTES.md):
# the Quest Labs apps send `apisecret`, `entity-authentication-token` and `entityid` next to the headers
# Questline reads (their values are not used: one Questline key stands for Quest Protocol's pair), and
# every JSON client sends `accept`; the Parcelvoy SDKs name the user of their in-app notification calls in
# `x-anonymous-id` and `x-external-id`.
SENT_BY_CLIENTS = {
    "accept",
    "apisecret",
    "entity-authentication-token",
    "entityid",
    "x-anonymous-id",
    "x-external-id",
}
# Response headers a client may read: the request id API Gateway answers with (what support asks for),
# the storage capacity a request used (when EXPOSE_CAPACITY is on), the ETag of the answers a widget
# polls (it sends it back in If-None-Match) and how long to wait after a 429 (Retry-After).
EXPOSED = {"apigw-requestid", "etag", "retry-after", CAPACITY_HEADER}


def _cors() -> dict[str, object]:
    (api,) = (
        r for r in Template.load().document["Resources"].values() if r["Type"] == "AWS::Serverless::HttpApi"
    )
    return dict(api["Properties"]["CorsConfiguration"])


def _headers_read_in_code() -> set[str]:
    """String literals passed to `headers.get(...)` anywhere under layers/ and functions/."""
    found: set[str] = set()
    for source in [*Path(ROOT, "layers").rglob("*.py"), *Path(ROOT, "functions").rglob("*.py")]:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "headers"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value.lower())
    return found


def _headers_declared_in_the_api() -> set[str]:
    """Header parameters of every operation, and the headers credentials travel in."""
    document = openapi.build_document()
    found = {"content-type"}
    for scheme in document["components"]["securitySchemes"].values():
        found.add("authorization" if scheme["type"] == "http" else scheme["name"].lower())
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header":
                    found.add(parameter["name"].lower())
    return found


def test_cors_allows_every_header_the_code_reads_and_documented_clients_send() -> None:
    allowed = {str(h).lower() for h in _cors()["AllowHeaders"]}  # type: ignore[attr-defined]
    read = _headers_read_in_code() | _headers_declared_in_the_api()

    assert read - allowed == set(), "headers the code reads that browsers may not send"
    assert allowed == read | SENT_BY_CLIENTS, "headers allowed that nothing reads or sends"
    for header in ("idempotency-key", "x-anonymous-id", "x-external-id", "apisecret", "entityid"):
        assert header in allowed


def test_cors_exposes_what_clients_read() -> None:
    assert {str(h).lower() for h in _cors()["ExposeHeaders"]} == EXPOSED  # type: ignore[attr-defined]


def test_the_local_gateway_exposes_headers_as_api_gateway_does() -> None:
    cors = Cors(["*"], ["authorization"], ["GET"], 600, expose_headers=sorted(EXPOSED))

    assert cors.headers_for("https://app.example") == {
        "access-control-allow-origin": "*",
        "access-control-expose-headers": ",".join(sorted(EXPOSED)),
    }
    assert cors.headers_for(None) == {}
