"""Campaign definitions: a draft (written by `PUT …/campaigns/{pid}`) and a published version (a copy of
the draft made by `POST …/publish`). claimr routes read the published version, or the draft with
`env=dev`, in a `Scope`: the definition and where its participants' data lives (the campaign's own id, or
the draft's preview partition, `campaigns.preview`). Definitions are cached per container for a few
seconds: the task engine reads them for every event.
"""

from __future__ import annotations

import threading
import time
from typing import Any, NamedTuple

from questline import clock
from questline.campaigns import preview
from questline.campaigns.definition import Campaign
from questline.errors import NotFound
from questline.storage import get_table, keys
from questline.storage.keys import Key
from questline.storage.table import TxPut, TxUpdate, Update

CACHE_SECONDS = 5.0
PREVIEW_GENERATION = "preview_generation"  # on the draft: counted up by every publish
_cache: dict[tuple[str, str, bool], tuple[float, Campaign | None, dict[str, Any] | None]] = {}
_lists: dict[str, tuple[float, list[tuple[str, Campaign]]]] = {}
_lock = threading.Lock()


class StoredCampaign(NamedTuple):
    pid: str
    campaign: Campaign
    item: dict[str, Any]


class Scope(NamedTuple):
    """A campaign as one request sees it: live (published) or a preview of its draft (`env=dev`)."""

    entity_id: str
    pid: str  # as clients name it
    storage_pid: str  # where its participants' data lives: `pid`, or the draft's preview partition
    campaign: Campaign
    preview: bool


class DraftWrite(NamedTuple):
    key: Key
    update: Update
    fields: dict[str, Any]


def draft_write(entity_id: str, pid: str, campaign: Campaign) -> DraftWrite:
    """The write of a campaign's draft: its fields set, `created_at` kept, `version` counted up."""
    now = clock.iso()
    fields = {
        "type": "campaign",
        "entity_id": entity_id,
        "pid": pid,
        "stage": "draft",
        "definition": campaign.model_dump(mode="json"),
        "updated_at": now,
    }
    update = Update(set=fields, set_if_absent={"created_at": now}, add={"version": 1})
    return DraftWrite(keys.campaign(entity_id, pid, live=False), update, fields)


def save_draft(entity_id: str, pid: str, campaign: Campaign) -> dict[str, Any]:
    write = draft_write(entity_id, pid, campaign)
    updated = get_table().update(write.key, write.update)
    forget(entity_id)
    return updated or {**write.key, **write.fields}


def published_copy(entity_id: str, pid: str) -> dict[str, Any]:
    """The published item a publish writes: a copy of the draft (read consistently), or a 404."""
    draft = get_table().get(keys.campaign(entity_id, pid, live=False), consistent=True)
    if draft is None:
        raise NotFound(f"campaign {pid} has no draft to publish", field="pid")
    copied = {k: v for k, v in draft.items() if k != PREVIEW_GENERATION}
    live = {**keys.campaign(entity_id, pid, live=True), "stage": "live", "published_at": clock.iso()}
    return {**copied, **live}


def preview_restart(entity_id: str, pid: str) -> TxUpdate:
    """The draft's share of a publish: its preview starts afresh (a new preview partition)."""
    return TxUpdate(keys.campaign(entity_id, pid, live=False), Update(add={PREVIEW_GENERATION: 1}))


def publish(entity_id: str, pid: str) -> dict[str, Any]:
    live = published_copy(entity_id, pid)
    get_table().transact_write([TxPut(live), preview_restart(entity_id, pid)])
    forget(entity_id)
    return live


def scope(entity_id: str, pid: str, *, env: str | None) -> Scope:
    """The campaign a claimr request names: the published one, or with `env=dev` a preview of its draft
    (a 404 naming `pid` when there is none)."""
    if env != "dev":
        return Scope(entity_id, pid, pid, load(entity_id, pid).campaign, preview=False)
    draft = load(entity_id, pid, draft=True)
    generation = int(draft.item.get(PREVIEW_GENERATION, 0))
    return Scope(entity_id, pid, preview.storage_pid(pid, generation), draft.campaign, preview=True)


def scope_of(entity_id: str, storage_pid: str) -> Scope | None:
    """The scope an item's `pid` belongs to (for the table's stream); None for a preview that a publish has
    restarted since, or a campaign that no longer exists."""
    pid, generation = preview.campaign_pid(storage_pid)
    try:
        found = scope(entity_id, pid, env="dev" if generation is not None else None)
    except NotFound:
        return None
    return found if found.storage_pid == storage_pid else None


def load(entity_id: str, pid: str, *, draft: bool = False) -> StoredCampaign:
    """The published campaign (or the draft), or a 404 naming `pid`."""
    key = (entity_id, pid, draft)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
    if cached is None or cached[0] < now:
        item = get_table().get(keys.campaign(entity_id, pid, live=not draft))
        campaign = Campaign.model_validate(item["definition"]) if item else None
        cached = (now + CACHE_SECONDS, campaign, item)
        with _lock:
            _cache[key] = cached
    _, campaign, item = cached
    if campaign is None or item is None:
        stage = "draft" if draft else "published campaign"
        raise NotFound(f"there is no {stage} {pid}", field="pid")
    return StoredCampaign(pid, campaign, item)


def published(entity_id: str) -> list[tuple[str, Campaign]]:
    """Every published campaign of the entity (the task engine matches each event against them)."""
    now = time.monotonic()
    with _lock:
        cached = _lists.get(entity_id)
    if cached is not None and cached[0] >= now:
        return cached[1]
    found: list[tuple[str, Campaign]] = []
    start = None
    while True:
        page = get_table().query(keys.campaigns_of(entity_id), start_key=start)
        found += [
            (str(i["pid"]), Campaign.model_validate(i["definition"]))
            for i in page.items
            if i.get("stage") == "live"
        ]
        if page.last_key is None:
            break
        start = page.last_key
    with _lock:
        _lists[entity_id] = (now + CACHE_SECONDS, found)
    return found


def listing(entity_id: str) -> list[dict[str, Any]]:
    """Every campaign's draft and published items, for the management API."""
    items: list[dict[str, Any]] = []
    start = None
    while True:
        page = get_table().query(keys.campaigns_of(entity_id), start_key=start)
        items += page.items
        if page.last_key is None:
            return items
        start = page.last_key


def forget(entity_id: str | None = None) -> None:
    with _lock:
        for cached in [k for k in _cache if entity_id is None or k[0] == entity_id]:
            del _cache[cached]
        for listed in [k for k in _lists if entity_id is None or k == entity_id]:
            del _lists[listed]
