"""`/docs` renders every operation in a real browser with no network: Debian's headless Chromium and the
local stack run together inside a network namespace that has loopback only (a browser reaches out to DNS
and update hosts on its own; nothing of this test may leave the machine, and nothing can)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from local.openapi import DOCUMENT
from tests.integration.cli_stack import ROOT

HELPER = ROOT / "tests" / "integration" / "docs_browser.py"


def test_swagger_ui_renders_every_operation_offline() -> None:
    run = subprocess.run(
        ["unshare", "--net", "sh", "-c", f'ip link set lo up && exec "{sys.executable}" "{HELPER}"'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    page = run.stdout

    rendered = set()
    for block in page.split('class="opblock opblock-')[1:]:
        method = block.split('"', 1)[0].split()[0]
        path = re.search(r'data-path="([^"]+)"', block)
        assert path is not None
        rendered.add((method, path.group(1).replace("&amp;", "&")))
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}

    assert rendered == documented
    assert "Questline API" in page
