"""Where the local stack keeps what outlives a request, and what scripts read about a running stack.

    .questline/                  (QUESTLINE_DIR overrides it)
      local.json                 the running stack: URL, pid, endpoints and the seeded credentials;
                                 written atomically once the stack is ready, removed when it stops
      env                        the same credentials as shell exports (`source .questline/env`)
      data/<backend>/            what survives a restart (`--fresh` empties it): the embedded moto
                                 server's tables and queues, DynamoDB Local's database, the seeded
                                 credentials and the stream's read positions

Standard library only: `python -m local env` runs before (and without) the virtual environment.
"""

from __future__ import annotations

import json
import os
import shlex
import urllib.request
from pathlib import Path
from typing import Any

HOME = Path(os.environ.get("QUESTLINE_DIR") or Path(__file__).resolve().parent.parent / ".questline")
STATE_FILE = HOME / "local.json"
ENV_FILE = HOME / "env"
DATA_DIR = HOME / "data"

# The state file's keys a shell gets, under the names the sample events' placeholders use.
EXPORTS = {
    "api_url": "API_URL",
    "operator_key": "OPERATOR_KEY",
    "user_id": "USER_ID",
    "user_token": "USER_TOKEN",
    "entity_id": "ENTITY_ID",
    "secret_key": "SECRET_KEY",
    "public_key": "PUBLIC_KEY",
    "campaign_id": "CAMPAIGN_ID",
}


def write_atomically(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def shell_exports(state: dict[str, Any]) -> str:
    lines = [f"export {name}={shlex.quote(str(state[key]))}" for key, name in EXPORTS.items() if key in state]
    return "\n".join(lines) + "\n"


def publish(state: dict[str, Any], state_file: Path = STATE_FILE) -> None:
    """Tell scripts the stack is ready: the state file, then the shell exports next to it."""
    write_atomically(state_file, json.dumps(state, indent=2) + "\n")
    write_atomically(state_file.with_name(ENV_FILE.name), shell_exports(state))


def withdraw(state_file: Path = STATE_FILE) -> None:
    """Remove what `publish` wrote, if this process wrote it."""
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if state.get("pid") == os.getpid():
        for path in (state_file, state_file.with_name(ENV_FILE.name)):
            path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_state(state_file: Path = STATE_FILE) -> dict[str, Any] | None:
    """The state of the stack that wrote `state_file`, if it still runs and answers; None otherwise (a
    stack killed with `kill -9` leaves its file behind: its pid is gone, or its port answers no more)."""
    try:
        state: dict[str, Any] = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state.get("pid"), int) or not _alive(state["pid"]):
        return None
    try:
        with urllib.request.urlopen(state["api_url"] + "/health", timeout=5):  # noqa: S310 - loopback only
            return state
    except OSError:
        return None
