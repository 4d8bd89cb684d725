"""Authentication: credentials read from headers, resolved to a `Principal` by one shared resolver with a
small per-container cache, checked against the route's `AuthPolicy`."""

from questline.auth.policy import (
    ANY_ENTITY_KEY,
    OPERATOR,
    PLATFORM_USER,
    PUBLIC,
    SECRET_KEY,
    AuthPolicy,
)
from questline.auth.principal import CredentialKind, Principal
from questline.auth.resolve import authenticate, forget_cached, forget_principals, reset_cache

__all__ = [
    "ANY_ENTITY_KEY",
    "OPERATOR",
    "PLATFORM_USER",
    "PUBLIC",
    "SECRET_KEY",
    "AuthPolicy",
    "CredentialKind",
    "Principal",
    "authenticate",
    "forget_cached",
    "forget_principals",
    "reset_cache",
]
