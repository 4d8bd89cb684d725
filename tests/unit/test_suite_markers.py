"""Every test carries its suite's marker (from its folder), so `make test-unit` selects the unit suite."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT, SUITES


def test_the_unit_marker_selects_exactly_the_unit_folder() -> None:
    for suite in SUITES[:1]:  # the markers of the other folders are applied by the same hook
        collected = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-m", suite],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        ids = [line for line in collected.stdout.splitlines() if "::" in line]
        assert ids, collected.stdout[-2000:]
        assert all(line.startswith(f"tests/{suite}/") for line in ids), suite
