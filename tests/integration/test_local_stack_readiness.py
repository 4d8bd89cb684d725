"""Readiness a script can trust: until the stack is seeded, `GET /health` answers 503 `starting` and there
is no state file; then the state file appears (written whole), and it goes when the stack stops."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
import requests

import local.stack as stack_module
from local.stack import LocalStack


def test_health_says_starting_until_seeded_then_the_state_file_appears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeding, release = threading.Event(), threading.Event()
    seed = stack_module.seed_through_api

    def seed_when_released(api_url: str, operator_key: str) -> dict[str, object]:
        seeding.set()
        assert release.wait(120)
        return seed(api_url, operator_key)

    monkeypatch.setattr(stack_module, "seed_through_api", seed_when_released)
    state_file = tmp_path / "local.json"
    stack = LocalStack(port=0, state_file=state_file, log=lambda line: None, stack_name="readiness")
    starting = threading.Thread(target=stack.start)
    starting.start()
    try:
        assert seeding.wait(120)
        assert stack.gateway is not None
        url = stack.gateway.url

        during = requests.get(f"{url}/health", timeout=30)
        assert (during.status_code, during.json()) == (503, {"status": "starting"})
        assert not state_file.exists()

        release.set()
        starting.join(timeout=120)
        ready = requests.get(f"{url}/health", timeout=30)
        assert (ready.status_code, ready.json()["status"]) == (200, "ok")
        state = json.loads(state_file.read_text(encoding="utf-8"))
        assert state["pid"] == os.getpid() and state["secret_key"].startswith("sk_")
        assert f"export SECRET_KEY={state['secret_key']}" in (tmp_path / "env").read_text(encoding="utf-8")
        assert sorted(path.name for path in tmp_path.iterdir()) == ["env", "local.json"]  # no temporary left
    finally:
        release.set()
        starting.join(timeout=120)
        stack.stop()
    assert list(tmp_path.iterdir()) == []
