"""Identifiers: time-ordered UUIDv7 for logs and records, prefixed ids for tenants, random secrets."""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> uuid.UUID:
    """An RFC 9562 UUIDv7: 48-bit Unix milliseconds, then a 12-bit counter and 62 random bits.

    Within one process ids are strictly increasing even when many are made in the same millisecond
    (the counter, seeded randomly each millisecond, fills `rand_a`), so `after=<id>` paging is exact.
    """
    global _last_ms, _counter  # noqa: PLW0603 - one process-wide clock, guarded by the lock
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms > _last_ms:
            _last_ms = now_ms
            _counter = secrets.randbits(11)  # leave headroom so the counter rarely overflows
        else:
            _counter += 1
            if _counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                _last_ms += 1
                _counter = 0
        ms, counter = _last_ms, _counter
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand_b
    return uuid.UUID(int=value)


def new_id() -> str:
    return str(uuid7())


def uuid7_time_ms(value: str) -> int:
    """The millisecond timestamp inside a UUIDv7 string."""
    return uuid.UUID(value).int >> 80


def prefixed_id(prefix: str) -> str:
    """`e-…` entities, `u-…` platform users: the prefix says what the id names."""
    return f"{prefix}-{uuid7().hex}"


def new_secret(prefix: str) -> str:
    """A credential such as `sk_…`: the prefix says what it is, 32 random bytes make it unguessable."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def secret_hash(secret: str) -> str:
    """Credentials are stored and looked up by SHA-256, never in plain text."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
