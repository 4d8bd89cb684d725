"""Bodies, envelopes and validation messages: malformed input is a clear 4xx in the family's shape."""

from __future__ import annotations

import base64
import json

import pytest

from questline.errors import (
    BadRequest,
    Conflict,
    PayloadTooLarge,
    Unauthorized,
    UnknownCredential,
    UnsupportedMediaType,
)
from questline.http.body import prepare_json_body, raw_body
from questline.http.envelopes import CLAIMR, ENDU, HEYMINT, PARCELVOY, QUEST_PROTOCOL, validation_error


def event(
    body: str | None,
    *,
    method: str = "POST",
    b64: bool = False,
    content_type: str | None = "application/json",
) -> dict[str, object]:
    headers = {"content-type": content_type} if content_type else {}
    return {
        "body": body,
        "isBase64Encoded": b64,
        "headers": headers,
        "requestContext": {"http": {"method": method}},
    }


def prepared(e: dict[str, object]) -> dict[str, object]:
    return prepare_json_body(e, raw_body(e, 1024))


def test_json_body_is_checked_and_normalised() -> None:
    out = prepared(
        event(base64.b64encode(b'{"a": 1}').decode(), b64=True, content_type="text/plain; charset=utf-8")
    )

    assert out["body"] == '{"a": 1}' and out["isBase64Encoded"] is False
    assert out["headers"] == {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("e", "error", "words"),
    [
        (event("x" * 2000), PayloadTooLarge, "larger than 1024 bytes"),
        (event("%%%", b64=True), BadRequest, "not valid base64"),
        (event(base64.b64encode(b"\xff\xfe{}").decode(), b64=True), BadRequest, "not valid UTF-8"),
        (event('{"a": '), BadRequest, "not valid JSON"),
        (event("[" * 40 + "]" * 40), BadRequest, "nested more than 32"),
        (event("[" * 100000 + "]" * 100000), PayloadTooLarge, "larger"),
        (
            event("a=1", content_type="application/x-www-form-urlencoded"),
            UnsupportedMediaType,
            "application/json",
        ),
        (event("<a/>", content_type="application/xml"), UnsupportedMediaType, "not application/xml"),
    ],
)
def test_malformed_bodies_are_refused_clearly(
    e: dict[str, object], error: type[Exception], words: str
) -> None:
    with pytest.raises(error) as raised:
        prepared(e)
    assert words in str(raised.value)


def test_deep_nesting_past_the_parser_limit_is_a_400_not_a_crash() -> None:
    deep = "[" * 50000 + "]" * 50000
    with pytest.raises(BadRequest):
        prepare_json_body(event(deep), raw_body(event(deep), 10**6))


def test_a_body_on_get_is_ignored() -> None:
    assert prepared(event("not json", method="GET"))["body"] is None


def test_family_envelopes() -> None:
    missing = Unauthorized("this route needs a secret key (sk_)")
    unknown = UnknownCredential("the key is not valid")
    bad = BadRequest("slug: String should have at most 60 characters", field="slug")

    assert HEYMINT.render(missing) == (
        401,
        {"message": "this route needs a secret key (sk_)", "code": "unauthorized"},
    )
    assert ENDU.render(bad) == (400, {"message": bad.message, "code": "bad_request"})
    assert PARCELVOY.render(missing) == (
        401,
        {"status": "error", "error": "Authorization error.", "code": 1000},
    )
    assert PARCELVOY.render(unknown) == (
        404,
        {"status": "error", "error": "The requested project does not exist.", "code": 6000},
    )
    assert PARCELVOY.render(bad) == (422, {"status": "error", "error": bad.message})
    assert CLAIMR.render(Conflict("id was used with another body")) == (
        409,
        {"success": False, "error": "id was used with another body", "code": "conflict"},
    )
    assert QUEST_PROTOCOL.render(unknown) == (401, {"success": False, "error": "the key is not valid"})


def test_validation_errors_name_the_field() -> None:
    assert (
        validation_error([{"type": "missing", "loc": ("body", "name"), "msg": "Field required"}]).message
        == "name: is required"
    )
    assert (
        validation_error(
            [
                {
                    "type": "string_too_long",
                    "loc": ("body", "slug"),
                    "msg": "String should have at most 60 characters",
                }
            ]
        ).field
        == "slug"
    )
    assert validation_error(
        [{"type": "int_parsing", "loc": ("query", "limit"), "msg": "Input should be a valid integer"}]
    ).message == ("limit: Input should be a valid integer")
    assert validation_error(
        [{"type": "json_invalid", "loc": ("body", 3), "msg": "JSON decode error"}]
    ).message == ("the body is not valid JSON")
    assert json.dumps(validation_error([]).message)
