"""Exporting a person: everything stored about them, from every surface, as one JSON document in pages.

A person's history grows without bound (10,000 logs is an ordinary player), so one request never reads all
of it: the export walks a fixed list of sources, the partitions that hold the person's items (each identity's
own: logs, devices, conflicts, widget token; its notifications; the webhook deliveries naming it; per
campaign its progress, balance, completions and referees, and its ledger), reading at most `limit` items
per page. The first page also carries what is small and bounded: the identity's profile, identifiers,
merged ids, invite codes and widget tokens. `nextCursor` (signed) continues where a page stopped; the
document is complete when it is null. Tokens are masked; internal keys are left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from questline import clock
from questline.identity.graph import partitions_of, read_identity
from questline.storage import get_table, keys
from questline.storage.cursor import decode_cursor, encode_cursor
from questline.storage.keys import GSI1, GSI2

MAX_LIMIT = 1000
SECTION_BY_TYPE = {
    "event_log": "logs",
    "device": "devices",
    "identity_conflict": "conflicts",
    "participant": "progress",
    "balance": "balances",
    "completion": "completions",
    "quest_completion": "completions",
    "referee": "referrals",
    "ledger_entry": "ledger",
    "notification": "notifications",
    "webhook_delivery": "webhookDeliveries",
    "widget_token": "widgetTokens",
}
SECTIONS = (*dict.fromkeys(SECTION_BY_TYPE.values()), "inviteCodes", "other")
_HIDDEN = {"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "type", "token_hash", "fingerprint"}
_TOKENS = ("token", "plain")


class Source(NamedTuple):
    partition: str
    gsi: str | None = None  # the index the partition is in (None: the table)


def mask(token: object) -> str | None:
    if not token:
        return None
    text = str(token)
    return f"{text[:6]}…{text[-2:]}" if len(text) > 12 else "…"


def view(item: Mapping[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in item.items() if k not in _HIDDEN}
    for name in _TOKENS:
        if shown.get(name):
            shown[name] = mask(shown[name])
    return shown


def _sources(entity_id: str, ids: list[str]) -> list[Source]:
    from questline.campaigns.merges import campaigns_of

    sources: list[Source] = []
    for one in ids:
        sources += [
            Source(keys.identity_partition(entity_id, one)),
            Source(keys.notifications_of(entity_id, one)),
            Source(keys.webhook_deliveries_naming(entity_id, one), GSI2),
        ]
        for pid in campaigns_of(entity_id, one):
            sources += [
                Source(keys.participant_partition(entity_id, pid, one)),
                Source(keys.ledger_of(entity_id, pid, one), GSI1),
            ]
    return sources


def export_person(entity_id: str, identity_id: str, *, limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of the person's export (`limit` items of their history at most)."""
    person = read_identity(entity_id, identity_id)
    root = str(person["identity_id"])
    ids = partitions_of(person)
    sections: dict[str, list[dict[str, Any]]] = {name: [] for name in SECTIONS}
    at = decode_cursor(cursor, partition_attr="PK", partition=f"EXPORT#{entity_id}#{root}")
    position, start = (int(at["source"]), json.loads(str(at["key"])) or None) if at else (0, None)
    table = get_table()
    document: dict[str, Any] = {"identityId": root, "mergedIds": ids[1:], "exportedAt": clock.iso()}
    if at is None:
        document["profile"] = view(person)
        document["identifiers"] = [
            {
                "kind": i["kind"],
                "value": i["value"],
                "identityId": i["identity_id"],
                "linkedAt": i.get("created_at"),
            }
            for one in ids
            for i in table.query(keys.identifiers_of(entity_id, one), index=GSI1).items
        ]
        _small_sections(entity_id, ids, sections)
    else:
        document["profile"], document["identifiers"] = None, []
    sources = _sources(entity_id, ids)
    left = max(1, min(limit, MAX_LIMIT))
    next_cursor = None
    while position < len(sources) and left > 0:
        source = sources[position]
        page = table.query(source.partition, index=source.gsi, start_key=start, limit=left)
        for item in page.items:
            if item.get("type") == "identity":
                continue
            sections[SECTION_BY_TYPE.get(str(item.get("type")), "other")].append(view(item))
        left -= len(page.items)
        if page.last_key is not None:
            start = page.last_key
        else:
            position, start = position + 1, None
    if position < len(sources):
        next_cursor = encode_cursor(
            {"PK": f"EXPORT#{entity_id}#{root}", "source": position, "key": json.dumps(start or {})}
        )
    return {**document, **sections, "nextCursor": next_cursor}


def _small_sections(entity_id: str, ids: list[str], sections: dict[str, list[dict[str, Any]]]) -> None:
    """Bounded per person: invite codes held (one per campaign) and the authenticating widget tokens."""
    from questline.campaigns.merges import campaigns_of
    from questline.campaigns.widgets import token_key_of

    table = get_table()
    pids = {one: campaigns_of(entity_id, one) for one in ids}
    wanted = [token_key_of(entity_id, one) for one in ids]
    wanted += [keys.code_use(entity_id, pid, one) for one in ids for pid in pids[one]]
    wanted += [keys.participant(entity_id, pid, one) for one in ids for pid in pids[one]]
    referred: list[keys.Key] = []
    for item in table.batch_get(wanted):
        if item.get("type") == "code_use":
            sections["inviteCodes"].append(view(item))
        elif item.get("type") == "participant":  # who referred them: the link lives with the referrer
            if item.get("referrer"):
                referred.append(
                    keys.referee(entity_id, str(item["pid"]), str(item["referrer"]), str(item["identity_id"]))
                )
        else:
            sections["widgetTokens"].append({**view(item), "token": "wt_…"})
    sections["referrals"] += [view(item) for item in table.batch_get(referred)] if referred else []
