"""JSON in and out of every API function, lossless for client numbers.

`loads` parses request bodies: a number DynamoDB cannot store, or one a double would not give back exactly,
becomes a `JsonNumber` that keeps its text (`questline.storage.codec` stores it as that text). It also never
hands a long digit string to `int()`, which refuses more than 4,300 digits with an error no client should
turn into a 500.

`dumps` writes response bodies. Client data answered back (event data) goes into its response model through
`tag_numbers`, which turns each `JsonNumber` into a tagged string that pydantic leaves alone and `dumps`
writes as the bare number text it was sent as. The tag starts with a private-use character and a random
token made per container, and only a JSON number's characters may follow it, so no client string can be
mistaken for one or turn into anything but a number.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

from aws_lambda_powertools.shared.json_encoder import Encoder

from questline.storage.codec import JsonNumber, storable_number

_MAX_PLAIN_INT_DIGITS = 38
_TAG = "\ue000" + os.urandom(8).hex() + ":"
_TAG_IN_JSON = "\\ue000" + _TAG[1:]  # as json.dumps writes it (ASCII-escaped)


@lru_cache(maxsize=1)
def _tagged() -> re.Pattern[str]:  # compiled on the first answer that holds a kept number
    return re.compile('"' + re.escape(_TAG_IN_JSON) + r'(-?[0-9][0-9.eE+-]*)"')


def _float(text: str) -> float:
    return float(text) if storable_number(text) else JsonNumber(text)


def _int(text: str) -> int | float:
    digits = len(text.lstrip("-"))
    return int(text) if digits <= _MAX_PLAIN_INT_DIGITS else JsonNumber(text)


def loads(text: str | bytes, *, parse_constant: Callable[[str], Any] | None = None) -> Any:
    """`parse_constant` is called for NaN, Infinity and -Infinity, which are not JSON (the request body
    parser refuses them)."""
    return json.loads(text, parse_float=_float, parse_int=_int, parse_constant=parse_constant)


_dumps = partial(json.dumps, separators=(",", ":"), cls=Encoder)


def dumps(value: Any) -> str:
    text = _dumps(value)
    return _tagged().sub(r"\1", text) if _TAG_IN_JSON in text else text


def tag_numbers(value: Any) -> Any:
    """Client data for a response model: each `JsonNumber` as its tagged text."""
    if isinstance(value, JsonNumber):
        return _TAG + value.text
    if isinstance(value, dict):
        return {key: tag_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [tag_numbers(item) for item in value]
    return value


ClientJson = dict[str, Any]
"""A response field holding client data (event data), filled through `tag_numbers`."""
