"""Shared test set-up: the repository root (for `local`) and the core layer (for `questline`) on the path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "layers" / "core"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

SUITES = ("unit", "integration", "reliability")  # the markers, each named after its folder under tests/
# Folders whose tests belong to another folder's suite: the replay suite plays the vendors' own clients
# against the local stack over HTTP, as the integration suite does.
SUITE_OF_FOLDER = {**{suite: suite for suite in SUITES}, "replay": "integration"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test carries its suite's marker, from its folder: `pytest -m unit` (`make test-unit`) runs the
    fast suite alone, `-m "not reliability"` leaves DynamoDB Local out."""
    for item in items:
        suite = SUITE_OF_FOLDER.get(Path(str(item.path)).relative_to(ROOT / "tests").parts[0])
        if suite:
            item.add_marker(getattr(pytest.mark, suite))
