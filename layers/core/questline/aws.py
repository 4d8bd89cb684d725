"""Cached AWS clients. boto3 is imported on first use, not at import time: a function's cold start pays
for it only when a request needs AWS, and moto can be active before any client exists."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
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
    """Drop cached clients (tests switch between moto and DynamoDB Local)."""
    client.cache_clear()
