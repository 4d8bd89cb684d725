"""Helpers the benchmarks share: a local stack on DynamoDB Local, the capacity header, result files."""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "layers" / "core"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

RESULTS = ROOT / "bench" / "results"


def capacity_of(headers: Any) -> dict[str, float]:
    """The `x-questline-capacity` header as numbers: round trips, read and write units as DynamoDB Local
    reported them, and the part of the write units that came from transactions (`txwcu`). DynamoDB Local's
    accounting of transactions is not consistent (2 plain items report 1 WCU each, an item with index keys
    more), so the reports show the transactional part apart."""
    fields = dict(part.split("=") for part in headers["x-questline-capacity"].split(";"))
    return {name: float(value) for name, value in fields.items()}


BENCH_PLAN = {
    "writes_per_second": 1_000_000,
    "writes_per_second_per_key": 1_000_000,
    "identities_per_day": 100_000_000,
    "identities_per_day_per_key": 100_000_000,
}
FIELDS = ("calls", "rcu", "wcu", "txwcu", "txitems", "storage_ms", "ms")


def median_capacity(samples: list[dict[str, float]]) -> dict[str, float]:
    """Per field, the median over the samples (`storage_ms`: time inside the raw storage calls; `ms`: the
    whole invocation in process, both from the capacity header of the same request)."""
    return {
        name: round(statistics.median(s.get(name, 0.0) for s in samples), 2)
        for name in FIELDS
        if any(name in s for s in samples)
    }


def write_results(name: str, result: dict[str, Any], markdown: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown)


@contextmanager
def local_stack(
    name: str, *, backend: str = "dynamodb-local", log: Callable[[str], None] | None = None, **options: Any
) -> Iterator[tuple[Any, dict[str, Any]]]:
    """A local stack on a free port (DynamoDB Local by default) for one benchmark: (stack, its state)."""
    from local.stack import LocalStack

    # The plan's limits are counted as in production, but set out of a load's way (the benchmarks drive
    # thousands of writes a second and identities a day through one tenant's keys).
    options.setdefault("parameter_overrides", {"PlanLimits": json.dumps({"FREE": BENCH_PLAN})})
    stack = LocalStack(
        backend=backend,
        port=0,
        state_file=None,
        log=log or (lambda line: None),
        stack_name=f"bench-{name}",
        **options,
    )
    state = stack.start()
    try:
        yield stack, state
    finally:
        stack.stop()


class Progress:
    """A long step's progress on stderr, at every tenth of the work: what, how far, how fast, how long
    still. Thread-safe: `tick()` from any worker thread."""

    def __init__(self, label: str, total: int, *, stream: Any = None) -> None:
        import sys
        import threading
        import time

        self.label, self.total, self.done = label, max(total, 1), 0
        self._stream = stream if stream is not None else sys.stderr
        self._lock = threading.Lock()
        self._started = time.perf_counter()
        self._next_report = 1
        self._clock = time.perf_counter

    def tick(self, count: int = 1) -> None:
        with self._lock:
            self.done += count
            tenths = self.done * 10 // self.total
            if tenths < self._next_report:
                return
            self._next_report = tenths + 1
            elapsed = self._clock() - self._started
            rate = self.done / elapsed if elapsed > 0 else 0.0
            left = (self.total - self.done) / rate if rate else 0.0
            print(
                f"  {self.label}: {self.done * 100 // self.total}% ({self.done}/{self.total}, "
                f"{rate:,.0f}/s, about {left:.0f} s left)",
                file=self._stream,
                flush=True,
            )
