"""Python values <-> DynamoDB attribute values, and the checks that keep client data storable.

A small codec of our own instead of boto3's TypeSerializer: it takes floats (JSON numbers) without a
Decimal round trip, gives ints back as ints, and is cheap to import.

Client data is lossless. A JSON number DynamoDB cannot store as a number (beyond 38 significant digits or
outside 1E-130..9.99E+125, such as Android's `1.0E300` and `4.9E-324`), or one a double would not give
back exactly (`0.10000000000000000001`), is parsed as a `JsonNumber` that keeps its text
(`questline.http.json_text`), stored as a one-string set holding that text (JSON has no sets, so inside
client data a set can only be this), and turned back into the same `JsonNumber` by `client_json`, which
the response serializer writes as the bare number it was.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from questline.errors import BadRequest

# DynamoDB's own limits on attribute values (https://docs.aws.amazon.com/amazondynamodb/latest/
# developerguide/ServiceQuotas.html): numbers have 38 significant digits within 1E-130..9.99E+125 and
# documents nest at most 32 levels. Client data is checked against tighter bounds before it is stored.
MAX_CLIENT_DEPTH = 16
_MAX_NUMBER = Decimal("9.9999999999999999999999999999999999999E+125")
_MIN_NUMBER = Decimal("1E-130")
_MAX_DIGITS = 38

AttributeValue = dict[str, Any]


class JsonNumber(float):
    """A client's JSON number kept as the text it was sent as (its float value for arithmetic and
    validation). Only numbers DynamoDB or a double cannot hold exactly are parsed as one."""

    text: str

    def __new__(cls, text: str) -> JsonNumber:
        number = super().__new__(cls, text)  # "1E400" is inf as a float; the text stays exact
        number.text = text
        return number

    def __repr__(self) -> str:
        return f"JsonNumber({self.text!r})"

    def __reduce__(self) -> tuple[type[JsonNumber], tuple[str]]:
        return JsonNumber, (self.text,)


def storable_number(text: str) -> bool:
    """Whether the JSON number `text` is stored as a DynamoDB number and read back (as an int, or as a
    float) with exactly the value sent."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return False
    if not number.is_finite() or not _in_range(number):
        return False
    if "." not in text and "e" not in text and "E" not in text:
        return True  # an integer of at most 38 digits comes back as the same int
    return Decimal(repr(float(text))) == number


def storable_value(value: float) -> bool:
    """Whether a number (from a typed field, not client data) is one DynamoDB stores as a number."""
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return _in_range(Decimal(repr(value) if isinstance(value, float) else value))


def _in_range(number: Decimal) -> bool:
    if number == 0:
        return True
    # Significant digits without normalize(), which would round to the default 28-digit context.
    digits = len("".join(map(str, number.as_tuple().digits)).strip("0"))
    return _MIN_NUMBER <= abs(number) <= _MAX_NUMBER and digits <= _MAX_DIGITS


def client_json(value: Any) -> Any:
    """Client data as read from the table, with each kept number (a one-string set) a `JsonNumber` again."""
    if isinstance(value, dict):
        return {key: client_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [client_json(item) for item in value]
    if isinstance(value, (set, frozenset)) and len(value) == 1:
        (text,) = value
        if isinstance(text, str):
            return JsonNumber(text)
    return value


def to_attr(value: Any) -> AttributeValue:  # noqa: PLR0911 - one branch per DynamoDB type
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, JsonNumber):
        return {"SS": [value.text]}
    if isinstance(value, float):
        return {"N": _float_text(value)}
    if isinstance(value, Decimal):
        return {"N": str(value)}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_attr(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [to_attr(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        if all(isinstance(v, str) for v in value):
            return {"SS": sorted(value)}
        return {"NS": sorted(str(v) for v in value)}
    if isinstance(value, bytes):
        return {"B": value}
    raise TypeError(f"cannot store a {type(value).__name__}")


def from_attr(attr: AttributeValue) -> Any:  # noqa: PLR0911 - one branch per DynamoDB type
    """One attribute value, in any form it reaches us: from boto3 (binary as bytes) or from a Lambda stream
    event, which is JSON (binary as base64 text). DynamoDB Local's stream writes an empty map as `{}`,
    without its `M`: that is the only untagged value either ever carries."""
    if not attr:
        return {}
    if len(attr) != 1:
        raise TypeError(f"an attribute value has one type, not {sorted(attr)}")
    ((kind, raw),) = attr.items()
    if kind == "S":
        return raw
    if kind == "N":
        return _number(raw)
    if kind == "BOOL":
        return bool(raw)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: from_attr(v) for k, v in raw.items()}
    if kind == "L":
        return [from_attr(v) for v in raw]
    if kind == "SS":
        return set(raw)
    if kind == "NS":
        return {_number(v) for v in raw}
    if kind == "B":
        return _binary(raw)
    if kind == "BS":
        return {_binary(v) for v in raw}
    raise TypeError(f"unknown attribute type {kind}")


def _binary(raw: bytes | bytearray | str) -> bytes:
    if isinstance(raw, str):
        return base64.b64decode(raw, validate=True)
    return bytes(raw)


def to_item(values: Mapping[str, Any]) -> dict[str, AttributeValue]:
    """Top-level `None` means "absent": such attributes are left out of the item."""
    return {k: to_attr(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, AttributeValue]) -> dict[str, Any]:
    return {k: from_attr(v) for k, v in item.items()}


def _number(text: str) -> int | float:
    # DynamoDB hands numbers back canonicalised ("1.50" -> "1.5", "2.0" -> "2"): whole numbers come back as
    # ints, the rest as floats, which is what a JSON client sent in the first place. Emulators (moto) keep
    # the text as written, so "2.0" is read as DynamoDB would answer it: an integer stays an integer in
    # every answer, whichever backend stored it.
    if "e" in text or "E" in text:
        return float(text)
    whole, point, fraction = text.partition(".")
    if point and fraction.strip("0"):
        return float(text)
    return int(whole or "0")


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        raise TypeError("cannot store NaN or infinity")
    return repr(value)


def check_client_value(value: Any, field: str, *, depth: int = 0, kept_numbers: bool = True) -> None:
    """Refuse, as a 400 naming `field`, client JSON that DynamoDB could not store.

    JSON parsing already limits the types to dict, list, str, int, float, bool and None, and turns every
    number DynamoDB cannot store into a `JsonNumber`, which is stored as its text: numbers are never
    refused here unless they come from elsewhere than a client's JSON. `kept_numbers=False` is for values
    stored through a model's JSON dump (campaign definitions), which turns a `JsonNumber` back into a
    float: there a number DynamoDB cannot store is refused too.
    """
    if depth > MAX_CLIENT_DEPTH:
        raise BadRequest(f"{field} is nested more than {MAX_CLIENT_DEPTH} levels deep", field=field)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, JsonNumber) and kept_numbers:
        return
    if isinstance(value, (int, float)):
        _check_number(float(value) if isinstance(value, JsonNumber) else value, field)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise BadRequest(f"{field} has a non-string key", field=field)
            if not key:  # a map key is an attribute name, which DynamoDB needs at least one character for
                raise BadRequest(f"{field} has an empty key", field=field)
            check_client_value(item, field, depth=depth + 1, kept_numbers=kept_numbers)
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            check_client_value(item, field, depth=depth + 1, kept_numbers=kept_numbers)
        return
    raise BadRequest(f"{field} holds a value that is not JSON", field=field)


def _check_number(value: float, field: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise BadRequest(f"{field} holds a number that is not finite", field=field)
    try:
        number = Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation as error:  # pragma: no cover - repr of a finite float always parses
        raise BadRequest(f"{field} holds an invalid number", field=field) from error
    if not _in_range(number):
        raise BadRequest(
            f"{field} holds a number outside the storable range (38 digits, 1E-130 to 1E+125)", field=field
        )
