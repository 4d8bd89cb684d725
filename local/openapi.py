"""Build the OpenAPI 3.1 document of every route of every function, merged, from the code itself.

The platform function serves the result (`functions/platform/openapi.json`) at `GET /openapi.json`;
`python -m local openapi --write` regenerates it and a unit test fails when it is stale. The build also
checks that the template's routes and each function's declared routes are the same set.
"""

from __future__ import annotations

import json
from typing import Any

from local.inprocess import function_specs, load_function
from local.template import ROOT

DOCUMENT = ROOT / "functions" / "platform" / "openapi.json"
TITLE = "Questline API"
DESCRIPTION = (
    "One API for five engagement platforms' surfaces: HeyMint Quest (/v1), Parcelvoy client "
    "(/api/client), claimr, Quest Protocol entities (/api/users, /api/entities) and Endu ingest "
    "(/api/events/record), on one identity graph. Each family keeps its vendor's request and response "
    "shapes and error envelope."
)


def build_document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for logical, spec in sorted(function_specs().items()):
        if not spec.routes:
            continue
        api = load_function(logical).api
        declared = api.route_keys
        in_template = {route.route_key for route in spec.routes}
        if declared != in_template:
            raise ValueError(
                f"{logical}: routes in code and template differ: only in code "
                f"{sorted(declared - in_template)}, only in template {sorted(in_template - declared)}"
            )
        document = api.openapi_schema(title=logical)
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                if method in paths.get(path, {}):
                    raise ValueError(f"{method.upper()} {path} is served by two functions")
                operation.setdefault("x-questline-function", logical)
                paths.setdefault(path, {})[method] = operation
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            if name in schemas and schemas[name] != schema:
                raise ValueError(f"two functions define different schemas named {name}")
            schemas[name] = schema
    from questline.http.api import (
        SECURITY_SCHEMES,
    )  # importable once a function has put the layer on the path

    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": "1.0.0", "description": DESCRIPTION},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items())), "securitySchemes": SECURITY_SCHEMES},
    }


def render() -> str:
    return json.dumps(build_document(), indent=2, sort_keys=False) + "\n"


def is_current() -> bool:
    return DOCUMENT.exists() and DOCUMENT.read_text(encoding="utf-8") == render()


def write() -> None:
    DOCUMENT.write_text(render(), encoding="utf-8")
