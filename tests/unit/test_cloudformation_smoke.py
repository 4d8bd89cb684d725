"""A CloudFormation smoke deploy: the template as the SAM transform hands it to CloudFormation, created in
moto's CloudFormation with each samconfig.toml environment's parameter values. It must reach
CREATE_COMPLETE, and what moto builds is checked as an operator would look at it (retention of every log
group, the alarm topic's key, the functions' logging and secrets configuration).

moto's CloudFormation builds all but 12 of the stack's resources (207 of 219); it has no implementation
for the HTTP API and its stage, the CloudWatch alarms and the SQS queue policy, which it records without
creating, and it cannot read the email subscription's redrive policy as CloudFormation takes it (a JSON
object), so the stacks here have no AlarmEmail. cfn-lint (`make lint`) checks those; only a real account
creates them (docs/operate/fidelity.md)."""

from __future__ import annotations

from collections import Counter

import boto3
import pytest

from local import samconfig
from local.template import REGION, Template
from tests.unit.moto_stack import account, create_stack, resources

__all__ = ["account"]  # the fixture, used by name

# moto says which resource types it only records; the module docstring lists them.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse .*:UserWarning")

# What moto records without creating (the module docstring says why); the rest is built.
NOT_BUILT_BY_MOTO = {
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Stage",
    "AWS::CloudWatch::Alarm",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::Subscription",
}


def built_by_moto() -> Counter[str]:
    """Each resource type of the translated template moto builds, with how many: one permission per route."""
    translated = Template.load().cloudformation["Resources"].values()
    return Counter(r["Type"] for r in translated if r["Type"] not in NOT_BUILT_BY_MOTO)


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_the_stack_is_created_with_each_environments_parameters(account: None, environment: str) -> None:
    parameters = samconfig.parameter_overrides(environment)
    stack = create_stack(f"questline-{environment}", parameters)
    created = resources(f"questline-{environment}")

    assert stack["StackStatus"] == "CREATE_COMPLETE"
    built = Counter(r["ResourceType"] for r in created if r["ResourceType"])
    assert built == built_by_moto()
    routes = sum(len(spec.routes) for spec in Template.load().functions().values())
    schedules = 1  # the stream function's lost-streak sweep (an EventBridge rule and its permission)
    assert built["AWS::Lambda::Function"] == 16 and built["AWS::Lambda::Permission"] == routes + schedules
    assert built["AWS::Events::Rule"] == schedules
    assert len(created) == len(Template.load().cloudformation["Resources"])

    functions = boto3.client("lambda", region_name=REGION)
    for summary in (r for r in created if r["ResourceType"] == "AWS::Lambda::Function"):
        configuration = functions.get_function_configuration(FunctionName=summary["PhysicalResourceId"])
        variables = configuration["Environment"]["Variables"]
        assert variables["PARAMETER_PATH"] == parameters["ParameterPath"]
        assert variables["POWERTOOLS_TRACE_DISABLED"] == (
            "false" if parameters["Tracing"] == "Active" else "true"
        )
        assert not [v for v in variables if "SECRET" in v or v == "OPERATOR_KEY_HASH"]
        assert configuration["Runtime"] == "python3.13"  # (moto keeps no architecture from a template)
    groups = boto3.client("logs", region_name=REGION).describe_log_groups()["logGroups"]
    assert {g.get("retentionInDays") for g in groups} == {int(parameters["LogRetentionDays"])}
    assert {g["logGroupName"] for g in groups} >= {
        f"/aws/lambda/{r['PhysicalResourceId']}"
        for r in created
        if r["ResourceType"] == "AWS::Lambda::Function"
    }


def test_the_alarm_topic_is_encrypted_with_the_stacks_own_key(account: None) -> None:
    stack = create_stack(
        "questline-dev", {**samconfig.parameter_overrides("dev"), "AlarmEmail": "ops@example.com"}
    )
    created = {r["LogicalResourceId"]: r for r in resources("questline-dev")}
    topic = boto3.client("sns", region_name=REGION).get_topic_attributes(
        TopicArn=created["AlarmTopic"]["PhysicalResourceId"]
    )["Attributes"]

    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert topic["KmsMasterKeyId"] == created["AlarmTopicKey"]["PhysicalResourceId"]
    keys = boto3.client("kms", region_name=REGION).list_keys()["Keys"]
    assert topic["KmsMasterKeyId"] in {k["KeyId"] for k in keys}  # (moto cannot describe it: its policy)
