"""Health: can this function reach its table? One GetItem of a key that never exists (0.5 RCU)."""

from __future__ import annotations

import time
from typing import NamedTuple

from questline.observability import logger
from questline.storage import get_table, keys


class HealthReport(NamedTuple):
    table_reachable: bool
    latency_ms: float | None


def check_health() -> HealthReport:
    started = time.perf_counter()
    try:
        get_table().get(keys.health_probe())
    except Exception as error:  # noqa: BLE001 - storage errors and botocore's connection errors alike
        logger.warning("table unreachable", extra={"error": type(error).__name__})
        return HealthReport(table_reachable=False, latency_ms=None)
    return HealthReport(table_reachable=True, latency_ms=round((time.perf_counter() - started) * 1000, 2))
