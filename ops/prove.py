"""Proof on a real AWS account: deploy a throwaway stack, run the HTTP integration tests against it, delete
it and everything it retains. `make prove` (ENV=dev by default: its parameter values, a stack and secret
path of the proof's own).

1. A fresh operator key, its hash stored under the proof's own ParameterPath (`/<stack name>`).
2. `sam deploy --config-env ENV --stack-name <proof>`, with ENV's parameter values and the proof's
   ParameterPath: the whole list is passed (`--parameter-overrides` replaces, never adds).
3. `pytest` on the tests that need nothing on this machine's loopback (PROOF_TESTS), with
   `QUESTLINE_TEST_STACK=deployed` and the stack's outputs.
4. Unless `--keep`: `sam delete`, then what the stack keeps on deletion (the table, the dead-letter queues,
   the layer versions) and the proof's parameters.

What this cannot prove, and how an operator proves it, is in docs/operate/fidelity.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Any

from local import samconfig
from local.template import ROOT, load_template
from ops.deploy import SAM, ensure_operator_key, stack_outputs, write_outputs

PROOF_TESTS = ["tests/integration/test_claimr_http.py", "tests/integration/test_identities_and_ingestion.py"]


def retained_resources(stack: str) -> list[tuple[str, str]]:
    """(type, physical id) of the stack's resources that CloudFormation keeps when it deletes the stack."""
    import boto3

    template = load_template()["Resources"]
    cloudformation = boto3.client("cloudformation")
    kept = []
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        for summary in page["StackResourceSummaries"]:
            logical = summary["LogicalResourceId"]
            declared = template.get(logical, {})
            layer = summary["ResourceType"] == "AWS::Lambda::LayerVersion"  # SAM keeps layer versions
            if declared.get("DeletionPolicy") == "Retain" or layer:
                kept.append((summary["ResourceType"], summary["PhysicalResourceId"]))
    return kept


def delete_retained(kept: list[tuple[str, str]], parameter_path: str) -> None:
    import boto3

    for kind, physical in kept:
        if kind == "AWS::DynamoDB::Table":
            dynamodb = boto3.client("dynamodb")
            dynamodb.update_table(TableName=physical, DeletionProtectionEnabled=False)
            dynamodb.delete_table(TableName=physical)
        elif kind == "AWS::SQS::Queue":
            boto3.client("sqs").delete_queue(QueueUrl=physical)
        elif kind == "AWS::Lambda::LayerVersion":
            name, _, version = physical.rpartition(":")  # arn:aws:lambda:<region>:<account>:layer:<name>:<n>
            if version.isdigit():
                boto3.client("lambda").delete_layer_version(LayerName=name, VersionNumber=int(version))
    ssm = boto3.client("ssm")
    names = [
        p["Name"]
        for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=parameter_path, Recursive=True)
        for p in page["Parameters"]
    ]
    for start in range(0, len(names), 10):
        ssm.delete_parameters(Names=names[start : start + 10])


def deploy_command(sam: str, environment: str, stack: str, parameter_path: str) -> list[str]:
    values = {**samconfig.parameter_overrides(environment), "ParameterPath": parameter_path}
    overrides = [f"{key}={value}" for key, value in values.items()]
    return [
        sam,
        "deploy",
        "--config-env",
        environment,
        "--stack-name",
        stack,
        "--no-confirm-changeset",
        "--parameter-overrides",
        *overrides,
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.prove", description=__doc__.split("\n\n")[0])
    parser.add_argument("--environment", default=os.environ.get("ENV", "dev"), choices=["dev", "prod"])
    parser.add_argument("--stack-name", default=f"questline-proof-{int(time.time())}")
    parser.add_argument("--keep", action="store_true", help="leave the stack for a look")
    parser.add_argument("--sam", default=os.environ.get("SAM", str(SAM)))
    args = parser.parse_args(argv)

    stack, path = args.stack_name, f"/{args.stack_name}"
    key = ensure_operator_key(path)
    if key is None:
        print(f"{path}/operator-key-hash exists already: choose another --stack-name", file=sys.stderr)
        return 2
    tests_rc = 1
    try:
        command = deploy_command(args.sam, args.environment, stack, path)
        if subprocess.run(command, cwd=ROOT, check=False).returncode != 0:
            return 1
        outputs = write_outputs("proof", stack, stack_outputs(stack))
        env: dict[str, Any] = {
            **os.environ,
            "QUESTLINE_TEST_STACK": "deployed",
            "QUESTLINE_STACK_OUTPUTS": str(outputs),
            "QUESTLINE_OPERATOR_KEY": key,
        }
        tests = [sys.executable, "-m", "pytest", *PROOF_TESTS, "-q", "-p", "no:cacheprovider"]
        tests_rc = subprocess.run(tests, cwd=ROOT, env=env, check=False).returncode
    finally:
        if not args.keep:
            kept = retained_resources(stack) if _exists(stack) else []
            subprocess.run([args.sam, "delete", "--stack-name", stack, "--no-prompts"], cwd=ROOT, check=False)
            delete_retained(kept, path)
    return tests_rc


def _exists(stack: str) -> bool:
    import boto3
    from botocore.exceptions import ClientError

    try:
        boto3.client("cloudformation").describe_stacks(StackName=stack)
    except ClientError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
