"""Run inside a network namespace that has loopback only (see test_docs_in_a_browser.py): start the local
stack, open its /docs page in headless Chromium, print the rendered page (the DOM after its scripts ran)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path[:0] = [
    str(Path(__file__).resolve().parents[2]),
    str(Path(__file__).resolve().parents[2] / "layers" / "core"),
]

from local.stack import LocalStack  # noqa: E402


def main() -> int:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("Debian's chromium is not installed: apt-get install -y chromium", file=sys.stderr)
        return 2
    stack = LocalStack(port=0, state_file=None, log=lambda line: None, seed=False, stack_name="docs-browser")
    stack.start()
    try:
        with tempfile.TemporaryDirectory() as profile:
            page = subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",  # as root, in a container
                    "--disable-gpu",
                    "--no-first-run",
                    f"--user-data-dir={profile}",
                    "--virtual-time-budget=60000",  # let the page's scripts run to quiet, deterministically
                    "--dump-dom",
                    f"{stack.state['api_url']}/docs",
                ],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
    finally:
        stack.stop()
    sys.stdout.write(page.stdout)
    sys.stderr.write(page.stderr[-2000:])
    return page.returncode


if __name__ == "__main__":
    raise SystemExit(main())
