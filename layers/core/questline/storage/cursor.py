"""Opaque pagination cursors.

A cursor is the `LastEvaluatedKey` of a query, base64url-encoded JSON. On the way back in it is checked
against the partition the query reads, so a crafted cursor cannot point a query at another tenant's data.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from questline.errors import BadRequest

_MAX_CURSOR_LENGTH = 2048


def encode_cursor(last_key: Mapping[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(dict(last_key), separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str | None, *, partition_attr: str, partition: str, field: str = "cursor"
) -> dict[str, Any] | None:
    """The start key a cursor stands for, or a 400 naming `field` when it is not one of ours."""
    if not cursor:
        return None
    if len(cursor) > _MAX_CURSOR_LENGTH:
        raise BadRequest(f"{field} is not a valid cursor", field=field)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"{field} is not a valid cursor", field=field) from error
    if (
        not isinstance(key, dict)
        or key.get(partition_attr) != partition
        or not all(isinstance(k, str) and isinstance(v, (str, int)) for k, v in key.items())
    ):
        raise BadRequest(f"{field} is not a valid cursor", field=field)
    return key
