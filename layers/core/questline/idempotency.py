"""`Idempotency-Key` for whole requests (Parcelvoy's batch events, Endu's event record): a client that
retries a request it is unsure of sends the same key again, and nothing is recorded twice.

The first request with a key claims it with one conditional write that stores the request's fingerprint
(a SHA-256 of what it asked for), after the request was checked and before anything is written:

* a new key: the request runs, and the claim is marked done once it has;
* the same key with the same request: a replay. It runs again only when the first did not finish (its
  writes are idempotent one by one, so only what is missing is written) and answers as the first did,
  with `Idempotent-Replayed: true`;
* the same key with another request: refused (422), nothing written.

Claims are kept (like the idempotency keys of event logs), so a key is never taken for another request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Header

from questline import clock
from questline.errors import RuleViolation
from questline.storage import get_table, keys
from questline.storage.table import ConditionFailed, Update

REPLAYED_HEADER = "Idempotent-Replayed"
HEADER_PATTERN = r"^[!-~]+$"  # printable ASCII, no spaces
MAX_KEY_LENGTH = 128
Claim = Literal["new", "replay", "unfinished"]

IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=HEADER_PATTERN,
        description="ours: the same key again is a safe retry (nothing is recorded twice; the answer carries "
        "Idempotent-Replayed: true); the key with another request is a 422",
    ),
]
"""The optional `Idempotency-Key` request header, as a route parameter."""


def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def claim(entity_id: str, surface: str, key: str, request_fingerprint: str) -> Claim:
    """Claim `key` for this request: `new`, `replay` (the same request, finished) or `unfinished` (the
    same request, which has not finished: run it again). The key used with another request is a 422."""
    table = get_table()
    item = {
        **keys.request_idempotency(entity_id, surface, key),
        "type": "request_key",
        "entity_id": entity_id,
        "surface": surface,
        "fingerprint": request_fingerprint,
        "status": "started",
        "created_at": clock.iso(),
    }
    try:
        table.put_new(item, return_old_on_failure=True)
    except ConditionFailed as taken:
        first = taken.item or table.get(keys.request_idempotency(entity_id, surface, key), consistent=True)
        if first is None or first.get("fingerprint") != request_fingerprint:
            raise RuleViolation(
                f"Idempotency-Key: {key} was used with another request; send a new key for a new request",
                code="idempotency_key_reused",
                field="Idempotency-Key",
            ) from None
        return "replay" if first.get("status") == "done" else "unfinished"
    return "new"


def finish(entity_id: str, surface: str, key: str) -> None:
    """Mark the request of `key` done: a replay from now on writes nothing."""
    get_table().update(
        keys.request_idempotency(entity_id, surface, key),
        Update(set={"status": "done", "finished_at": clock.iso()}),
        return_values="NONE",
    )


def run_once(
    entity_id: str, surface: str, key: str | None, request: Any, work: Callable[[], object]
) -> dict[str, str]:
    """Do `work` for a request, once per `Idempotency-Key` (every time without one); answers the headers
    the response carries (`Idempotent-Replayed` on a replay)."""
    if key is None:
        work()
        return {}
    state = claim(entity_id, surface, key, fingerprint(request))
    if state != "replay":
        work()
        finish(entity_id, surface, key)
    return {REPLAYED_HEADER: "true"} if state != "new" else {}
