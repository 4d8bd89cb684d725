"""samconfig.toml's environments, as `sam deploy --config-env ENV` reads them: each environment's stack name
and the parameter values it deploys with. The fidelity mode runs the built functions with an environment's
values, the deploy script deploys it, and a unit test checks that each gives every parameter it must."""

from __future__ import annotations

import shlex
import tomllib
from pathlib import Path
from typing import Any

from local.template import ROOT

SAMCONFIG = ROOT / "samconfig.toml"


def load(path: Path = SAMCONFIG) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def deployable_environments(path: Path = SAMCONFIG) -> list[str]:
    """The environments `sam deploy --config-env` can use: those with deploy parameters."""
    return [
        name for name, sections in load(path).items() if isinstance(sections, dict) and "deploy" in sections
    ]


def _section(config: dict[str, Any], environment: str, command: str) -> dict[str, Any]:
    found: dict[str, Any] = config.get(environment, {}).get(command, {}).get("parameters", {})
    return found


def parameter_overrides(environment: str, path: Path = SAMCONFIG) -> dict[str, str]:
    """`parameter_overrides` of the environment's deploy section: a string of `Key=Value` pairs (values may
    be quoted, as SAM allows) or a list of them."""
    config = load(path)
    raw = _section(config, environment, "deploy").get("parameter_overrides")
    if raw is None:
        raw = _section(config, environment, "global").get("parameter_overrides", "")
    pairs = raw if isinstance(raw, list) else shlex.split(str(raw))
    values: dict[str, str] = {}
    for pair in pairs:
        key, separator, value = str(pair).partition("=")
        if not separator or not key:
            raise ValueError(f"{environment}: parameter_overrides holds {pair!r}, not Key=Value")
        values[key] = value
    return values


def stack_name(environment: str, path: Path = SAMCONFIG) -> str:
    config = load(path)
    for command in ("deploy", "global"):
        name = _section(config, environment, command).get("stack_name")
        if name:
            return str(name)
    raise KeyError(f"samconfig.toml's [{environment}] names no stack")
