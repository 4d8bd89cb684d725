"""Every test carries its suite's marker (from its folder), so `make test-unit` selects the unit suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, SUITE_OF_FOLDER, SUITES


def test_every_collected_test_carries_exactly_its_folders_marker(request: pytest.FixtureRequest) -> None:
    """Read from this run's own collection (every test of it, whatever `-m` selected): a test in
    tests/<suite>/ carries the marker <suite> and no other suite's (tests/replay/ is in the integration
    suite), so `-m unit` selects exactly tests/unit/."""
    items = request.session.items
    assert request.node in items
    for item in items:
        folder = Path(str(item.path)).relative_to(ROOT / "tests").parts[0]
        suites = {mark.name for mark in item.iter_markers() if mark.name in SUITES}
        assert suites == {SUITE_OF_FOLDER[folder]}, (item.nodeid, suites)
    assert any(Path(str(i.path)).is_relative_to(ROOT / "tests" / "unit") for i in items)
