"""Opaque pagination cursors.

A cursor is the `LastEvaluatedKey` of a query (plus what a route needs to resume, such as a leaderboard's
position), base64url-encoded JSON, signed with an HMAC-SHA256 of this deployment's `cursors` key. On the
way back in the signature is checked first: a cursor we did not issue, or one edited by a byte, is a 400
naming the field, and never reaches DynamoDB (where a number in place of a key string would be a 500) or
the route's arithmetic (where a negative position would be a wrong rank). It is also checked against the
partition the query reads, so a cursor of one listing cannot resume another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from questline.errors import BadRequest

_MAX_CURSOR_LENGTH = 2048
PURPOSE = "cursors"


def _signature(body: str) -> str:
    from questline.signing import key_for  # the key lives in the table: no import cycle, no read at import

    digest = hmac.new(key_for(PURPOSE), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def encode_cursor(last_key: Mapping[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(dict(last_key), separators=(",", ":"), sort_keys=True).encode()
    body = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{body}.{_signature(body)}"


def decode_cursor(
    cursor: str | None, *, partition_attr: str, partition: str, field: str = "cursor"
) -> dict[str, Any] | None:
    """The start key a cursor stands for, or a 400 naming `field` when it is not one of ours."""
    if not cursor:
        return None
    refused = BadRequest(f"{field} is not a valid cursor", field=field)
    body, _, signature = cursor.partition(".")
    if len(cursor) > _MAX_CURSOR_LENGTH or not body or not signature:
        raise refused
    if not hmac.compare_digest(_signature(body), signature):
        raise refused
    try:
        key = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:  # pragma: no cover - signed: ours
        raise refused from error
    if (
        not isinstance(key, dict)
        or key.get(partition_attr) != partition
        or not all(isinstance(k, str) and isinstance(v, (str, int)) for k, v in key.items())
    ):
        raise refused
    return key
