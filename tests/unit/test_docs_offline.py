"""`GET /docs` works without internet: Swagger UI's assets come from the Powertools package the layer ships,
inlined with the document, so the page references no other host."""

from __future__ import annotations

import base64
import gzip
import json
import re

from local.openapi import DOCUMENT as OPENAPI_DOCUMENT
from tests.unit.conftest import Aws
from tests.unit.test_platform_function import _event

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


def _docs(aws: Aws, **headers: str) -> dict[str, object]:
    event = _event("/docs")
    event["headers"] = {**event.get("headers", {}), **headers}  # type: ignore[dict-item]
    return aws.invoke("PlatformFunction", event)  # type: ignore[no-any-return]


def test_docs_page_loads_nothing_from_another_host(aws: Aws) -> None:
    response = _docs(aws)

    assert response["statusCode"] == 200
    page = str(response["body"])
    assert EXTERNAL.search(page) is None, EXTERNAL.search(page)
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page
    assert "SwaggerUIBundle" in page  # Swagger UI itself, inline
    assert ".swagger-ui" in page  # and its stylesheet


def test_docs_page_carries_the_merged_document(aws: Aws) -> None:
    page = str(_docs(aws)["body"])
    committed = json.loads(OPENAPI_DOCUMENT.read_text(encoding="utf-8"))

    assert '"openapi": "3.1.0"' in page
    for path in ("/api/client/identify", "/user/reward", "/v1/identities", "/api/events/record"):
        assert json.dumps(path) in page
    assert committed["paths"].keys() >= {"/api/client/identify", "/user/reward"}
    assert "</script" not in page.split("spec:", 1)[1].split("presets:", 1)[0]  # escaped inside the script


def test_docs_page_is_gzipped_for_browsers_that_accept_it(aws: Aws) -> None:
    plain = _docs(aws)
    compressed = _docs(aws, **{"accept-encoding": "gzip, deflate, br"})

    assert compressed["isBase64Encoded"] is True
    assert compressed["headers"]["Content-Encoding"] == "gzip"  # type: ignore[index]
    body = gzip.decompress(base64.b64decode(str(compressed["body"]))).decode()
    assert body == plain["body"]
    assert len(str(compressed["body"])) < len(body) / 2
