"""What the table's stream does with one record. Each projection is idempotent: a replayed record
produces the same messages (same webhook ids), so receivers can drop repeats."""

from __future__ import annotations

from typing import Any

from questline.storage.codec import from_item
from questline.webhooks import fanout


def project_record(record: dict[str, Any]) -> None:
    if record.get("eventName") != "INSERT":
        return
    image = record.get("dynamodb", {}).get("NewImage")
    if not image:
        return
    item = from_item(image)
    messages = fanout.messages_for(str(record.get("eventID", "")), item)
    if messages:
        fanout.enqueue(messages)
