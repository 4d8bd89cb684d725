"""GET /api/entities/{entityId} through its sample events: the entity's own sk_, the operator, and refusals
in Quest Protocol's envelope."""

from __future__ import annotations

import json

from local.events import load_event
from local.inprocess import handler_of
from questline.tenancy.entities import create_enabled_entity
from tests.unit.conftest import Aws, LambdaContext


def test_secret_key_reads_its_own_entity(aws: Aws, entity: dict[str, str]) -> None:
    response = aws.invoke("EntitiesFunction", "entities_get")

    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body["success"] is True
    assert body["data"]["entityId"] == entity["ENTITY_ID"]
    assert body["data"]["name"] == "Test entity"
    assert body["data"]["isEnabled"] is True
    # the key, its entity (a credential dies with its entity), then the entity the route reads
    assert response["headers"]["x-questline-capacity"].startswith("calls=3;")


def test_no_key_is_401_in_quest_protocol_envelope(aws: Aws, entity: dict[str, str]) -> None:
    response = aws.invoke("EntitiesFunction", "entities_get_no_key")

    assert response["statusCode"] == 401
    assert json.loads(response["body"]) == {
        "success": False,
        "error": "this route needs the operator key or a secret key (sk_) or userid and token headers",
    }


def test_unknown_and_publishable_keys_are_refused(aws: Aws, entity: dict[str, str]) -> None:
    unknown = aws.invoke("EntitiesFunction", "entities_get", SECRET_KEY="sk_not-a-real-key")
    publishable = aws.invoke("EntitiesFunction", "entities_get", SECRET_KEY=entity["PUBLIC_KEY"])

    assert unknown["statusCode"] == 401
    assert json.loads(unknown["body"]) == {"success": False, "error": "the key is not valid"}
    assert publishable["statusCode"] == 401
    assert "needs the operator key or a secret key" in json.loads(publishable["body"])["error"]


def test_a_key_never_reads_another_entity(aws: Aws, entity: dict[str, str]) -> None:
    other = create_enabled_entity("Other tenant")

    response = aws.invoke("EntitiesFunction", "entities_get", SECRET_KEY=other.secret_key.plain)

    assert response["statusCode"] == 403
    assert entity["ENTITY_ID"] not in response["body"]


def test_operator_reads_any_entity(aws: Aws, entity: dict[str, str]) -> None:
    response = aws.invoke("EntitiesFunction", "entities_get", SECRET_KEY=aws.operator_key)

    assert response["statusCode"] == 200
    assert json.loads(response["body"])["data"]["entityId"] == entity["ENTITY_ID"]


def test_unknown_entity_is_404_and_malformed_id_is_400(aws: Aws, entity: dict[str, str]) -> None:
    missing = aws.invoke(
        "EntitiesFunction", "entities_get", SECRET_KEY=aws.operator_key, ENTITY_ID="e-" + "0" * 32
    )
    malformed = aws.invoke("EntitiesFunction", "entities_get", SECRET_KEY=aws.operator_key, ENTITY_ID="nope")

    assert missing["statusCode"] == 404
    assert json.loads(missing["body"])["success"] is False
    assert malformed["statusCode"] == 400
    assert json.loads(malformed["body"])["error"].startswith("entityId:")


def test_auth_is_cached_per_container(aws: Aws, entity: dict[str, str]) -> None:
    aws.invoke("EntitiesFunction", "entities_get")
    event = load_event("entities_get", aws.values)

    second = handler_of("EntitiesFunction")(event, LambdaContext())  # type: ignore[operator]

    # the warm container reads only the entity: the key was resolved from the cache
    assert second["headers"]["x-questline-capacity"].startswith("calls=1;")
