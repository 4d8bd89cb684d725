"""The local stack's parts that need no running services: template reading, filters, routing, events."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from local.esm import _failed_identifiers
from local.filters import matches, matches_any, sqs_view
from local.gateway import Router, build_event, map_result
from local.invoke import find_function
from local.runtime import Invocation
from local.template import HttpRoute, Template, load_template


def test_template_tags_and_intrinsics_resolve() -> None:
    template = Template.load()
    template.set_parameters({"Stage": "local"})
    template.physical["Table"] = {"Ref": "the-table", "Arn": "arn:table", "StreamArn": "arn:stream"}
    template.physical["WebhookQueue"] = {"Ref": "http://q", "QueueUrl": "http://q", "Arn": "arn:q"}

    assert (
        template.resolve({"Fn::Sub": "${AWS::StackName}-${Table}-${Table.Arn}"})
        == "questline-local-the-table-arn:table"
    )
    assert template.resolve({"Fn::If": ["IsLocal", "yes", "no"]}) == "yes"
    assert template.resolve({"Fn::GetAtt": ["WebhookQueue", "Arn"]}) == "arn:q"
    assert template.resolve({"Fn::Join": ["/", ["a", {"Ref": "Stage"}]]}) == "a/local"
    assert template.condition("IsProd") is False


@pytest.mark.slow
def test_the_transform_runs_once_per_template_and_is_kept_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from local import template as template_module

    document = load_template()
    monkeypatch.setattr(template_module, "TRANSLATION_CACHE", tmp_path)
    monkeypatch.setattr(template_module, "_translated", {})
    runs: list[int] = []
    run = template_module._run_translator
    monkeypatch.setattr(template_module, "_run_translator", lambda *a: runs.append(1) or run(*a))

    first = template_module.translate(document, {})
    kept = list(tmp_path.glob("template-*.json"))
    assert len(kept) == 1 and json.loads(kept[0].read_text()) == first
    template_module._translated.clear()  # as a new process starts
    assert template_module.translate(document, {}) == first
    assert runs == [1]
    first["Resources"].clear()  # a caller's copy is its own
    assert template_module.translate(document, {})["Resources"]

    kept[0].write_text('{"Resources": ')  # a torn file is translated again, not trusted
    template_module._translated.clear()
    assert template_module.translate(document, {})["Resources"] and runs == [1, 1]
    assert json.loads(kept[0].read_text())["Resources"]


def test_functions_get_globals_merged_as_sam_does() -> None:
    template = Template.load()
    template.set_parameters({"Stage": "local"})
    template.physical["Table"] = {"Ref": "t", "Arn": "a", "StreamArn": "s"}
    template.physical["WebhookQueue"] = {"Ref": "q", "QueueUrl": "q", "Arn": "a"}
    specs = template.functions()

    platform, stream = specs["PlatformFunction"], specs["StreamFunction"]
    env = template.environment_of(stream)
    assert (platform.memory, platform.timeout, stream.timeout) == (256, 10, 30)
    assert (
        env["TABLE_NAME"] == "t"
        and env["WEBHOOK_QUEUE_URL"] == "q"
        and env["POWERTOOLS_SERVICE_NAME"] == "stream"
    )
    assert env["EXPOSE_CAPACITY"] == "true"
    assert [layer.name for layer in platform.layers] == ["core"]
    source = stream.streams[0]
    assert (
        source.batch_size,
        source.maximum_retry_attempts,
        source.bisect_on_error,
        source.report_item_failures,
    ) == (100, 5, True, True)
    assert source.on_failure_queue == "StreamFailureQueue"
    assert specs["WebhookDeliveryFunction"].queues[0].queue == "WebhookQueue"


def test_stream_filter_passes_only_activity_inserts() -> None:
    filters = Template.load().functions()["StreamFunction"].streams[0].filters

    def record(event_name: str, item_type: str) -> dict[str, object]:
        return {"eventName": event_name, "dynamodb": {"NewImage": {"type": {"S": item_type}}}}

    assert matches_any(filters, record("INSERT", "ledger_entry"))
    assert not matches_any(filters, record("INSERT", "entity"))
    assert not matches_any(filters, record("MODIFY", "ledger_entry"))
    assert not matches_any(filters, {"eventName": "REMOVE", "dynamodb": {"OldImage": {}}})


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        ({"a": [{"prefix": "ab"}]}, {"a": "abc"}, True),
        ({"a": [{"suffix": "bc"}]}, {"a": "abc"}, True),
        ({"a": [{"anything-but": ["x", "y"]}]}, {"a": "x"}, False),
        ({"a": [{"anything-but": {"prefix": "x"}}]}, {"a": "zz"}, True),
        ({"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 5}, True),
        ({"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 6}, False),
        ({"a": [{"exists": False}]}, {"b": 1}, True),
        ({"a": [{"exists": True}]}, {"b": 1}, False),
        ({"a": [{"equals-ignore-case": "ABC"}]}, {"a": "abc"}, True),
        ({"a": [1]}, {"a": [3, 1]}, True),
        ({"a": [True]}, {"a": 1}, False),
        ({"a": {"b": ["x"]}}, {"a": "not a map"}, False),
        ({"a": [None]}, {"a": None}, True),
    ],
)
def test_filter_operators(pattern: dict[str, object], event: dict[str, object], expected: bool) -> None:
    assert matches(pattern, event) is expected


def test_sqs_filters_see_a_parsed_json_body() -> None:
    assert sqs_view({"body": '{"scope": "user_reward"}'})["body"] == {"scope": "user_reward"}
    assert sqs_view({"body": "plain"})["body"] == "plain"


def test_routes_match_most_specific_first_and_decode_parameters() -> None:
    router = Router()
    router.add(HttpRoute("GET", "/api/entities/{entityId}"), "by-id")  # type: ignore[arg-type]
    router.add(HttpRoute("GET", "/api/entities/pending"), "pending")  # type: ignore[arg-type]
    router.add(HttpRoute("ANY", "/files/{proxy+}"), "files")  # type: ignore[arg-type]

    pending = router.match("GET", "/api/entities/pending")
    by_id = router.match("GET", "/api/entities/e-1%2F2")
    files = router.match("POST", "/files/a/b")

    assert pending is not None and pending[0].pool == "pending"
    assert by_id is not None and by_id[1] == {"entityId": "e-1/2"}
    assert files is not None and files[1] == {"proxy": "a/b"}
    assert router.match("POST", "/api/entities/pending") is None


def test_events_are_api_gateway_v2_shaped() -> None:
    event = build_event(
        method="POST",
        raw_path="/v1/x",
        raw_query="a=1&a=2&b=",
        headers=[
            ("Content-Type", "application/octet-stream"),
            ("X-Thing", "1"),
            ("x-thing", "2"),
            ("Cookie", "s=1; t=2"),
        ],
        body=b"\x00\xff",
        route_key="POST /v1/x",
        path_parameters={},
        source_ip="127.0.0.1",
        host="127.0.0.1:3000",
    )

    assert event["version"] == "2.0" and event["routeKey"] == "POST /v1/x"
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["headers"]["x-thing"] == "1,2" and "cookie" not in event["headers"]
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x00\xff"
    assert event["requestContext"]["http"]["method"] == "POST"


def test_results_map_back_as_api_gateway_does() -> None:
    assert map_result(Invocation(ok=True, result={"a": 1}))[0::3] == (200, b'{"a": 1}')
    assert map_result(Invocation(ok=False, error={"errorType": "X"}))[0] == 500
    assert map_result(Invocation(ok=False, error={"errorType": "Sandbox.Timedout"}))[0] == 500
    status, headers, cookies, body = map_result(
        Invocation(
            ok=True,
            result={
                "statusCode": 201,
                "headers": {"X-A": "b"},
                "cookies": ["c=d"],
                "body": base64.b64encode(b"hi").decode(),
                "isBase64Encoded": True,
            },
        )
    )
    assert (status, headers, cookies, body) == (201, {"x-a": "b"}, ["c=d"], b"hi")


def test_partial_batch_responses_are_read_as_lambda_reads_them() -> None:
    assert _failed_identifiers(Invocation(ok=False), True) is None
    assert _failed_identifiers(Invocation(ok=True, result={"batchItemFailures": []}), True) == []
    assert _failed_identifiers(
        Invocation(ok=True, result={"batchItemFailures": [{"itemIdentifier": "7"}]}), True
    ) == ["7"]
    assert (
        _failed_identifiers(Invocation(ok=True, result={"batchItemFailures": [{"itemIdentifier": ""}]}), True)
        is None
    )
    assert (
        _failed_identifiers(
            Invocation(ok=True, result={"batchItemFailures": [{"itemIdentifier": "7"}]}), False
        )
        == []
    )


def test_raw_template_has_cloudformation_tags_as_intrinsics() -> None:
    raw = load_template()
    assert raw["Resources"]["PlatformFunction"]["Properties"]["Policies"][0]["Statement"][0]["Resource"] == {
        "Fn::GetAtt": ["Table", "Arn"]
    }
    assert json.dumps(raw)  # every tag became plain data


@pytest.mark.parametrize(
    ("event", "function"),
    [
        ("entities_get", "EntitiesFunction"),
        ("entities_add_admin", "EntityMembersFunction"),
        ("entities_accept_invitation", "EntityMembersFunction"),
        ("entities_twitter_connect", "EntitySocialFunction"),
        ("claimr_users_balance", "ClaimrUsersFunction"),
        ("stream_ledger_entry", "StreamFunction"),
    ],
)
def test_invoke_without_a_function_runs_the_event_on_the_function_serving_its_route(
    event: str, function: str
) -> None:
    assert find_function(Template.load().functions(), None, event) == function


def test_the_last_snapshot_at_stop_is_written_even_when_a_queue_changes_while_it_is_pickled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from local.persistence import MotoSnapshots

    snapshots = MotoSnapshots(tmp_path / "moto.pickle", prefix="none-", tables=False, positions=dict)
    real_save, calls = MotoSnapshots.save, []

    def save_meeting_a_late_receive(self: MotoSnapshots) -> bool:
        calls.append(1)
        if len(calls) == 1:  # what pickling a dict that a moto thread changes at that moment raises
            raise RuntimeError("dictionary changed size during iteration")
        return real_save(self)

    monkeypatch.setattr(MotoSnapshots, "save", save_meeting_a_late_receive)
    snapshots.stop()  # never started: stop only saves
    assert len(calls) == 2 and (tmp_path / "moto.pickle").exists()
