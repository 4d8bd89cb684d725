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

    __slots__ = ("calls", "read_units", "transactional_write_units", "write_units")

    def __init__(self) -> None:
        self.calls = 0
        self.read_units = 0.0
        self.write_units = 0.0
        self.transactional_write_units = 0.0

    def header(self) -> str:
        return (
            f"calls={self.calls};rcu={self.read_units:g};wcu={self.write_units:g}"
            f";txwcu={self.transactional_write_units:g}"
        )

    def as_dict(self) -> dict[str, float]:
        return {
            "calls": self.calls,
            "rcu": self.read_units,
            "wcu": self.write_units,
            "txwcu": self.transactional_write_units,
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


def record(kind: str, consumed: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None) -> None:
    """Add one round trip of `kind` ("read", "write" or "transaction") and the `ConsumedCapacity` it
    reported (a dict, or a list for batches and transactions). `CapacityUnits` includes the indexes."""
    tally = current()
    tally.calls += 1
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
