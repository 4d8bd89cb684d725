"""Lambda fidelity: the local stack running the `sam build` output as Lambda runs it.

* `build()`: `sam build` of template.yaml as it deploys, except for one build-time change: the functions'
  and the layer's architecture is x86_64 instead of arm64, because this machine's python3.13 cannot load the
  aarch64 wheels (pydantic_core) an arm64 build of the layer holds. The template itself is not changed; the
  copy that is built lives in `.aws-sam/fidelity/`. (`make build` builds the arm64 artifacts that deploy.)
* `runtime()`: a folder holding only what the python3.13 Lambda runtime adds to the import path, its boto3
  and botocore (`requirements/lambda-runtime.txt`), installed by python3.13's own pip.
* `interpreter()`: python3.13 started isolated (`-I -S`: no site-packages, no PYTHON* variables), its
  import path the function's folder, the built layer's `python/`, the standard library and the runtime
  folder, in Lambda's order. Nothing of the developer's virtual environment is importable.
* `stack_options(environment)`: what `LocalStack(...)` needs to run that way with one of samconfig.toml's
  parameter sets.

`python -m local.fidelity build` builds both (the Makefile's `fidelity-build`).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from local import samconfig
from local.runtime import Interpreter
from local.template import ROOT, TEMPLATE, load_template

FIDELITY = ROOT / ".aws-sam" / "fidelity"
BUILT_TEMPLATE = FIDELITY / "build" / "template.yaml"
RUNTIME = FIDELITY / "lambda-runtime"
RUNTIME_REQUIREMENTS = ROOT / "requirements" / "lambda-runtime.txt"
SAM = ROOT / ".venv-sam" / "bin" / "sam"
ARCHITECTURE = "x86_64"  # this machine's; template.yaml deploys arm64


def python313() -> str:
    """A python3.13 that runs (`PYTHON313`, else the first that answers among the usual places)."""
    candidates = [os.environ.get("PYTHON313", ""), "python3.13"]
    pyenv = os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13")
    candidates += sorted(glob.glob(pyenv), reverse=True)
    for candidate in filter(None, candidates):
        found = shutil.which(candidate) or (candidate if Path(candidate).is_file() else None)
        if not found:
            continue
        probe = subprocess.run(
            [found, "-c", "import sys; print(sys.version_info[:2] == (3, 13))"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.stdout.strip() == "True":
            return found
    raise RuntimeError("Lambda fidelity needs python3.13 (set PYTHON313 to its path)")


def buildable_template(source: Path = TEMPLATE) -> dict[str, Any]:
    """template.yaml with the architecture switched for this machine and its code locations made absolute
    (the copy is built from another folder). Nothing else differs."""
    document = load_template(source)
    function_globals = document.setdefault("Globals", {}).setdefault("Function", {})
    if "Architectures" in function_globals:
        function_globals["Architectures"] = [ARCHITECTURE]
    if isinstance(function_globals.get("CodeUri"), str):
        function_globals["CodeUri"] = str((source.parent / function_globals["CodeUri"]).resolve())
    for resource in document.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function":
            if "Architectures" in props:
                props["Architectures"] = [ARCHITECTURE]
            if isinstance(props.get("CodeUri"), str):
                props["CodeUri"] = str((source.parent / props["CodeUri"]).resolve())
        elif resource.get("Type") == "AWS::Serverless::LayerVersion":
            if "CompatibleArchitectures" in props:
                props["CompatibleArchitectures"] = [ARCHITECTURE]
            if isinstance(props.get("ContentUri"), str):
                props["ContentUri"] = str((source.parent / props["ContentUri"]).resolve())
            metadata = resource.get("Metadata") or {}
            if "BuildArchitecture" in metadata:
                metadata["BuildArchitecture"] = ARCHITECTURE
    return document


def build(sam: str = str(SAM), python: str | None = None) -> Path:
    """`sam build` of the buildable copy; answers the built template."""
    python = python or python313()
    FIDELITY.mkdir(parents=True, exist_ok=True)
    source = FIDELITY / "template.json"
    source.write_text(json.dumps(buildable_template(), indent=1) + "\n", encoding="utf-8")
    env = {**os.environ, "PATH": f"{Path(python).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["SAM_CLI_TELEMETRY"] = "0"
    subprocess.run(
        [
            sam,
            "build",
            "--template-file",
            str(source),
            "--build-dir",
            str(BUILT_TEMPLATE.parent),
            "--cache-dir",
            str(FIDELITY / "cache"),
            "--cached",
            "--parallel",
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return BUILT_TEMPLATE


def runtime(python: str | None = None) -> Path:
    """The Lambda runtime's own packages, installed (again) when their requirements changed."""
    python = python or python313()
    stamp = RUNTIME / ".requirements"
    wanted = RUNTIME_REQUIREMENTS.read_text(encoding="utf-8")
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return RUNTIME
    shutil.rmtree(RUNTIME, ignore_errors=True)
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--target",
            str(RUNTIME),
            "-r",
            str(RUNTIME_REQUIREMENTS),
        ],
        check=True,
    )
    stamp.write_text(wanted, encoding="utf-8")
    return RUNTIME


def interpreter(python: str | None = None) -> Interpreter:
    if not (RUNTIME / ".requirements").exists():
        raise RuntimeError(f"{RUNTIME} is not installed: run `make fidelity-build`")
    return Interpreter.isolated(python or python313(), (RUNTIME,))


def parameters(environment: str) -> dict[str, str]:
    """An environment's parameter values for the local stack: samconfig.toml's, except `Stage`, which stays
    `local` (the stage that lets functions call webhook receivers on loopback; CloudFormation refuses it)."""
    values = samconfig.parameter_overrides(environment)
    values.pop("Stage", None)
    return values


def stack_options(environment: str) -> dict[str, Any]:
    """`LocalStack(**stack_options("prod"))` runs the built functions under prod's parameter values."""
    if not BUILT_TEMPLATE.exists():
        raise RuntimeError(f"{BUILT_TEMPLATE} does not exist: run `make fidelity-build`")
    return {
        "template_path": BUILT_TEMPLATE,
        "interpreter": interpreter(),
        "parameter_overrides": parameters(environment),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.fidelity", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["build"])
    parser.add_argument("--sam", default=os.environ.get("SAM", str(SAM)))
    args = parser.parse_args(argv)
    python = python313()
    print(f"sam build ({ARCHITECTURE}) with {python} into {BUILT_TEMPLATE.parent}", file=sys.stderr)
    build(args.sam, python)
    print(f"the Lambda runtime's packages into {runtime(python)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
