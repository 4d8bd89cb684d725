"""Settings read once per container from the environment the template gives each function.

Nothing here runs at import time: `get_settings()` builds the object on first use and caches it, so tests
can set the environment (and moto) up before any function asks for it. `reset_settings()` is for tests.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import NamedTuple

_TRUE = {"1", "true", "yes", "on"}


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else raw.strip().lower() in _TRUE


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


class OAuthClient(NamedTuple):
    """One OAuth provider as this deployment reaches it (tests point `base_url` at a local fake). Its client
    secret is not a setting: it is read when needed from the parameter store (`questline.secret_store`)."""

    base_url: str
    client_id: str

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.client_id)


def _oauth(prefix: str, default_base_url: str) -> OAuthClient:
    return OAuthClient(
        base_url=(os.environ.get(f"{prefix}_OAUTH_BASE_URL") or default_base_url).rstrip("/"),
        client_id=os.environ.get(f"{prefix}_CLIENT_ID", "").strip(),
    )


class Settings(NamedTuple):
    stage: str
    table_name: str
    parameter_path: str  # where the secrets live in SSM Parameter Store (`questline.secret_store`)
    webhook_queue_url: str
    erasure_queue_url: str
    erasure_settle_seconds: int  # how long an erasure waits for requests that read the person before it began
    erasure_batch_items: int  # how many items one invocation of the erasure function removes at most
    max_body_bytes: int
    auth_cache_seconds: int
    auto_enable_entities: bool
    allow_loopback_webhooks: bool
    expose_capacity: bool
    webhook_timeout_seconds: int
    webhook_max_attempts: int
    webhook_retry_base_seconds: int
    webhook_retry_max_seconds: int
    claim_base_url: str
    claim_token_ttl_seconds: int
    key_rotation_grace_seconds: int
    oauth_timeout_seconds: int
    twitter: OAuthClient
    discord: OAuthClient
    slack: OAuthClient

    @property
    def is_local(self) -> bool:
        return self.stage == "local"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings(
        stage=os.environ.get("STAGE", "local"),
        table_name=os.environ.get("TABLE_NAME", "questline"),
        parameter_path=os.environ.get("PARAMETER_PATH", "/questline"),
        webhook_queue_url=os.environ.get("WEBHOOK_QUEUE_URL", ""),
        erasure_queue_url=os.environ.get("ERASURE_QUEUE_URL", ""),
        erasure_settle_seconds=_int("ERASURE_SETTLE_SECONDS", 30),
        erasure_batch_items=_int("ERASURE_BATCH_ITEMS", 4000),
        max_body_bytes=_int("MAX_BODY_BYTES", 256 * 1024),
        auth_cache_seconds=_int("AUTH_CACHE_SECONDS", 30),
        auto_enable_entities=_flag("AUTO_ENABLE_ENTITIES", False),
        allow_loopback_webhooks=_flag("ALLOW_LOOPBACK_WEBHOOKS", False),
        expose_capacity=_flag("EXPOSE_CAPACITY", False),
        webhook_timeout_seconds=_int("WEBHOOK_TIMEOUT_SECONDS", 10),
        webhook_max_attempts=_int("WEBHOOK_MAX_ATTEMPTS", 8),
        webhook_retry_base_seconds=_int("WEBHOOK_RETRY_BASE_SECONDS", 60),
        webhook_retry_max_seconds=_int("WEBHOOK_RETRY_MAX_SECONDS", 3600),
        claim_base_url=os.environ.get("CLAIM_BASE_URL", "https://quest.example.com").rstrip("/"),
        claim_token_ttl_seconds=_int("CLAIM_TOKEN_TTL_SECONDS", 7 * 24 * 3600),
        key_rotation_grace_seconds=_int("KEY_ROTATION_GRACE_SECONDS", 24 * 3600),
        oauth_timeout_seconds=_int("OAUTH_TIMEOUT_SECONDS", 4),
        twitter=_oauth("TWITTER", "https://api.twitter.com"),
        discord=_oauth("DISCORD", "https://discord.com/api"),
        slack=_oauth("SLACK", "https://slack.com/api"),
    )


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()
