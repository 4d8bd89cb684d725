"""Logger, Metrics and Tracer wiring shared by every function.

The X-Ray SDK costs about a quarter of a second to import, so the Tracer is only built when tracing is
on (`POWERTOOLS_TRACE_DISABLED` is false, which the template sets from its `Tracing` parameter);
otherwise `instrument` leaves it out entirely rather than importing it to do nothing.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

Handler = TypeVar("Handler", bound=Callable[..., Any])

# A request that records no business metric still emits the cold-start metric; the warning is noise.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger()
metrics = Metrics()


def tracing_enabled() -> bool:
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "true").strip().lower() not in {"1", "true", "yes"}


@lru_cache(maxsize=1)
def tracer() -> Any:
    from aws_lambda_powertools import Tracer

    return Tracer()


def instrument(handler: Handler, *, correlation_id_path: str | None = None) -> Handler:
    """Wrap a Lambda handler with structured logging (Lambda context, correlation id), metrics
    (EMF, cold-start metric) and, when enabled, tracing."""
    wrapped: Any = logger.inject_lambda_context(correlation_id_path=correlation_id_path, clear_state=True)(
        handler
    )
    wrapped = metrics.log_metrics(capture_cold_start_metric=True)(wrapped)
    if tracing_enabled():
        wrapped = tracer().capture_lambda_handler(wrapped)
    return wrapped  # type: ignore[no-any-return]
