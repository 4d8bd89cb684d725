"""The template and the code keep the house rules: what a reviewer would otherwise check by hand."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from local.template import ROOT, Template, load_template

FUNCTIONS = ROOT / "functions"


def test_table_is_single_table_with_stream_ttl_and_recovery() -> None:
    table = load_template()["Resources"]["Table"]["Properties"]

    assert [k["AttributeName"] for k in table["KeySchema"]] == ["PK", "SK"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["GSI1", "GSI2", "GSI3"]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_queues_have_dead_letter_queues_and_long_enough_visibility() -> None:
    resources = load_template()["Resources"]
    webhook = resources["WebhookQueue"]["Properties"]
    delivery_timeout = resources["WebhookDeliveryFunction"]["Properties"]["Timeout"]

    assert webhook["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["WebhookDeadLetterQueue", "Arn"]
    }
    assert webhook["VisibilityTimeout"] >= 6 * delivery_timeout


def test_alarms_watch_the_dead_letter_queues_errors_and_throttles() -> None:
    resources = load_template()["Resources"]
    alarms = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}

    def resource(value: Any) -> str:
        """The logical id a dimension value refers to ({"Ref": id} or {"Fn::GetAtt": [id, attribute]})."""
        target = next(iter(value.values()))
        return str(target[0] if isinstance(target, list) else target)

    def watched(alarm: dict[str, Any]) -> set[tuple[str, str]]:
        """(metric, the resource it is about) of an alarm, plain or metric math."""
        stats = [m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m]
        plain = [alarm] if "MetricName" in alarm else []
        return {(str(m["MetricName"]), resource(m["Dimensions"][0]["Value"])) for m in [*plain, *stats]}

    covered = set().union(*(watched(a) for a in alarms.values()))
    for queue in ("WebhookDeadLetterQueue", "StreamFailureQueue"):
        assert ("ApproximateNumberOfMessagesVisible", queue) in covered
    for function in ("StreamFunction", "WebhookDeliveryFunction"):
        assert {("Errors", function), ("Throttles", function)} <= covered
    assert ("5xx", "HttpApi") in covered  # API functions: errors, timeouts and throttles surface as 5xx
    assert {("ReadThrottleEvents", "Table"), ("WriteThrottleEvents", "Table")} <= covered
    assert all(a["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms.values())


def test_every_event_source_reports_partial_batch_failures() -> None:
    for spec in Template.load().functions().values():
        for source in [*spec.streams, *spec.queues]:
            assert source.report_item_failures, f"{spec.logical_id}.{source.name}"
        for stream in spec.streams:
            assert stream.filters and stream.on_failure_queue and stream.bisect_on_error
            assert stream.maximum_retry_attempts >= 0


def test_functions_run_python313_on_arm64_with_the_core_layer() -> None:
    globals_ = load_template()["Globals"]["Function"]

    assert globals_["Runtime"] == "python3.13" and globals_["Architectures"] == ["arm64"]
    assert globals_["Layers"] == [{"Ref": "CoreLayer"}]


def test_policies_are_least_privilege() -> None:
    """Inline statements, or this template's own managed policies (shared grants such as reading the
    operator key's hash), and no statement allows every action of a service or every resource."""
    resources = load_template()["Resources"]
    for name, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for given in resource["Properties"].get("Policies", []):
            policy = given
            if isinstance(given, dict) and set(given) == {"Ref"}:
                assert resources[given["Ref"]]["Type"] == "AWS::IAM::ManagedPolicy", name
                policy = resources[given["Ref"]]["Properties"]["PolicyDocument"]
            assert isinstance(policy, dict) and "Statement" in policy, f"{name} uses a managed policy"
            for statement in policy["Statement"]:
                action = statement["Action"]
                actions = action if isinstance(action, list) else [action]
                assert all(not action.endswith("*") for action in actions), name
                assert statement["Resource"] != "*", name


def test_routes_are_explicit() -> None:
    for spec in Template.load().functions().values():
        for route in spec.routes:
            assert "{proxy+}" not in route.path and route.path != "$default"


def test_handlers_are_adapters() -> None:
    for source in FUNCTIONS.rglob("*.py"):
        text = source.read_text()
        assert not re.search(r"^\s*(import boto3|from boto3|import botocore)", text, re.M), source
        assert "os.environ" not in text, source


def test_function_module_names_are_unique_across_functions() -> None:
    names = Counter(path.stem for path in FUNCTIONS.glob("*/*.py") if path.stem != "app") + Counter(
        path.name for path in FUNCTIONS.glob("*/*/") if (path / "__init__.py").exists()
    )
    assert [name for name, count in names.items() if count > 1] == []


def test_every_function_has_sample_events() -> None:
    events = {path.stem.split("_")[0] for path in (ROOT / "events").glob("*.json")}
    for spec in Template.load().functions().values():
        folder = Path(spec.code_dir).name.split("_")[0]
        assert folder in events, f"no sample event for {spec.logical_id} in events/"
