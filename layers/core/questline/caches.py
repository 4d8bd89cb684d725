"""Every per-container cache in one place, so tests (which change the environment and the backend between
cases) can start each case as a fresh container would."""

from __future__ import annotations


def reset_all() -> None:
    from questline.auth import reset_cache
    from questline.aws import reset_clients
    from questline.events.definitions import forget_definitions
    from questline.secret_store import forget as forget_secrets
    from questline.settings import reset_settings
    from questline.signing import forget_keys
    from questline.storage import capacity, reset_table
    from questline.tenancy.limits import reset_leases
    from questline.tenancy.mau import forget_memo

    reset_settings()
    forget_secrets()
    reset_clients()
    reset_table()
    reset_cache()
    forget_memo()
    reset_leases()
    forget_keys()
    forget_definitions()
    capacity.reset()
