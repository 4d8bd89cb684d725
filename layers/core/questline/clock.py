"""Time, in one place, so tests can reason about it: ISO-8601 UTC strings and epoch seconds."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> float:
    return time.time()


def iso(epoch: float | None = None) -> str:
    moment = datetime.fromtimestamp(now() if epoch is None else epoch, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_of(moment: str) -> float:
    """Epoch seconds of an ISO-8601 string written by `iso` (or any offset-aware ISO-8601)."""
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp()


def month_of(epoch: float | None = None) -> str:
    """`YYYY-MM` in UTC (the MAU month)."""
    return datetime.fromtimestamp(now() if epoch is None else epoch, tz=UTC).strftime("%Y-%m")
