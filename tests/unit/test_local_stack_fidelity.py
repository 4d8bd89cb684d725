"""Where the local stack must behave as AWS does, checked part by part (the HTTP-level checks are in
tests/integration/test_local_stack_failures.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from local.esm import _as_lambda_record
from questline.storage.codec import from_item


def test_stream_records_reach_the_function_as_lambdas_json_with_base64_binary() -> None:
    parsed_by_boto3 = {
        "eventName": "INSERT",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 11, 22, 7, 0, tzinfo=UTC),
            "Keys": {"PK": {"S": "a"}},
            "NewImage": {
                "PK": {"S": "a"},
                "b": {"B": b"\x00\x01"},
                "bs": {"BS": [b"\x01"]},
                "nested": {"M": {"b": {"B": b"\xff"}, "l": {"L": [{"B": b"\x02"}]}}},
            },
            "SequenceNumber": "1",
        },
    }

    event = json.loads(json.dumps({"Records": [_as_lambda_record(parsed_by_boto3)]}))

    record = event["Records"][0]["dynamodb"]
    assert record["ApproximateCreationDateTime"] == 1795330800
    assert record["NewImage"]["b"] == {"B": "AAE="} and record["NewImage"]["bs"] == {"BS": ["AQ=="]}
    assert from_item(record["NewImage"]) == {
        "PK": "a",
        "b": b"\x00\x01",
        "bs": {b"\x01"},
        "nested": {"b": b"\xff", "l": [b"\x02"]},
    }
