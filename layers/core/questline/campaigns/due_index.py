"""An hourly, sharded due index, worked off a page at a time by a scheduled run: what the lost-streak sweep
(`campaigns.streak_sweep`) and the points-expiry sweep (`campaigns.points_expiry`) share.

Work that falls due at a moment is filed as a small item under the UTC hour it falls due in, in one of a
few shards (so no partition takes every write of an hour). A run reads the hours that have ended since its
cursor, shard by shard, at most `max_items` items and `max_hours` hours, and remembers where it stopped in
one cursor item, so its work is bounded however much falls due in an hour: the next run carries on. No
table scan: every read is a Query of one hour's shard.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from questline.storage import get_table
from questline.storage.keys import Key

_HOUR = "%Y-%m-%dT%H"


def hour_of(epoch: float) -> str:
    """The UTC hour a moment falls in, as the index names it."""
    return datetime.fromtimestamp(epoch, UTC).strftime(_HOUR)


def end_of(hour: str) -> float:
    return (datetime.strptime(hour, _HOUR).replace(tzinfo=UTC) + timedelta(hours=1)).timestamp()


class Run(NamedTuple):
    read: int  # due items read
    hour: str  # where the cursor stopped
    shard: int


def work_off(
    cursor: Key,
    cursor_type: str,
    partition: Callable[[str, int], str],
    shards: int,
    handle: Callable[[Mapping[str, Any]], None],
    moment: float,
    *,
    max_items: int,
    max_hours: int,
) -> Run:
    """One run: `handle` each due item of the hours that ended by `moment` since the cursor (in key order
    within a shard), at most `max_items` items and `max_hours` hours; then the cursor is put where it
    stopped. `partition(hour, shard)` is the index's partition key of an hour's shard."""
    table = get_table()
    at = table.get(cursor, consistent=True) or {}
    hour = str(at.get("hour") or hour_of(moment - 3600))
    shard = int(at.get("shard", 0))
    start = at.get("start")
    read = hours = 0
    while end_of(hour) <= moment and read < max_items and hours < max_hours:
        page = table.query(partition(hour, shard), start_key=start, limit=max_items - read, consistent=True)
        read += len(page.items)
        for item in page.items:
            handle(item)
        start = page.last_key
        if start is None:
            shard += 1
            if shard >= shards:
                shard, hour, hours = 0, hour_of(end_of(hour)), hours + 1
    kept = {"type": cursor_type, "hour": hour, "shard": shard, **({"start": start} if start else {})}
    table.put({**cursor, **kept})
    return Run(read, hour, shard)
