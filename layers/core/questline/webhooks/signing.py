"""Standard Webhooks signatures (https://www.standardwebhooks.com/):

    webhook-signature: v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">

The key is the secret's bytes, or, for a `whsec_` secret, the base64 it carries.

What a hook's secret may be (`check_secret`): a `whsec_` secret must carry 24 to 64 bytes of standard
base64 (padding optional, as the Standard Webhooks libraries read it), the key sizes the specification
asks for; any other secret is 8 to 256 printable characters. Eight is short for an HMAC key, but claimr's
own example is a 13-character phrase and its clients send such secrets; the length only bounds what we
store and sign with.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from questline.errors import BadRequest

WHSEC_PREFIX = "whsec_"
MIN_SECRET_LENGTH = 8
MAX_SECRET_LENGTH = 256
MIN_KEY_BYTES, MAX_KEY_BYTES = 24, 64


def _decoded(encoded: str) -> bytes:
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)


def signing_key(secret: str) -> bytes:
    if secret.startswith(WHSEC_PREFIX):
        return _decoded(secret.removeprefix(WHSEC_PREFIX))
    return secret.encode("utf-8")


def check_secret(secret: str, *, field: str = "secret") -> str:
    """`secret` when a hook may sign with it; a 400 naming `field` otherwise."""
    if not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        raise BadRequest(
            f"{field} must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters", field=field
        )
    if not secret.isprintable():
        raise BadRequest(f"{field} must be printable characters", field=field)
    if secret.startswith(WHSEC_PREFIX):
        try:
            key = _decoded(secret.removeprefix(WHSEC_PREFIX))
        except (binascii.Error, ValueError):
            raise BadRequest(
                f"{field}: a whsec_ secret must be base64 after the prefix", field=field
            ) from None
        if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
            raise BadRequest(
                f"{field}: a whsec_ secret must carry {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes", field=field
            )
    return secret


def masked(secret: str) -> str:
    """What a listing shows of a secret: whether it is a `whsec_` secret, nothing of the secret itself."""
    return (WHSEC_PREFIX if secret.startswith(WHSEC_PREFIX) else "") + "********"


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }
