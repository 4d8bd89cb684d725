"""The reference pages of the docs site that are generated, so that no table is kept twice:

    docs/reference/routes.md           template.yaml's HttpApi events, with each operation's summary and
                                       credentials from the OpenAPI document (itself generated from code)
    docs/reference/access-patterns.md  the single table's items, from the docstring of storage/keys.py
    docs/reference/envelopes.md        each family's error answers, rendered by questline.http.envelopes
    docs/reference/parameters.md       template.yaml's parameters

`python -m local docs --write` (`make docs-tables`) writes them; `--check` (in `make lint`, `make docs` and
a unit test) fails when one differs from what the code and template say now.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local.template import ROOT, Template

REFERENCE = ROOT / "docs" / "reference"
KEYS_MODULE = ROOT / "layers" / "core" / "questline" / "storage" / "keys.py"
OPENAPI_DOCUMENT = ROOT / "functions" / "platform" / "openapi.json"


def _generated(source: str, title: str, intro: str, body: str) -> str:
    return (
        f"<!-- Generated from {source} by `make docs-tables`; edit the source, not this page. -->\n\n"
        f"# {title}\n\n{intro}\n\n{body.rstrip()}\n"
    )


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# --- routes --------------------------------------------------------------------------------------------

CREDENTIALS = {
    "operator": "operator key",
    "platform_user": "platform user",
    "secret_key": "`sk_`",
    "publishable_key": "`pk_`",
    "widget_token": "widget token",
}


# The OpenAPI error schema's name (`HeymintError`, from the family's name) -> how the docs name the family
FAMILIES = {
    "Heymint": "HeyMint",
    "Parcelvoy": "Parcelvoy",
    "Claimr": "claimr",
    "QuestProtocol": "Quest Protocol",
    "Endu": "Endu",
    "Platform": "platform",
}


def routes_page() -> str:
    document = json.loads(OPENAPI_DOCUMENT.read_text(encoding="utf-8"))
    rows, count = [], 0
    for spec in Template.load().functions().values():
        for route in sorted(spec.routes, key=lambda r: (r.path, r.method)):
            count += 1
            operation = document["paths"].get(route.path, {}).get(route.method.lower(), {})
            kinds = operation.get("x-questline-credentials")
            credentials = ", ".join(CREDENTIALS.get(k, k) for k in kinds) if kinds else "none"
            family = FAMILIES.get(_family_of(operation), "")
            rows.append(
                [
                    route.method,
                    f"`{route.path}`",
                    spec.short_name,
                    family,
                    credentials,
                    _cell(operation.get("summary", "")),
                ]
            )
    intro = (
        f"Every route of the HTTP API: {count} of them, each an `HttpApi` event of one function in "
        "`template.yaml`. The error envelope each family answers with is in [Error envelopes](envelopes.md); "
        "request and response schemas are in the OpenAPI document the stack serves at `/openapi.json` "
        "(and as Swagger UI at `/docs`)."
    )
    body = _table(["method", "path", "function", "family", "credentials", "what it does"], rows)
    return _generated("template.yaml and functions/platform/openapi.json", "Routes", intro, body)


def _family_of(operation: dict[str, Any]) -> str:
    for response in operation.get("responses", {}).values():
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        reference = str(schema.get("$ref", ""))
        if reference.endswith("Error"):
            return reference.rsplit("/", 1)[-1].removesuffix("Error")
    return ""


# --- access patterns --------------------------------------------------------------------------------------

_ITEM = re.compile(r"^    (?P<type>\([^)]*\)|\S+)\s+(?P<pk>\S+) / (?P<sk>.+?)\s*$")
_INDEX = re.compile(r"^\s{8,}(?P<index>GSI\d) (?P<pk>\S+) / (?P<sk>.+?)\s*$")
_PATTERN = re.compile(r"^\s{8,}: (?P<text>.+?)\s*$")


def access_patterns() -> list[dict[str, Any]]:
    """The item table of keys.py's docstring: `type  PK / SK`, then indented `GSIn PK / SK` lines and
    `: what it is for` lines."""
    docstring = ast.get_docstring(ast.parse(KEYS_MODULE.read_text(encoding="utf-8"))) or ""
    items: list[dict[str, Any]] = []
    for line in docstring.splitlines():
        if item := _ITEM.match(line):
            items.append({**item.groupdict(), "indexes": [], "patterns": []})
        elif index := _INDEX.match(line):
            items[-1]["indexes"].append(f"{index['index']} `{index['pk']}` / `{index['sk']}`")
        elif pattern := _PATTERN.match(line):
            items[-1]["patterns"].append(pattern["text"])
    return items


def access_patterns_page() -> str:
    rows = [
        [
            f"`{item['type']}`" if not item["type"].startswith("(") else item["type"],
            f"`{item['pk']}`",
            f"`{item['sk']}`",
            "<br>".join(item["indexes"]),
            _cell(" ".join(item["patterns"])),
        ]
        for item in access_patterns()
    ]
    intro = (
        "One DynamoDB table holds everything (single-table design). Every key is built by a function of "
        "`layers/core/questline/storage/keys.py` and nowhere else; every item carries a `type`, which the "
        "stream's `FilterCriteria` match. `{e}` is the entity id: tenant data always carries it in its "
        "partition key, so no key of one tenant addresses another's items."
    )
    body = _table(["item (`type`)", "PK", "SK", "indexes", "access pattern"], rows)
    return _generated(
        "the docstring of layers/core/questline/storage/keys.py", "Access patterns", intro, body
    )


# --- error envelopes ------------------------------------------------------------------------------------


def envelopes_page() -> str:
    layer = str(ROOT / "layers" / "core")
    if layer not in sys.path:
        sys.path.append(layer)
    from questline import errors
    from questline.http import envelopes

    families = {
        "HeyMint": envelopes.HEYMINT,
        "Parcelvoy client": envelopes.PARCELVOY,
        "claimr": envelopes.CLAIMR,
        "Quest Protocol entities": envelopes.QUEST_PROTOCOL,
        "Endu ingest": envelopes.ENDU,
        "platform": envelopes.PLATFORM,
    }
    cases: list[tuple[str, Callable[[], errors.QuestlineError]]] = [
        ("bad input (the message names the field)", lambda: errors.BadRequest("xp: is required", field="xp")),
        (
            "no credential, or a malformed one",
            lambda: errors.Unauthorized("this route needs a secret key", code="wrong_credential"),
        ),
        (
            "a well-formed key that matches nothing (or was revoked)",
            lambda: errors.UnknownCredential("the key is not valid"),
        ),
        (
            "a credential that may not do this",
            lambda: errors.Forbidden("a platform user rotates only its own token"),
        ),
        ("nothing there", lambda: errors.NotFound("no such identity", code="identity_not_found")),
        (
            "a rule refuses it (nothing is written)",
            lambda: errors.RuleViolation("the balance does not cover 50 xp", code="insufficient_balance"),
        ),
        (
            "a rate limit or quota of the tenant's plan is used up (`Retry-After` header)",
            lambda: errors.TooManyRequests(
                "this tenant's or key's writes per second are used up", retry_after=1
            ),
        ),
        ("storage or a provider is busy: retry", lambda: errors.Retryable("the table is busy; retry")),
    ]
    sections = []
    for name, family in families.items():
        rows = []
        for case, make in cases:
            status, body = family.render(make())
            rows.append([case, str(status), f"`{json.dumps(body)}`"])
        sections.append(f"## {name}\n\n" + _table(["when", "status", "body"], rows))
    intro = (
        "Each API family answers errors in its vendor's envelope, so a client written for the vendor reads "
        "them as it reads the vendor's. The bodies below are rendered by `questline.http.envelopes`, the one "
        "place where domain errors become HTTP answers. Every message names what was wrong (the field "
        "first, as in `entityId: is required`); malformed JSON, bodies that are not JSON, and bodies over "
        "256 KB (413) are answered in the same envelopes, and never with a 5xx."
    )
    return _generated(
        "layers/core/questline/http/envelopes.py", "Error envelopes", intro, "\n\n".join(sections)
    )


# --- parameters -----------------------------------------------------------------------------------------


def parameters_page() -> str:
    document = Template.load().document
    rows = []
    for name, spec in document.get("Parameters", {}).items():
        allowed = []
        if "AllowedValues" in spec:
            allowed.append(", ".join(f"`{v}`" for v in spec["AllowedValues"]))
        if "AllowedPattern" in spec:
            allowed.append(f"`{spec['AllowedPattern']}`")
        if "MinValue" in spec or "MaxValue" in spec:
            low, high = spec.get("MinValue"), spec.get("MaxValue")
            allowed.append(f"≥ {low}" if high is None else f"≤ {high}" if low is None else f"{low} to {high}")
        default = spec.get("Default")
        rows.append(
            [
                f"`{name}`" + (" (NoEcho)" if spec.get("NoEcho") else ""),
                spec.get("Type", ""),
                "*(required)*" if default is None else f"`{default}`" if default != "" else "empty",
                "; ".join(allowed),
                _cell(spec.get("Description", "")),
            ]
        )
    intro = (
        "The stack's parameters (`template.yaml`), given at `sam deploy` (`--parameter-overrides`, or "
        "samconfig.toml per environment). The local stack sets `Stage=local` and a fresh `OperatorKeyHash`."
    )
    body = _table(["parameter", "type", "default", "allowed", "what it sets"], rows)
    return _generated("template.yaml", "Parameters", intro, body)


# --- writing and checking ------------------------------------------------------------------------------

PAGES: dict[str, Callable[[], str]] = {
    "routes.md": routes_page,
    "access-patterns.md": access_patterns_page,
    "envelopes.md": envelopes_page,
    "parameters.md": parameters_page,
}


def write() -> list[Path]:
    REFERENCE.mkdir(parents=True, exist_ok=True)
    written = []
    for name, render in PAGES.items():
        page = REFERENCE / name
        page.write_text(render(), encoding="utf-8")
        written.append(page)
    return written


def stale_pages() -> list[Path]:
    stale = []
    for name, render in PAGES.items():
        page = REFERENCE / name
        if not page.exists() or page.read_text(encoding="utf-8") != render():
            stale.append(page)
    return stale
