"""The local stack as a daily tool, run as a person runs it (`python -m local` in a terminal session of its
own): data and credentials that survive a restart, a fresh start one flag away, the credentials one `eval`
away, a clean Ctrl-C that lets requests in flight finish, no process left behind however it ends, one
clear line for a busy port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from tests.integration.cli_stack import ROOT, cli_stack, eventually_none_left
from tests.support import eventually

PROBE_TEMPLATE = ROOT / "tests" / "integration" / "probe" / "template.yaml"


def _reward(url: str, state: dict[str, str], account: str, entry: str, xp: int) -> None:
    body = {"account": account, "platform": "internal", "pid": state["campaign_id"], "id": entry, "xp": xp}
    answer = requests.post(
        f"{url}/user/reward",
        json=body,
        headers={"Authorization": f"Bearer {state['secret_key']}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


def _balance(url: str, state: dict[str, str], account: str) -> requests.Response:
    return requests.get(
        f"{url}/user/balance",
        params={"pid": state["campaign_id"], "account": account, "platform": "internal"},
        headers={"Authorization": f"Bearer {state['secret_key']}"},
        timeout=30,
    )


def _board(url: str, state: dict[str, str]) -> list[int]:
    answer = requests.get(
        f"{url}/leaderboard",
        params={"pid": state["campaign_id"]},
        headers={"Authorization": f"Bearer {state['secret_key']}"},
        timeout=30,
    )
    return [entry["score"] for entry in answer.json()["data"]["leaderboard"]]


def _bash(script: str, home: Path) -> subprocess.CompletedProcess[str]:
    """A shell at the repository's root, the stack's state under `home`."""
    return subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "QUESTLINE_DIR": str(home), "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _state(home: Path) -> dict[str, str]:
    state: dict[str, str] = json.loads((home / "local.json").read_text(encoding="utf-8"))
    return state


@pytest.mark.parametrize("backend", ["moto", "dynamodb-local"])
def test_data_and_credentials_survive_a_restart_and_fresh_starts_empty(tmp_path: Path, backend: str) -> None:
    with cli_stack(tmp_path, "--backend", backend) as first:
        url = first.wait_ready()
        before = _state(tmp_path)
        _reward(url, before, "ada", "r-1", 120)
        eventually(lambda: _board(url, before) == [120])
        first.interrupt()
        assert first.exit_code() == 0
    assert not (tmp_path / "local.json").exists() and not (tmp_path / "env").exists()

    with cli_stack(tmp_path, "--backend", backend) as second:
        url = second.wait_ready()
        after = _state(tmp_path)
        assert {
            k: after[k] for k in ("operator_key", "user_token", "entity_id", "secret_key", "public_key")
        } == {k: before[k] for k in ("operator_key", "user_token", "entity_id", "secret_key", "public_key")}
        assert _balance(url, after, "ada").json()["data"]["xp"] == 120
        _reward(url, after, "bob", "r-2", 80)  # the stream goes on from where it stopped
        eventually(lambda: _board(url, after) == [120, 80])
        second.interrupt()
        assert second.exit_code() == 0

    with cli_stack(tmp_path, "--backend", backend, "--fresh") as fresh:
        url = fresh.wait_ready()
        renewed = _state(tmp_path)
        assert renewed["secret_key"] != before["secret_key"]
        assert _balance(url, {**renewed, "secret_key": before["secret_key"]}, "ada").status_code == 401
        assert _balance(url, renewed, "ada").status_code == 404  # nobody is a user of the new entity yet
        assert _board(url, renewed) == []
        fresh.interrupt()
        assert fresh.exit_code() == 0


def test_make_env_exports_the_running_stacks_credentials_for_a_shell(tmp_path: Path) -> None:
    with cli_stack(tmp_path, "--in-memory") as stack:
        stack.wait_ready()
        script = 'eval "$(make -s env)" && curl -s -o /dev/null -w "%{http_code}" '
        script += '"$API_URL/api/entities/$ENTITY_ID" -H "Authorization: Bearer $SECRET_KEY"'
        shell = _bash(script, tmp_path)
        assert shell.stdout == "200", shell
        sourced = _bash(f". {tmp_path / 'env'} && echo $SECRET_KEY", tmp_path)
        assert sourced.stdout.strip() == _state(tmp_path)["secret_key"]

    stopped = _bash('eval "$(make -s env)"; echo "[$SECRET_KEY]"', tmp_path)
    assert stopped.stdout.strip() == "[]"
    assert "no local stack is running" in stopped.stderr


def test_kill_9_leaves_no_process_behind(tmp_path: Path) -> None:
    with cli_stack(tmp_path, "--backend", "dynamodb-local") as stack:
        url = stack.wait_ready()
        state = _state(tmp_path)
        _reward(url, state, "ada", "r-1", 50)  # the stream and webhook functions get workers too
        eventually(lambda: _board(url, state) == [50])
        assert any("DynamoDBLocal.jar" in line for line in stack.session())
        assert any("worker.py" in line for line in stack.session())

        stack.process.kill()
        stack.process.wait(timeout=30)

        assert eventually_none_left(stack) == []
    stale = _bash("python3 -m local env", tmp_path)
    assert stale.returncode == 1 and "no local stack is running" in stale.stderr  # its state file is stale


def test_ctrl_c_lets_requests_in_flight_finish_and_prints_no_traceback(tmp_path: Path) -> None:
    hold = tmp_path / "hold"
    hold.mkdir()
    args = ("--template", str(PROBE_TEMPLATE), "--no-seed", "--in-memory")
    with cli_stack(tmp_path, *args) as stack:
        url = stack.wait_ready()
        answer: dict[str, requests.Response] = {}
        request = threading.Thread(
            target=lambda: answer.setdefault(
                "hold", requests.get(f"{url}/hold", params={"dir": str(hold)}, timeout=120)
            )
        )
        request.start()
        eventually((hold / "started").exists)

        stack.interrupt()
        stack.wait_for("Stopping")
        (hold / "release").touch()
        request.join(timeout=120)

        assert answer["hold"].status_code == 200 and answer["hold"].text == "released"
        assert stack.exit_code() == 0
        assert "Traceback" not in stack.output and "KeyboardInterrupt" not in stack.output, stack.output
        assert eventually_none_left(stack) == []


def test_a_busy_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run(
            [sys.executable, "-m", "local", "--port", str(port), "--in-memory"],
            cwd=ROOT,
            env={**os.environ, "QUESTLINE_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert run.returncode == 1
    assert run.stderr.strip().count("\n") == 0, run.stderr
    assert f"port {port} on 127.0.0.1 is in use" in run.stderr
