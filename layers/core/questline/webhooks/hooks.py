"""An entity's webhooks: register (upsert by scope and hook id), list, delete; its deliveries: list and
redeliver. Every key is built from the caller's entity id, so one tenant never reaches another's hooks.

    webhook  ENT#{e} / HOOK#{scope}#{hook_id}
             {scope, hook_id, uri, secret, pids, top?, created_at, updated_at}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from questline import clock
from questline.errors import BadRequest, Conflict, NotFound, RuleViolation
from questline.settings import get_settings
from questline.storage import get_table, keys
from questline.storage.cursor import decode_cursor, encode_cursor
from questline.storage.keys import GSI1, GSI1PK
from questline.storage.table import ConditionFailed, Update, equals, exists
from questline.webhooks import records
from questline.webhooks.fanout import DEFAULT_TOP, IDENTITY_SCOPE, LEADERBOARD_SCOPE, enqueue, hooks_for
from questline.webhooks.signing import check_secret, masked
from questline.webhooks.targets import resolve_target


def register(
    entity_id: str,
    scope: str,
    hook_id: str,
    uri: str,
    secret: str,
    pids: Sequence[str],
    *,
    top: int | None = None,
) -> None:
    """Create the hook, or replace its uri, secret, campaigns (and, for scope `leaderboard`, the places it
    watches: `top`, `DEFAULT_TOP` when not given): one write, no read. The address checks run first;
    nothing is written when they refuse."""
    if scope == IDENTITY_SCOPE and pids:
        raise BadRequest(
            "pids do not apply to the identity scope: identities belong to the entity", field="pids"
        )
    if top is not None and scope != LEADERBOARD_SCOPE:
        raise BadRequest("top applies to the leaderboard scope only", field="top")
    check_secret(secret)
    resolve_target(uri, allow_loopback=get_settings().allow_loopback_webhooks)
    now = clock.iso()
    get_table().update(
        keys.webhook(entity_id, scope, hook_id),
        Update(
            set={
                "type": "webhook",
                "entity_id": entity_id,
                "scope": scope,
                "hook_id": hook_id,
                "uri": uri,
                "secret": secret,
                "pids": list(dict.fromkeys(pids)),
                "updated_at": now,
                **({"top": top or DEFAULT_TOP} if scope == LEADERBOARD_SCOPE else {}),
            },
            set_if_absent={"created_at": now},
        ),
        return_values="NONE",
    )


def hook_view(hook: dict[str, Any]) -> dict[str, Any]:
    return {
        "scope": hook["scope"],
        "hook_id": hook["hook_id"],
        "uri": hook["uri"],
        "pids": list(hook.get("pids") or []),
        "secret": masked(str(hook["secret"])),
        "top": int(hook["top"]) if hook.get("top") is not None else None,
        "created_at": hook.get("created_at"),
        "updated_at": hook.get("updated_at"),
    }


def list_hooks(entity_id: str, scope: str | None) -> list[dict[str, Any]]:
    return [hook_view(hook) for hook in hooks_for(entity_id, scope)]


def delete(entity_id: str, scope: str, hook_id: str) -> None:
    """One conditional delete: a hook that does not exist is a 404 (a typo must not look like success).
    Messages already queued for it are dropped at delivery (status `dropped`)."""
    try:
        get_table().delete(keys.webhook(entity_id, scope, hook_id), condition=exists())
    except ConditionFailed:
        raise NotFound(
            f"no hook {hook_id!r} in scope {scope}", code="hook_not_found", field="hook_id"
        ) from None


def deliveries(
    entity_id: str, scope: str, hook_id: str, *, status: str | None, limit: int, after: str | None
) -> dict[str, Any]:
    """A hook's deliveries, newest first, `limit` records read per page (with a status filter a page may
    hold fewer); `next` is the cursor of the following page, None at the end."""
    partition = keys.webhook_deliveries_of(entity_id, scope, hook_id)
    page = get_table().query(
        partition,
        index=GSI1,
        forward=False,
        limit=limit,
        start_key=decode_cursor(after, partition_attr=GSI1PK, partition=partition, field="after"),
        filter=equals("status", status) if status else None,
    )
    return {"deliveries": [records.view(r) for r in page.items], "next": encode_cursor(page.last_key)}


def redeliver(entity_id: str, message_id: str) -> dict[str, Any]:
    """Queue a stored message again as its next generation, whatever its status; copies of earlier
    generations still queued are dropped when they arrive. The record is updated before the message is
    queued, so a failure in between is an error the caller sees and retries, never a silent loss."""
    table = get_table()
    key = keys.webhook_delivery(entity_id, message_id)
    record = table.get(key, consistent=True)
    if record is None:
        raise NotFound(f"no delivery {message_id!r}", code="delivery_not_found", field="message_id")
    if table.get(keys.webhook(entity_id, str(record["scope"]), str(record["hook_id"]))) is None:
        raise RuleViolation("the hook of this message was deleted", code="hook_deleted", field="message_id")
    if len(record.get("attempts") or []) >= records.MAX_RECORDED_ATTEMPTS:
        raise RuleViolation(
            f"this message was attempted {records.MAX_RECORDED_ATTEMPTS} times already",
            code="too_many_attempts",
            field="message_id",
        )
    generation = int(record.get("generation", 1)) + 1
    try:
        updated = table.update(
            key,
            Update(
                set={
                    "generation": generation,
                    "status": records.QUEUED,
                    "updated_at": clock.iso(),
                    "ttl": int(clock.now()) + records.RETENTION_SECONDS,
                }
            ),
            condition=equals("generation", generation - 1),
        )
    except ConditionFailed:
        raise Conflict("the message is being redelivered already; try again", field="message_id") from None
    enqueue([records.message_of(record, generation)])
    return records.view(updated or record)
