"""Operations that work on AWS, read from the template as CloudFormation receives it (the SAM transform's
output): alarms that can reach someone and that fire on sparse metrics, a log group with retention for
every function, log levels Lambda applies, secrets that are never environment variables, `Stage=local`
refused by CloudFormation, dead-letter queues that outlive the stack."""

from __future__ import annotations

import re
from typing import Any

import boto3
import pytest

from local.template import REGION, Template, load_template
from tests.unit.conftest import Aws


@pytest.fixture(scope="module")
def template() -> Template:
    return Template.load()


def _of_type(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return template.of_type(kind)


def test_the_alarm_topic_uses_a_key_cloudwatch_may_use(template: Template) -> None:
    topic = template.resources["AlarmTopic"]["Properties"]
    key_ref = topic["KmsMasterKeyId"]

    assert key_ref != "alias/aws/sns"  # CloudWatch cannot publish to a topic under the AWS-managed key
    key = template.resources[key_ref["Ref"]]
    assert key["Type"] == "AWS::KMS::Key" and key["Properties"]["EnableKeyRotation"] is True
    grants = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Principal", {}).get("Service") == "cloudwatch.amazonaws.com"
    ]
    assert grants and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(grants[0]["Action"])


def test_metric_math_fills_the_gaps_of_sparse_metrics(template: Template) -> None:
    """Throttle and error metrics exist only for periods with a non-zero value: `a + b` over a period where
    one is missing is no value at all, and the alarm stays silent."""
    for name, alarm in _of_type(template, "AWS::CloudWatch::Alarm").items():
        metrics = alarm["Properties"].get("Metrics", [])
        series = {m["Id"] for m in metrics if "MetricStat" in m}
        for expression in (m["Expression"] for m in metrics if "Expression" in m):
            used = set(re.findall(r"\b([a-z]\w*)\b", expression)) & series
            filled = set(re.findall(r"FILL\((\w+),", expression))
            assert used and used <= filled, f"{name}: {expression}"


def test_every_function_has_its_own_log_group_with_the_retention_parameter(template: Template) -> None:
    groups = {
        name: group["Properties"]
        for name, group in _of_type(template, "AWS::Logs::LogGroup").items()
        if name != "HttpApiAccessLogs"
    }
    named = {
        str(props["LogGroupName"]["Fn::Sub"]): props["RetentionInDays"]
        for props in groups.values()
        if isinstance(props.get("LogGroupName"), dict)
    }
    for function in _of_type(template, "AWS::Lambda::Function"):
        assert named.get(f"/aws/lambda/${{{function}}}") == {"Ref": "LogRetentionDays"}, function
    assert len(groups) == len(_of_type(template, "AWS::Lambda::Function"))


def test_the_log_level_parameter_is_lambdas_application_log_level(template: Template) -> None:
    for name, function in _of_type(template, "AWS::Lambda::Function").items():
        logging = function["Properties"]["LoggingConfig"]
        assert logging["LogFormat"] == "JSON", name
        assert logging["ApplicationLogLevel"] == {"Ref": "LogLevel"}, name
        assert logging["SystemLogLevel"] in ("DEBUG", "INFO", "WARN"), name
    # Lambda's levels, which Powertools also reads: WARNING is not one of them.
    assert set(template.document["Parameters"]["LogLevel"]["AllowedValues"]) <= {
        "TRACE",
        "DEBUG",
        "INFO",
        "WARN",
        "ERROR",
        "FATAL",
    }


def test_no_secret_is_a_parameter_value_or_an_environment_variable(template: Template) -> None:
    parameters = template.document["Parameters"]
    assert not [name for name, spec in parameters.items() if spec.get("NoEcho")]
    for name, function in _of_type(template, "AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert not [v for v in variables if re.search(r"SECRET|PASSWORD|KEY_HASH|TOKEN$", v)], name


def test_only_the_social_function_may_read_the_oauth_secrets() -> None:
    resources = load_template()["Resources"]
    readers = {
        name
        for name, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function"
        and {"Ref": "OAuthSecretsReadPolicy"} in resource["Properties"].get("Policies", [])
    }
    assert readers == {"EntitySocialFunction"}


def _rules_hold(template: Template) -> list[str]:
    """The descriptions of the template's rule assertions that fail for its current parameters."""
    failed = []
    for rule in template.cloudformation.get("Rules", {}).values():
        if "RuleCondition" in rule and not template.resolve(rule["RuleCondition"]):
            continue
        failed += [a["AssertDescription"] for a in rule["Assertions"] if not template.resolve(a["Assert"])]
    return failed


@pytest.mark.parametrize(("stage", "refused"), [("local", True), ("dev", False), ("prod", False)])
def test_cloudformation_refuses_stage_local(stage: str, refused: bool) -> None:
    template = Template.load()
    template.set_parameters({"Stage": stage})

    assert bool(_rules_hold(template)) is refused


def test_the_dead_letter_queues_outlive_the_stack(template: Template) -> None:
    for queue in ("WebhookDeadLetterQueue", "StreamFailureQueue"):
        resource = template.resources[queue]
        assert (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == ("Retain", "Retain")


def test_secrets_are_read_from_the_parameter_store_and_cached(aws: Aws) -> None:
    from questline.caches import reset_all
    from questline.secret_store import oauth_client_secret

    ssm = boto3.client("ssm", region_name=REGION)
    name = "/questline/oauth/discord-client-secret"
    ssm.put_parameter(Name=name, Value="first", Type="SecureString", Overwrite=True)
    assert oauth_client_secret("DISCORD") == "first"

    ssm.put_parameter(Name=name, Value="second", Type="SecureString", Overwrite=True)
    assert oauth_client_secret("DISCORD") == "first"  # the container keeps it (five minutes)
    reset_all()
    assert oauth_client_secret("DISCORD") == "second"
    assert oauth_client_secret("TWITTER") == ""  # none stored: a public client


def test_every_function_whose_routes_take_the_operator_key_may_read_its_hash() -> None:
    """The hash is read at run time: a function that authenticates operators without the grant would answer
    an operator's call with a 503 on AWS (AccessDenied) while working locally."""
    from local.inprocess import function_specs, load_function
    from questline.auth.principal import CredentialKind

    resources = load_template()["Resources"]
    for logical, spec in function_specs().items():
        if not spec.routes:
            continue
        policies = load_function(logical).api.policies.values()
        takes_operator = any(policy.allows(CredentialKind.OPERATOR) for policy in policies)
        granted = {"Ref": "OperatorKeyReadPolicy"} in resources[logical]["Properties"].get("Policies", [])
        assert takes_operator is granted, logical
