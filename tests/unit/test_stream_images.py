"""Stream images as AWS sends them to Lambda: every attribute form DynamoDB documents (the examples of the
AttributeValue reference, https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_AttributeValue.html),
binary as base64 text (Lambda's event is JSON), empty maps and lists, nesting, NULL; and DynamoDB Local's
own way of writing an empty map (`{}`, without its `M`). A record that cannot be projected is reported as a
batch item failure and logged with its cause and keys, never its image."""

from __future__ import annotations

import json
from typing import Any

import pytest

from questline.storage.codec import from_attr, from_item
from tests.unit.conftest import Aws


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ({"S": "Hello"}, "Hello"),
        ({"N": "123.45"}, 123.45),
        ({"N": "35"}, 35),
        ({"B": "dGhpcyB0ZXh0IGlzIGJhc2U2NC1lbmNvZGVk"}, b"this text is base64-encoded"),
        ({"BOOL": True}, True),
        ({"NULL": True}, None),
        ({"SS": ["Giraffe", "Hippo", "Zebra"]}, {"Giraffe", "Hippo", "Zebra"}),
        ({"NS": ["42.2", "-19", "7.5", "3.14"]}, {42.2, -19, 7.5, 3.14}),
        ({"BS": ["U3Vubnk=", "UmFpbnk=", "U25vd3k="]}, {b"Sunny", b"Rainy", b"Snowy"}),
        ({"L": [{"S": "Cookies"}, {"S": "Coffee"}, {"N": "3.14159"}]}, ["Cookies", "Coffee", 3.14159]),
        ({"M": {"Name": {"S": "Joe"}, "Age": {"N": "35"}}}, {"Name": "Joe", "Age": 35}),
        ({"M": {}}, {}),
        ({"L": []}, []),
        (
            {"M": {"data": {"M": {}}, "tags": {"L": [{"M": {}}, {"L": []}, {"NULL": True}]}}},
            {"data": {}, "tags": [{}, [], None]},
        ),
    ],
)
def test_every_attribute_form_of_a_lambda_stream_event_decodes(
    attribute: dict[str, Any], expected: Any
) -> None:
    assert from_attr(attribute) == expected


def test_binary_from_boto3_stays_bytes() -> None:
    """boto3 (the local stack's pollers, tests reading the table) hands binary back already decoded."""
    assert from_attr({"B": b"\x00\x01"}) == b"\x00\x01"
    assert from_attr({"BS": [b"\x01", b"\x02"]}) == {b"\x01", b"\x02"}


def test_an_empty_map_as_dynamodb_local_streams_it() -> None:
    # DynamoDB Local's GetRecords: {"m": {}, "nested": {"M": {"x": {}, "y": {"L": [{}]}}}} for what was
    # stored as {"m": {"M": {}}, "nested": {"M": {"x": {"M": {}}, "y": {"L": [{"M": {}}]}}}}.
    image = {"PK": {"S": "a"}, "m": {}, "nested": {"M": {"x": {}, "y": {"L": [{}]}}}}

    assert from_item(image) == {"PK": "a", "m": {}, "nested": {"x": {}, "y": [{}]}}


def test_an_unknown_attribute_form_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="unknown attribute type X"):
        from_attr({"X": "1"})
    with pytest.raises(TypeError, match="one type"):
        from_attr({"S": "a", "N": "1"})


def _stream_record(sequence: str, image: dict[str, Any]) -> dict[str, Any]:
    return {
        "eventID": f"event-{sequence}",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1795330800,
            "Keys": {"PK": image["PK"], "SK": image["SK"]},
            "NewImage": image,
            "SequenceNumber": sequence,
            "SizeBytes": 120,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-11-22T07:00:00.000",
    }


def _poison(sequence: str, entity: dict[str, str], **extra: dict[str, str]) -> dict[str, Any]:
    """An identity merged into nobody (no `merged_into`): projecting it raises, at every attempt."""
    return _stream_record(
        sequence,
        {
            "PK": {"S": f"ENT#{entity['ENTITY_ID']}#ID#broken"},
            "SK": {"S": "IDENTITY"},
            "type": {"S": "identity"},
            "status": {"S": "merged"},
            "entity_id": {"S": entity["ENTITY_ID"]},
            "identity_id": {"S": "broken"},
            **extra,
        },
    )


def test_a_record_that_fails_is_reported_and_logged_with_its_cause_and_keys(
    aws: Aws, entity: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    good = _stream_record(
        "100000000000000000001",
        {
            "PK": {"S": "LEDGER#sample"},
            "SK": {"S": "ENTRY#0001"},
            "type": {"S": "ledger_entry"},
            "entity_id": {"S": entity["ENTITY_ID"]},
            "pid": {"S": "campaign_abc123"},
            "xp": {"N": "100"},
            "meta": {"M": {}},
            "proof": {"B": "AAE="},
        },
    )
    poison = _poison("100000000000000000002", entity, secret_note={"S": "never-in-a-log"})

    result = aws.invoke("StreamFunction", {"Records": [good, poison]})

    assert result == {"batchItemFailures": [{"itemIdentifier": "100000000000000000002"}]}
    failed = [r for r in caplog.records if r.getMessage() == "stream record failed"]
    assert len(failed) == 1
    logged = failed[0].__dict__
    assert failed[0].levelname == "ERROR"
    assert logged["sequence_number"] == "100000000000000000002"
    assert logged["event_id"] == "event-100000000000000000002"
    assert logged["keys"] == {"PK": f"ENT#{entity['ENTITY_ID']}#ID#broken", "SK": "IDENTITY"}
    assert logged["item_type"] == "identity"
    assert logged["error"] == "KeyError" and "merged_into" in logged["reason"]
    everything = json.dumps([r.__dict__ for r in caplog.records], default=str)
    assert "never-in-a-log" not in everything


def test_a_batch_whose_every_record_fails_is_reported_record_by_record_not_raised(
    aws: Aws, entity: dict[str, str]
) -> None:
    """A poisoned record alone in its batch (as bisection leaves it) is answered as a batch item failure,
    as when it shares its batch: the invocation itself does not fail (no function error, no alarm)."""
    poison = _poison("100000000000000000003", entity)

    result = aws.invoke("StreamFunction", {"Records": [poison]})

    assert result == {"batchItemFailures": [{"itemIdentifier": "100000000000000000003"}]}
