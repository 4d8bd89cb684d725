"""Cached AWS clients. boto3 is imported on first use, not at import time: a function's cold start pays
for it only when a request needs AWS, and moto can be active before any client exists."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

# Clients made so far, by what decides how boto3 makes one: the service, boto3's default session and
# every variable it reads from the environment (AWS_*, proxies). Kept across `reset_clients`: a client
# asked for again under the same session and environment would be made the same (tests reset between
# invocations, and making one costs ~10 ms).
_made: dict[tuple[Any, ...], Any] = {}
_PROXY_VARIABLES = frozenset({"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"})


@cache
def client(service: str) -> Any:
    import boto3

    session = boto3._get_default_session()  # what boto3.client uses (made on first use)
    environment = tuple(
        sorted(
            (name, value)
            for name, value in os.environ.items()
            if name.startswith("AWS_") or name.upper() in _PROXY_VARIABLES
        )
    )
    made_as = (service, session, environment)
    if made_as not in _made:
        for stale in [key for key in _made if key[1] is not session]:  # a replaced session's clients
            del _made[stale]
        _made[made_as] = _new_client(service)
    return _made[made_as]


def _new_client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=2,
        read_timeout=10,
        tcp_keepalive=True,
    )
    # Endpoints come from the standard AWS_ENDPOINT_URL_<SERVICE> variables, which the local stack sets.
    return boto3.client(service, config=config)  # type: ignore[call-overload]


def reset_clients() -> None:
    """Look the clients up again (tests switch between moto and DynamoDB Local, by the environment)."""
    client.cache_clear()
