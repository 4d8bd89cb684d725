"""Devices (push tokens) hang off the identity. A device is matched by its `device_id` or, failing that,
by a push token another of the identity's devices already holds (Parcelvoy's rule)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from questline import clock
from questline.ids import secret_hash
from questline.storage import get_table, keys

DEVICE_FIELDS = ("os", "os_version", "model", "app_build", "app_version")


def upsert_device(
    entity_id: str, identity_id: str, device_id: str, token: str | None, fields: Mapping[str, Any]
) -> str:
    """Register or update a device; returns the device id it was stored under."""
    table = get_table()
    token_hash = secret_hash(token) if token else None
    if token_hash:
        holder = table.get(keys.push_token(entity_id, token_hash))
        if holder and holder.get("identity_id") == identity_id and holder.get("device_id") != device_id:
            device_id = str(holder["device_id"])  # the same token: the same device under another id
    device = {
        **keys.device(entity_id, identity_id, device_id),
        "type": "device",
        "entity_id": entity_id,
        "identity_id": identity_id,
        "device_id": device_id,
        "token": token,
        "token_hash": token_hash,
        "updated_at": clock.iso(),
        **{name: fields.get(name) for name in DEVICE_FIELDS},
    }
    puts = [device]
    if token_hash:
        puts.append(
            {
                **keys.push_token(entity_id, token_hash),
                "type": "push_token",
                "entity_id": entity_id,
                "identity_id": identity_id,
                "device_id": device_id,
            }
        )
    table.batch_write(puts=puts)
    return device_id


def devices_of(entity_id: str, identity_id: str) -> list[dict[str, Any]]:
    return (
        get_table()
        .query(keys.identity_partition(entity_id, identity_id), begins_with=keys.DEVICE_PREFIX)
        .items
    )
