"""Signed, expiring tokens (HMAC-SHA256) for links the product hands out, such as identity claim URLs.

The signing key is created on first use and kept in the table (one item per purpose), so a deployment
needs no extra secret to configure; each container caches it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from functools import lru_cache
from typing import Any

from questline import clock
from questline.errors import BadRequest
from questline.storage import get_table, keys
from questline.storage.table import ConditionFailed


@lru_cache(maxsize=8)
def _key(purpose: str) -> bytes:
    table = get_table()
    item = table.get(keys.secret(purpose), consistent=True)
    if item is None:
        fresh = {**keys.secret(purpose), "type": "secret", "value": secrets.token_hex(32)}
        try:
            table.put_new(fresh, return_old_on_failure=True)
            item = fresh
        except ConditionFailed as existing:  # another container created it first: use theirs
            item = existing.item or table.get(keys.secret(purpose), consistent=True)
    assert item is not None
    return bytes.fromhex(str(item["value"]))


def key_for(purpose: str) -> bytes:
    """This deployment's secret key for `purpose` (created on first use, cached per container)."""
    return _key(purpose)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(purpose: str, claims: dict[str, Any], ttl_seconds: int) -> str:
    body = _b64(json.dumps({**claims, "exp": int(clock.now()) + ttl_seconds}, separators=(",", ":")).encode())
    signature = _b64(hmac.new(_key(purpose), body.encode(), hashlib.sha256).digest())
    return f"{body}.{signature}"


def verify(purpose: str, token: str, *, field: str) -> dict[str, Any]:
    """The claims of a token this deployment issued for `purpose`, or a 400 naming `field`."""
    body, _, signature = token.partition(".")
    if not body or not signature or len(token) > 2048:
        raise BadRequest(f"{field} is not a valid token", field=field)
    expected = _b64(hmac.new(_key(purpose), body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        raise BadRequest(f"{field} is not a valid token", field=field)
    try:
        claims: dict[str, Any] = json.loads(_unb64(body))
    except ValueError as error:  # pragma: no cover - a signed body is always ours
        raise BadRequest(f"{field} is not a valid token", field=field) from error
    if int(claims.get("exp", 0)) < clock.now():
        raise BadRequest(f"{field} has expired", field=field)
    return claims


def forget_keys() -> None:
    _key.cache_clear()
