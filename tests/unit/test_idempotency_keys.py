"""`Idempotency-Key` on Parcelvoy's batch events and Endu's event record: a retry of the same request
records nothing twice and says it was a replay (`Idempotent-Replayed: true`); the same key with another
request is refused (422 in the family's envelope) and writes nothing."""

from __future__ import annotations

from typing import Any

from tests.support import api_event
from tests.unit.conftest import Aws

REPLAYED = "Idempotent-Replayed"


def _send(aws: Aws, function: str, route: str, body: Any, key: str | None) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {aws.values['PUBLIC_KEY']}"}
    if key is not None:
        headers["idempotency-key"] = key
    return dict(aws.invoke(function, api_event("POST", route, body=body, headers=headers)))


def _logs(aws: Aws) -> list[str]:
    return sorted(str(i["name"]) for i in aws.table_items() if i["type"] == "event_log")


def _replayed(response: dict[str, Any]) -> str | None:
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    return headers.get(REPLAYED.lower())


def test_a_parcelvoy_key_reused_with_another_batch_is_refused(aws: Aws, entity: dict[str, str]) -> None:
    two = [{"external_id": "p1", "name": "opened"}, {"external_id": "p1", "name": "paid"}]
    three = [*two, {"external_id": "p1", "name": "shared"}]

    first = _send(aws, "ClientFunction", "/api/client/events", two, "batch-7")
    retry = _send(aws, "ClientFunction", "/api/client/events", two, "batch-7")
    before = aws.table_items()
    reused = _send(aws, "ClientFunction", "/api/client/events", three, "batch-7")

    assert first["statusCode"] == 204 and _replayed(first) is None
    assert retry["statusCode"] == 204 and _replayed(retry) == "true"
    assert reused["statusCode"] == 422, reused
    assert reused["body"] == (
        '{"status":"error","error":"Idempotency-Key: batch-7 was used with another request; '
        'send a new key for a new request","code":422}'
    )
    assert aws.table_items() == before
    assert _logs(aws) == ["opened", "paid"]


def test_endu_takes_an_idempotency_key_too(aws: Aws, entity: dict[str, str]) -> None:
    event = {
        "property_id": "D#1007491775344160808",
        "organization_id": entity["ENTITY_ID"],
        "timestamp": "1672536219",
        "event_type": "ITEM_PURCHASED",
        "p_user_id": "702877938567086080",
        "platform_type": "Discord",
        "event_data": {"item_id": "8258727671"},
    }

    first = _send(aws, "IngestFunction", "/api/events/record", event, "order-8258727671")
    retry = _send(aws, "IngestFunction", "/api/events/record", event, "order-8258727671")
    before = aws.table_items()
    reused = _send(
        aws, "IngestFunction", "/api/events/record", {**event, "event_type": "REFUND"}, "order-8258727671"
    )
    plain = [_send(aws, "IngestFunction", "/api/events/record", event, None) for _ in range(2)]

    assert (first["statusCode"], first["body"], _replayed(first)) == (200, "", None)
    assert (retry["statusCode"], retry["body"], _replayed(retry)) == (200, "", "true")
    assert reused["statusCode"] == 422 and '"code":"idempotency_key_reused"' in reused["body"], reused
    assert [p["statusCode"] for p in plain] == [200, 200]
    assert _logs(aws) == ["ITEM_PURCHASED"] * 3  # the keyed one once, the two unkeyed ones each
    assert [i for i in aws.table_items() if i not in before and i["type"] != "event_log"] == []


def test_a_malformed_key_is_refused_on_endu(aws: Aws, entity: dict[str, str]) -> None:
    event = {
        "property_id": "p",
        "organization_id": entity["ENTITY_ID"],
        "timestamp": "1672536219",
        "event_type": "X",
        "fingerprint": "fp-1",
        "event_data": {},
    }
    before = aws.table_items()

    response = _send(aws, "IngestFunction", "/api/events/record", event, "k" * 129)

    assert response["statusCode"] == 400 and "idempotency-key" in response["body"], response
    assert aws.table_items() == before
