"""The operator scripts against the stack created in moto's CloudFormation: `ops.deploy` makes the operator
key on the first deploy only and writes the stack's outputs for the tests; `ops.prove` deploys with the
environment's whole parameter list and, when done, deletes what the stack would leave behind."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from local import samconfig
from local.template import REGION
from ops import deploy, prove
from tests.unit.moto_stack import account, create_stack, resources

__all__ = ["account"]
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse .*:UserWarning")


def test_a_first_deploy_makes_the_operator_key_and_later_ones_keep_it(
    account: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(deploy, "OUTPUTS", tmp_path)
    create_stack("questline-dev", samconfig.parameter_overrides("dev"))  # what `sam deploy` would create

    assert deploy.main(["dev", "--sam", "true"]) == 0
    first = capsys.readouterr().err
    assert deploy.main(["dev", "--sam", "true"]) == 0
    second = capsys.readouterr().err

    key = next(word for word in first.split() if word.startswith("op_"))
    stored = boto3.client("ssm", region_name=REGION).get_parameter(Name="/questline-dev/operator-key-hash")
    from questline.ids import secret_hash

    assert stored["Parameter"]["Value"] == secret_hash(key)
    assert "op_" not in second  # the key is shown once, and never replaced by a deploy
    outputs = json.loads((tmp_path / "stack-dev.json").read_text())
    assert outputs["stack_name"] == "questline-dev"
    assert {"ApiUrl", "TableName", "WebhookQueueUrl", "StreamFailureQueueUrl"} <= set(outputs["outputs"])


def test_a_failed_sam_deploy_fails_the_deploy(
    account: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deploy, "OUTPUTS", tmp_path)

    assert deploy.main(["prod", "--sam", "false"]) == 1
    assert not (tmp_path / "stack-prod.json").exists()


def test_the_proof_deploys_with_the_whole_parameter_list() -> None:
    command = prove.deploy_command("sam", "prod", "questline-proof-1", "/questline-proof-1")
    overrides = command[command.index("--parameter-overrides") + 1 :]

    assert command[:6] == ["sam", "deploy", "--config-env", "prod", "--stack-name", "questline-proof-1"]
    expected = {**samconfig.parameter_overrides("prod"), "ParameterPath": "/questline-proof-1"}
    assert dict(pair.split("=", 1) for pair in overrides) == expected


def test_the_proof_deletes_what_the_stack_retains(account: None) -> None:
    create_stack(
        "questline-proof-1", {**samconfig.parameter_overrides("prod"), "ParameterPath": "/questline-proof-1"}
    )
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name="/questline-proof-1/operator-key-hash", Value="0" * 64, Type="String")
    by_id = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources("questline-proof-1")}

    kept = prove.retained_resources("questline-proof-1")
    prove.delete_retained(kept, "/questline-proof-1")

    assert {kind for kind, _ in kept} == {
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::Lambda::LayerVersion",
    }
    assert boto3.client("dynamodb", region_name=REGION).list_tables()["TableNames"] == []
    queues = boto3.client("sqs", region_name=REGION).list_queues().get("QueueUrls", [])
    assert by_id["WebhookDeadLetterQueue"] not in queues and by_id["StreamFailureQueue"] not in queues
    assert ssm.get_parameters_by_path(Path="/questline-proof-1")["Parameters"] == []
