"""Platform routes: health, the merged OpenAPI document and its Swagger UI page, the claimr widget's embed
script, stylesheet and preview page. No credentials."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Query

from questline.auth import PUBLIC
from questline.health import HealthReport, check_health
from questline.http import PLATFORM, Api, Routes
from questline.http.models import ApiModel
from questline.settings import get_settings
from questline.widget_page import ASSET_HEADERS, PAGE_HEADERS, page_language, preview_page

OPENAPI_DOCUMENT = Path(__file__).with_name("openapi.json")
WIDGET = Path(__file__).with_name("widget")

routes = Routes(tag="platform")


class TableHealth(ApiModel):
    reachable: bool
    latency_ms: float | None = None


class HealthOut(ApiModel):
    status: str
    stage: str
    table: TableHealth


@routes.get(
    "/health",
    auth=PUBLIC,
    summary="Liveness and table reachability",
    responses={
        200: {"description": "The table answers", "content": {"application/json": {"model": HealthOut}}},
        503: {
            "description": "The table is unreachable",
            "content": {"application/json": {"model": HealthOut}},
        },
    },
)
def health() -> Response[HealthOut]:
    report: HealthReport = check_health()
    body = HealthOut(
        status="ok" if report.table_reachable else "degraded",
        stage=get_settings().stage,
        table=TableHealth(reachable=report.table_reachable, latency_ms=report.latency_ms),
    )
    return Response(
        status_code=200 if report.table_reachable else 503,
        content_type=content_types.APPLICATION_JSON,
        body=body,
    )


@lru_cache(maxsize=1)
def _openapi_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(OPENAPI_DOCUMENT.read_text(encoding="utf-8"))
    return document


@routes.get("/openapi.json", auth=PUBLIC, summary="OpenAPI 3.1 document of every route")
def openapi_document() -> dict[str, Any]:
    return _openapi_document()


@lru_cache(maxsize=1)
def _swagger_page() -> str:
    """Swagger UI as Powertools ships it (its page, script and stylesheet are in the layer), with the merged
    document inline: the page loads nothing from anywhere else, so it works without internet."""
    from aws_lambda_powertools.event_handler.openapi import swagger_ui
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    assets = Path(swagger_ui.__file__).parent
    return generate_swagger_html(
        OPENAPI_DOCUMENT.read_text(encoding="utf-8").replace("</", "<\\/"),  # never ends its <script>
        (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        swagger_base_url="",  # empty: inline the assets instead of linking to a CDN
        oauth2_config=None,
    ).replace("<title>Swagger UI</title>", "<title>Questline API</title>", 1)


@routes.get(
    "/docs",
    auth=PUBLIC,
    summary="Swagger UI for the OpenAPI document",
    compress=True,  # 2 MB of page, about 0.5 MB gzipped, for the browsers that accept it
    responses={
        200: {"description": "The Swagger UI page", "content": {"text/html": {"schema": {"type": "string"}}}}
    },
)
def docs() -> Response[str]:
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=_swagger_page())


@lru_cache(maxsize=2)
def _widget_asset(name: str) -> str:
    return (WIDGET / name).read_text(encoding="utf-8")


def _asset(name: str, content_type: str) -> Response[str]:
    return Response(
        status_code=200, content_type=content_type, body=_widget_asset(name), headers=ASSET_HEADERS
    )


def _text(media_type: str) -> dict[str, Any]:
    return {"content": {media_type: {"schema": {"type": "string"}}}}


@routes.get(
    "/widget.js",
    auth=PUBLIC,
    summary="The claimr widget's embed script (plain JavaScript; mounts where its script tag stands)",
    compress=True,
    responses={200: {"description": "The script", **_text("text/javascript")}},
)
def widget_script() -> Response[str]:
    return _asset("widget.js", "text/javascript; charset=utf-8")


@routes.get(
    "/widget.css",
    auth=PUBLIC,
    summary="The claimr widget's stylesheet (loaded inside the widget's shadow root)",
    compress=True,
    responses={200: {"description": "The stylesheet", **_text("text/css")}},
)
def widget_stylesheet() -> Response[str]:
    return _asset("widget.css", "text/css; charset=utf-8")


@routes.get(
    "/widget",
    auth=PUBLIC,
    summary="The widget preview page: ?pid=…&user_token=wt_… (env=dev: the draft, lang=en|es)",
    responses={
        200: {"description": "The preview page", "content": {"text/html": {"schema": {"type": "string"}}}}
    },
)
def widget_preview(
    pid: Annotated[
        str | None, Query(max_length=64, description="the campaign (read by the page's script)")
    ] = None,
    user_token: Annotated[
        str | None, Query(max_length=128, description="the person's widget token, wt_…")
    ] = None,
    env: Annotated[
        str | None, Query(max_length=16, description="dev: the draft campaign, nothing live")
    ] = None,
    entity: Annotated[
        str | None, Query(max_length=128, description="the entity, whose theme is applied")
    ] = None,
    lang: Annotated[str | None, Query(max_length=35, description="en or es (else the browser's)")] = None,
    accept_language: Annotated[str | None, Header(alias="accept-language", max_length=512)] = None,
) -> Response[str]:
    return Response(
        status_code=200,
        content_type="text/html; charset=utf-8",
        body=preview_page(page_language(lang, accept_language)),  # the script reads pid, user_token…
        headers=PAGE_HEADERS,
    )


api = Api(PLATFORM, routes)
lambda_handler = api.lambda_handler
