"""Lossless event data: the Android SDK sends numbers such as `1.0E300` and `4.9E-324` inside `properties`,
which DynamoDB cannot store as numbers (38 digits, 1E-130 to 1E+125). They are kept exactly as sent and
answered back as sent; a batch is never refused for a number inside `data`/`properties`; errors name the
field the client sent."""

from __future__ import annotations

import json

from questline.storage.codec import JsonNumber, client_json, from_attr, to_attr
from tests.support import api_event
from tests.unit.conftest import Aws

# Byte for byte what the Android SDK's Gson (serializeNulls, lower_case_with_underscores) sends for
# `track("purchase", mapOf("huge" to 1.0E300, "tiny" to 4.9E-324, ...))`.
ANDROID_BATCH = (
    b'[{"name":"purchase","anonymous_id":"1f0e5a0c-android","external_id":null,'
    b'"properties":{"huge":1.0E300,"tiny":4.9E-324,"price":49.99,"count":3,'
    b'"long":123456789012345678901234567890123456789012345,"exact":0.10000000000000000001,'
    b'"nested":{"list":[1.0E300,-4.9E-324]},"note":"a \\u003d b \\u0026 c"}}]'
)


def _post_batch(aws: Aws, key: str, body: bytes) -> tuple[int, object]:
    return aws.call(
        "ClientFunction",
        api_event("POST", "/api/client/events", raw_body=body, headers={"authorization": f"Bearer {key}"}),
    )


def _logs_text(aws: Aws, secret_key: str) -> str:
    response = aws.invoke(
        "HeyMintFunction", api_event("GET", "/v1/events/logs", headers={"x-api-key": secret_key})
    )
    assert response["statusCode"] == 200, response["body"]
    return str(response["body"])


def test_an_android_batch_with_numbers_dynamodb_cannot_store_is_kept_as_sent(
    aws: Aws, entity: dict[str, str]
) -> None:
    assert _post_batch(aws, entity["PUBLIC_KEY"], ANDROID_BATCH) == (204, None)

    (log,) = [item for item in aws.table_items() if item["type"] == "event_log"]
    assert log["data"]["price"] == 49.99 and log["data"]["count"] == 3
    assert log["data"]["note"] == "a = b & c"
    answered = _logs_text(aws, entity["SECRET_KEY"])
    for sent in (
        '"huge":1.0E300',
        '"tiny":4.9E-324',
        '"long":123456789012345678901234567890123456789012345',
        '"exact":0.10000000000000000001',
        '"list":[1.0E300,-4.9E-324]',
        '"price":49.99',
    ):
        assert sent in answered, sent
    assert json.loads(answered)["logs"][0]["data"]["huge"] == 1e300


def test_claimr_event_data_is_answered_back_as_sent(aws: Aws, entity: dict[str, str]) -> None:
    from questline.campaigns import store
    from questline.campaigns.definition import Campaign

    store.save_draft(entity["ENTITY_ID"], "pid-1", Campaign(name="C"))
    store.publish(entity["ENTITY_ID"], "pid-1")
    headers = {"authorization": f"Bearer {entity['SECRET_KEY']}"}
    body = b'{"account":"u1","platform":"steam","pid":"pid-1","name":"score","data":{"s":1E400,"t":2}}'

    posted = aws.call("ClaimrTasksFunction", api_event("POST", "/event", raw_body=body, headers=headers))
    listed = aws.invoke(
        "ClaimrTasksFunction",
        api_event("GET", "/events", query="account=u1&platform=steam&pid=pid-1", headers=headers),
    )

    assert posted[0] == 200, posted
    assert '"data":{"s":1E400,"t":2}' in listed["body"]


def test_a_number_too_long_for_python_is_kept_too(aws: Aws, entity: dict[str, str]) -> None:
    digits = "9" * 5000  # Python's int() refuses more than 4300 digits: this was an unhandled ValueError
    body = b'[{"name":"n","anonymous_id":"a","properties":{"n":' + digits.encode() + b"}}]"

    assert _post_batch(aws, entity["PUBLIC_KEY"], body) == (204, None)
    assert f'"n":{digits}' in _logs_text(aws, entity["SECRET_KEY"])


def test_errors_name_the_field_the_client_sent(aws: Aws, entity: dict[str, str]) -> None:
    body = b'[{"name":"n","anonymous_id":"a","properties":{"":1}}]'
    before = aws.table_items()

    status, answer = _post_batch(aws, entity["PUBLIC_KEY"], body)

    assert status == 422 and answer["error"].startswith("0.properties"), answer  # type: ignore[index]
    assert aws.table_items() == before


def test_unstorable_numbers_are_stored_as_their_text_and_read_back_as_numbers() -> None:
    huge = JsonNumber("1.0E300")

    stored = to_attr({"huge": huge, "plain": 1.5})

    assert stored == {"M": {"huge": {"SS": ["1.0E300"]}, "plain": {"N": "1.5"}}}
    back = client_json(from_attr(stored))
    assert back == {"huge": 1e300, "plain": 1.5}
    assert isinstance(back["huge"], JsonNumber) and back["huge"].text == "1.0E300"


def test_typed_numbers_dynamodb_cannot_store_are_a_400_naming_the_field(
    aws: Aws, entity: dict[str, str]
) -> None:
    """Outside `data`, a number is stored as a number: one DynamoDB cannot store is refused clearly (the API
    fuzzing found `ts: -4.4881652861972674e-218` answered with a 500)."""
    from questline.campaigns import store
    from questline.campaigns.definition import Campaign

    store.save_draft(entity["ENTITY_ID"], "pid-1", Campaign(name="C"))
    store.publish(entity["ENTITY_ID"], "pid-1")
    before = aws.table_items()
    claimr = {"authorization": f"Bearer {entity['SECRET_KEY']}"}
    event = b'{"account":"u1","platform":"steam","pid":"pid-1","name":"score","ts":-4.4881652861972674e-218}'
    endu = (
        b'{"property_id":"p","organization_id":"' + entity["ENTITY_ID"].encode() + b'","timestamp":1e-200,'
        b'"event_type":"E","event_data":{},"fingerprint":"f"}'
    )

    posted = aws.call("ClaimrTasksFunction", api_event("POST", "/event", raw_body=event, headers=claimr))
    recorded = aws.call(
        "IngestFunction",
        api_event(
            "POST",
            "/api/events/record",
            raw_body=endu,
            headers={"authorization": f"Bearer {entity['PUBLIC_KEY']}"},
        ),
    )

    assert posted[0] == 400 and posted[1]["error"].startswith("ts:"), posted
    assert recorded[0] == 400 and recorded[1]["message"].startswith("timestamp"), recorded
    assert aws.table_items() == before


def test_a_campaign_with_numbers_dynamodb_cannot_store_is_a_400(aws: Aws, entity: dict[str, str]) -> None:
    entity_id = entity["ENTITY_ID"]
    before = aws.table_items()

    def put(definition: bytes) -> tuple[int, object]:
        return aws.call(
            "CampaignAdminFunction",
            api_event(
                "PUT",
                "/api/entities/{entityId}/campaigns/{pid}",
                path=f"/api/entities/{entity_id}/campaigns/pid-1",
                params={"entityId": entity_id, "pid": "pid-1"},
                raw_body=definition,
                headers={"authorization": f"Bearer {entity['SECRET_KEY']}"},
            ),
        )

    in_meta = put(
        b'{"name":"C","actions":[{"id":"a","name":"A","type":"api_call","meta":{"weight":1.0E300}}]}'
    )
    in_custom = put(b'{"name":"C","notifications":{"task":{"custom":{"w":4.9E-324}}}}')

    assert in_meta[0] == 400 and in_meta[1]["error"].startswith("actions.0.meta"), in_meta  # type: ignore[index]
    assert in_custom[0] == 400 and in_custom[1]["error"].startswith("notifications.task.custom"), in_custom  # type: ignore[index]
    assert aws.table_items() == before
