"""Campaign management (in the Entity API): drafts, publishing, the list, invite codes. The entity's own
`sk_` key, its owner or admins, or the operator; writes carry the role check in their own transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from questline.auth import Principal
from questline.campaigns import codes as invite_codes
from questline.campaigns import store
from questline.campaigns.definition import Campaign, check_campaign
from questline.errors import BadRequest, NotFound
from questline.http.envelopes import validation_error
from questline.storage import get_table, keys
from questline.storage.table import TxCheck, TxPut, TxUpdate
from questline.storage.transaction import Transaction
from questline.tenancy.access import MANAGE, READ, entity_not_found, live, load_entity, membership_checks

MAX_CODES = 1000
MAX_CODE_USES = invite_codes.MAX_USES


def parse_definition(raw: Any, pid: str) -> Campaign:
    """The campaign JSON as the management API takes it: structure, then the rules across fields."""
    if not isinstance(raw, Mapping):
        raise BadRequest("the body must be a campaign object", field="body")
    try:
        campaign = Campaign.model_validate(raw)
    except ValidationError as error:
        raise validation_error([dict(e) for e in error.errors()]) from None
    return check_campaign(campaign, pid)


def _guarded(caller: Principal, entity_id: str) -> Transaction:
    transaction = Transaction()
    transaction.extend(membership_checks(caller, entity_id, MANAGE))
    return transaction


def put_draft(caller: Principal, entity_id: str, pid: str, raw: Any) -> dict[str, Any]:
    load_entity(caller, entity_id, MANAGE)
    write = store.draft_write(entity_id, pid, parse_definition(raw, pid))
    transaction = _guarded(caller, entity_id)
    transaction.add(TxUpdate(write.key, write.update))
    transaction.commit()
    store.forget(entity_id)
    return get_table().get(write.key, consistent=True) or {**write.key, **write.fields}


def publish(caller: Principal, entity_id: str, pid: str) -> dict[str, Any]:
    load_entity(caller, entity_id, MANAGE)
    published = store.published_copy(entity_id, pid)
    transaction = _guarded(caller, entity_id)
    transaction.add(TxPut(published))
    transaction.add(store.preview_restart(entity_id, pid))
    transaction.add(TxCheck(keys.entity(entity_id), live()), entity_not_found(entity_id))
    transaction.commit()
    store.forget(entity_id)
    return published


def campaigns(caller: Principal, entity_id: str) -> list[dict[str, Any]]:
    load_entity(caller, entity_id, READ)
    by_pid: dict[str, dict[str, Any]] = {}
    for item in store.listing(entity_id):
        entry = by_pid.setdefault(str(item["pid"]), {"pid": item["pid"]})
        stage = "published" if item.get("stage") == "live" else "draft"
        entry[stage] = {
            "name": item["definition"]["name"],
            "version": int(item.get("version", 1)),
            "updatedAt": item.get("updated_at"),
            "publishedAt": item.get("published_at"),
        }
    return [by_pid[pid] for pid in sorted(by_pid)]


def create_codes(
    caller: Principal,
    entity_id: str,
    pid: str,
    *,
    explicit: Sequence[str] | None,
    count: int | None,
    prefix: str,
    max_uses: int,
) -> list[str]:
    load_entity(caller, entity_id, MANAGE)
    found = get_table().batch_get(
        [keys.campaign(entity_id, pid, live=True), keys.campaign(entity_id, pid, live=False)]
    )
    if not found:
        raise NotFound(f"there is no campaign {pid}", field="pid")
    if explicit:
        wanted = list(dict.fromkeys(explicit))
    elif count:
        wanted = invite_codes.generate(prefix, count)
    else:
        raise BadRequest("send codes, or count (and an optional prefix)", field="codes")
    if len(wanted) > MAX_CODES:
        raise BadRequest(f"at most {MAX_CODES} codes per request", field="codes")
    return invite_codes.create_codes(entity_id, pid, wanted, max_uses)
