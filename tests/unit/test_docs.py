"""The docs' generated tables are current and complete, and the hand-drawn architecture shows every
function: what the docs say about the code cannot drift from it unnoticed."""

from __future__ import annotations

import re

from local import docs
from local.template import ROOT, Template

JSON_SCHEMA_TYPES = {"string", "object", "integer", "number", "boolean", "array", "null", "http", "apiKey"}


def test_the_generated_reference_pages_are_current() -> None:
    assert docs.stale_pages() == [], "run `make docs-tables`"


def test_every_item_type_the_code_writes_is_in_the_access_pattern_table() -> None:
    written = set()
    for module in (ROOT / "layers" / "core" / "questline").rglob("*.py"):
        written |= set(re.findall(r'"type": "([a-z_]+)"', module.read_text(encoding="utf-8")))
        written |= set(re.findall(r'ITEM_TYPE: Final = "([a-z_]+)"', module.read_text(encoding="utf-8")))
    documented = {item["type"] for item in docs.access_patterns()}
    assert written - JSON_SCHEMA_TYPES - documented == set()
    assert all(item["patterns"] for item in docs.access_patterns())  # each says what it is read for


def test_the_architecture_diagram_draws_every_function() -> None:
    page = (ROOT / "docs" / "architecture" / "index.md").read_text(encoding="utf-8")
    assert [name for name in Template.load().functions() if name not in page] == []
