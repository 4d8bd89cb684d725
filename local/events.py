"""Sample events (`events/*.json`) with placeholders such as `${SECRET_KEY}` and `${ENTITY_ID}`, filled in
from a running stack's seeded values, so one file serves the tests, `python -m local invoke` and reading."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from local.template import ROOT

EVENTS = ROOT / "events"
_PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")


def placeholders_from_state(state: Mapping[str, Any]) -> dict[str, str]:
    names = {
        "entity_id": "ENTITY_ID",
        "secret_key": "SECRET_KEY",
        "public_key": "PUBLIC_KEY",
        "operator_key": "OPERATOR_KEY",
        "user_id": "USER_ID",
        "user_token": "USER_TOKEN",
    }
    return {placeholder: str(state[key]) for key, placeholder in names.items() if key in state}


def load_event(name_or_path: str | Path, values: Mapping[str, str] | None = None) -> Any:
    path = Path(name_or_path)
    if not path.exists():
        path = EVENTS / (str(name_or_path) if str(name_or_path).endswith(".json") else f"{name_or_path}.json")
    text = path.read_text(encoding="utf-8")
    if values:
        text = _PLACEHOLDER.sub(lambda m: json.dumps(values.get(m.group(1), m.group(0)))[1:-1], text)
    return json.loads(text)
