"""Request bodies whose JSON is valid text but not Unicode: a lone surrogate spelled as a `\\u` escape is
refused as a 400 before any route sees it (stored, it is text that cannot be encoded as UTF-8)."""

from __future__ import annotations

import json

import pytest

from questline.errors import BadRequest
from questline.http.body import prepare_json_body


def event() -> dict[str, object]:
    return {"headers": {"content-type": "application/json"}, "requestContext": {"http": {"method": "POST"}}}


@pytest.mark.parametrize(
    "body",
    [
        r'{"name": "\ud800"}',  # a high surrogate alone
        r'{"name": "x\uDFFFy"}',  # a low surrogate alone, upper case
        r'{"data": {"\udc80": 1}}',  # in a key
        r'[{"data": {"list": ["ok", "\ude00\ud83d"]}}]',  # a pair in the wrong order, deep in a list
        r'{"name": "\ud83d"}',  # the first half of an emoji, cut
    ],
)
def test_a_lone_surrogate_escape_is_a_400(body: str) -> None:
    with pytest.raises(BadRequest) as raised:
        prepare_json_body(event(), body.encode())

    assert "not a Unicode character" in str(raised.value)
    assert raised.value.status == 400


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (r'{"name": "\ud83d\ude00"}', "\U0001f600"),  # a surrogate pair: one emoji
        (r'{"name": "\uD83D\uDE00"}', "\U0001f600"),
        (r'{"name": "\ud7ff\ue000"}', "\ud7ff\ue000"),  # either side of the surrogate range
        ('{"name": "\U0001f600 caf\u00e9"}', "\U0001f600 caf\u00e9"),  # raw UTF-8, no escapes
    ],
)
def test_real_characters_pass_whatever_their_spelling(body: str, value: str) -> None:
    prepared = prepare_json_body(event(), body.encode())

    assert json.loads(str(prepared["body"]))["name"] == value
