"""Per-invocation accounting of DynamoDB round trips and consumed capacity.

Every call through `Table` adds to the current thread's tally; the HTTP glue resets it per request, logs
it, and (when `EXPOSE_CAPACITY` is on, as in the local stack) returns it in the `x-questline-capacity`
header, which is how the benchmarks measure capacity per API operation through the real stack.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any


class Tally:
    """Round trips and capacity units of one request. `transactional_write_units` is the part of
    `write_units` that transactions reported (DynamoDB Local reports those at half what DynamoDB bills)."""

    __slots__ = (
        "calls",
        "read_units",
        "storage_seconds",
        "transactional_items",
        "transactional_write_units",
        "write_units",
    )

    def __init__(self) -> None:
        self.calls = 0
        self.read_units = 0.0
        self.write_units = 0.0
        self.transactional_write_units = 0.0
        self.transactional_items = 0  # DynamoDB bills each at 2 units per KB; DynamoDB Local reports less
        self.storage_seconds = 0.0  # wall time spent inside the storage calls themselves

    def header(self, elapsed_seconds: float | None = None) -> str:
        """The header's value; with `elapsed_seconds`, also the whole invocation's time, so a reader can
        compare it with the time of the raw storage calls it made."""
        text = (
            f"calls={self.calls};rcu={self.read_units:g};wcu={self.write_units:g}"
            f";txwcu={self.transactional_write_units:g};txitems={self.transactional_items}"
            f";storage_ms={self.storage_seconds * 1000:.2f}"
        )
        return text if elapsed_seconds is None else f"{text};ms={elapsed_seconds * 1000:.2f}"

    def as_dict(self) -> dict[str, float]:
        return {
            "calls": self.calls,
            "rcu": self.read_units,
            "wcu": self.write_units,
            "txwcu": self.transactional_write_units,
            "txitems": self.transactional_items,
            "storage_ms": round(self.storage_seconds * 1000, 2),
        }


_local = threading.local()


def current() -> Tally:
    tally: Tally | None = getattr(_local, "tally", None)
    if tally is None:
        tally = _local.tally = Tally()
    return tally


def reset() -> Tally:
    tally = _local.tally = Tally()
    return tally


def record(
    kind: str,
    consumed: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None,
    seconds: float = 0.0,
    items: int = 0,
) -> None:
    """Add one round trip of `kind` ("read", "write" or "transaction"), the `ConsumedCapacity` it reported
    (a dict, or a list for batches and transactions; `CapacityUnits` includes the indexes) and the time it
    took; `items`, the items a transaction wrote."""
    tally = current()
    tally.calls += 1
    tally.transactional_items += items
    tally.storage_seconds += seconds
    if consumed is None:
        return
    entries = [consumed] if isinstance(consumed, Mapping) else list(consumed)
    units = sum(float(entry.get("CapacityUnits", 0.0)) for entry in entries)
    if kind == "read":
        tally.read_units += units
    else:
        tally.write_units += units
        if kind == "transaction":
            tally.transactional_write_units += units
