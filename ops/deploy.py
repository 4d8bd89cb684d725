"""Deploy one of samconfig.toml's environments the first time and every time: `make deploy ENV=dev|prod`.

1. The operator key's hash must be where the functions read it, `{ParameterPath}/operator-key-hash` in SSM
   Parameter Store. On the first deploy there is none: a new operator key is made, its hash stored, and the
   key printed once (keep it in your secrets manager; Questline keeps only the hash). An existing hash is
   never replaced here (`python -m questline.cli operator-key --store PATH --replace` rotates the key).
2. `sam deploy --config-env ENV`: the environment's own parameter values, nothing on the command line.
3. The stack's outputs are written to `.questline/stack-ENV.json`, which the integration tests read when
   pointed at the deployed stack (docs/operate/fidelity.md).

Uses your AWS credentials and region, as the SAM CLI does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from local import samconfig
from local.template import ROOT, load_template

SAM = ROOT / ".venv-sam" / "bin" / "sam"
OUTPUTS = ROOT / ".questline"


def parameter_path(environment: str) -> str:
    given = samconfig.parameter_overrides(environment).get("ParameterPath")
    return given or str(load_template()["Parameters"]["ParameterPath"]["Default"])


def ensure_operator_key(path: str) -> str | None:
    """The new operator key when none was stored, else None."""
    from questline.cli import operator_key, store_operator_key_hash

    made = operator_key()
    if store_operator_key_hash(path, made["operator_key_hash"], replace=False):
        return made["operator_key"]
    return None


def stack_outputs(stack: str) -> dict[str, str]:
    import boto3

    described: Any = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}


def write_outputs(environment: str, stack: str, outputs: dict[str, str]) -> Path:
    OUTPUTS.mkdir(exist_ok=True)
    target = OUTPUTS / f"stack-{environment}.json"
    target.write_text(
        json.dumps({"stack_name": stack, "outputs": outputs}, indent=2) + "\n", encoding="utf-8"
    )
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.deploy", description=__doc__.split("\n\n")[0])
    parser.add_argument("environment", choices=samconfig.deployable_environments())
    parser.add_argument("--sam", default=os.environ.get("SAM", str(SAM)), help="the sam executable")
    args = parser.parse_args(argv)

    path = parameter_path(args.environment)
    new_key = ensure_operator_key(path)
    if new_key is not None:
        print(
            f"First deploy of {args.environment}: a new operator key, its hash in {path}/operator-key-hash\n"
            f"  {new_key}\nKeep it in your secrets manager: it is shown this once.",
            file=sys.stderr,
        )
    deployed = subprocess.run([args.sam, "deploy", "--config-env", args.environment], cwd=ROOT, check=False)
    if deployed.returncode != 0:
        return deployed.returncode
    stack = samconfig.stack_name(args.environment)
    written = write_outputs(args.environment, stack, stack_outputs(stack))
    print(f"{stack} deployed; its outputs are in {written}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
