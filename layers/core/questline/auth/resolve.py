"""Read credentials from headers and resolve them to a `Principal`.

Where a credential travels (DESIGN.md §3): `Authorization: Bearer <key>`, `x-api-key`, Quest Protocol's
`apikey`, and `userid` + `token` for platform users. The key's prefix says what it is. Keys and tokens
are looked up by SHA-256; a resolved principal is cached per container for `AUTH_CACHE_SECONDS`, so a
warm container spends no DynamoDB read on auth.

Two rules bound what a cache may believe:

* A credential of an entity (its keys, its users' widget tokens) dies with the entity: resolving one reads
  the entity too, and refuses it once the entity is deleted.
* A cached key never outlives its own expiry. A key rotated in another container gets its expiry there
  (`KEY_ROTATION_GRACE_SECONDS` from the rotation), which a warm container here cannot hear of; so an
  entity key is cached for at most the grace period: whatever it cached before the rotation is read again
  before the old key's grace runs out. (A grace of 0 means no caching of entity keys at all.)
"""

from __future__ import annotations

import hmac
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from questline import clock
from questline.auth.policy import AuthPolicy
from questline.auth.principal import PREFIXES, CredentialKind, Principal
from questline.errors import Unauthorized, UnknownCredential
from questline.ids import secret_hash
from questline.secret_store import operator_key_hash
from questline.settings import get_settings
from questline.storage import get_table, keys

_MAX_SECRET_LENGTH = 256
_USER_ID = re.compile(r"^u-[0-9a-f]{32}$")
# When a request carries several credentials the policy accepts, the most specific one speaks.
_PREFERENCE = (
    CredentialKind.OPERATOR,
    CredentialKind.PLATFORM_USER,
    CredentialKind.SECRET_KEY,
    CredentialKind.PUBLISHABLE_KEY,
    CredentialKind.WIDGET_TOKEN,
)


class Credential(NamedTuple):
    kind: CredentialKind
    secret: str
    user_id: str | None = None

    @property
    def cache_key(self) -> str:
        return secret_hash(f"{self.kind.value}:{self.user_id or ''}:{self.secret}")


Resolver = Callable[[Credential], tuple[Principal, float | None]]
"""Turns a credential into a principal and, optionally, the epoch second it stops being valid."""


def read_credentials(headers: Mapping[str, str]) -> list[Credential]:
    """Every credential the request carries. A malformed one is a 401, whatever the route accepts."""
    found: list[Credential] = []
    authorization = headers.get("authorization")
    if authorization is not None:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("the Authorization header must be 'Bearer <key>'", code="malformed_credential")
        found.append(_classify(value.strip(), "Authorization"))
    for header in ("x-api-key", "apikey"):
        key = headers.get(header)
        if key is not None and key.strip():
            found.append(_classify(key.strip(), header))
    user_id, token = headers.get("userid"), headers.get("token")
    if user_id or token:
        if not (user_id and token):
            raise Unauthorized(
                "a platform user sends both the userid and the token header", code="malformed_credential"
            )
        if not _USER_ID.match(user_id.strip()) or len(token) > _MAX_SECRET_LENGTH:
            raise Unauthorized("userid or token is malformed", code="malformed_credential")
        found.append(Credential(CredentialKind.PLATFORM_USER, token.strip(), user_id.strip()))
    return found


def _classify(value: str, header: str) -> Credential:
    prefix, separator, rest = value.partition("_")
    kind = PREFIXES.get(prefix)
    if kind is None or not separator or not rest or len(value) > _MAX_SECRET_LENGTH:
        raise Unauthorized(
            f"the {header} header does not hold a Questline key (op_, sk_, pk_ or wt_)",
            code="malformed_credential",
        )
    return Credential(kind, value)


def authenticate(policy: AuthPolicy, headers: Mapping[str, str]) -> Principal | None:
    """The principal the route's policy accepts, `None` for a public route.

    Raises `Unauthorized` when no accepted credential is present or one is malformed, and
    `UnknownCredential` when a well-formed credential matches nothing (or was revoked).
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    if policy.is_public:
        return None
    credentials = read_credentials(lowered)
    accepted = [c for c in credentials if policy.allows(c.kind)]
    if not accepted:
        if credentials:
            raise Unauthorized(f"this route needs {policy.description}", code="wrong_credential")
        raise Unauthorized(f"this route needs {policy.description}", code="missing_credential")
    accepted.sort(key=lambda c: _PREFERENCE.index(c.kind))
    return _resolve(accepted[0])


# --- resolution with a per-container cache --------------------------------------------------------

_cache: dict[str, tuple[Principal, float]] = {}
_cache_lock = threading.Lock()
_CACHE_LIMIT = 2048
_ENTITY_KEYS = frozenset({CredentialKind.SECRET_KEY, CredentialKind.PUBLISHABLE_KEY})


def _cache_seconds(kind: CredentialKind) -> float:
    settings = get_settings()
    if kind in _ENTITY_KEYS:
        return max(0, min(settings.auth_cache_seconds, settings.key_rotation_grace_seconds))
    return settings.auth_cache_seconds


def _resolve(credential: Credential) -> Principal:
    cache_key = credential.cache_key
    now = clock.now()
    with _cache_lock:
        hit = _cache.get(cache_key)
    if hit is not None and hit[1] > now:
        return hit[0]
    principal, valid_until = _RESOLVERS[credential.kind](credential)
    if principal.entity_id is not None:
        plan = _require_live_entity(principal.entity_id).get("plan")
        principal = principal._replace(plan=str(plan) if plan else None)
    ttl_end = now + _cache_seconds(credential.kind)
    expires = min(ttl_end, valid_until) if valid_until else ttl_end
    with _cache_lock:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[cache_key] = (principal, expires)
    return principal


def _require_live_entity(entity_id: str) -> dict[str, Any]:
    entity = get_table().get(keys.entity(entity_id))
    if entity is None or entity.get("status") == "deleted":  # tenancy.access.DELETED
        raise UnknownCredential("the credential's entity no longer exists")
    return entity


def forget_cached(secret: str) -> None:
    """Drop a revoked key from this container's cache (other containers forget within the cache TTL)."""
    with _cache_lock:
        for kind in (CredentialKind.SECRET_KEY, CredentialKind.PUBLISHABLE_KEY, CredentialKind.OPERATOR):
            _cache.pop(Credential(kind, secret).cache_key, None)


def forget_principals(
    *, entity_id: str | None = None, key_id: str | None = None, user_id: str | None = None
) -> int:
    """Drop every cached principal of an entity, of one key, or of one platform user from this container's
    cache, when the secret itself is no longer at hand (a revoked key, a deleted entity, a rotated user
    token). Other warm containers forget within `AUTH_CACHE_SECONDS`. Returns how many were dropped."""
    if entity_id is None and key_id is None and user_id is None:
        return 0

    def matches(principal: Principal) -> bool:
        return (
            (entity_id is not None and principal.entity_id == entity_id)
            or (key_id is not None and principal.key_id == key_id)
            or (
                user_id is not None
                and principal.kind is CredentialKind.PLATFORM_USER
                and principal.user_id == user_id
            )
        )

    with _cache_lock:
        stale = [cache_key for cache_key, (principal, _) in _cache.items() if matches(principal)]
        for cache_key in stale:
            del _cache[cache_key]
    return len(stale)


def reset_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _resolve_operator(credential: Credential) -> tuple[Principal, float | None]:
    configured = operator_key_hash()  # from the parameter store, cached there
    if not configured or not hmac.compare_digest(secret_hash(credential.secret), configured):
        raise UnknownCredential("the operator key is not valid")
    return Principal(CredentialKind.OPERATOR), None


def _resolve_entity_key(credential: Credential) -> tuple[Principal, float | None]:
    item = get_table().get(keys.api_key(secret_hash(credential.secret)))
    if item is None or item.get("kind") != credential.kind.value or item.get("status") != "active":
        raise UnknownCredential("the key is not valid")
    expires_at = item.get("expires_at")
    if expires_at is not None and float(expires_at) <= clock.now():
        raise UnknownCredential("the key has expired")
    principal = Principal(credential.kind, entity_id=str(item["entity_id"]), key_id=str(item["key_id"]))
    return principal, float(expires_at) if expires_at is not None else None


def _resolve_platform_user(credential: Credential) -> tuple[Principal, float | None]:
    assert credential.user_id is not None  # read_credentials always sets it for this kind
    item = get_table().get(keys.platform_user(credential.user_id)) or {}
    stored = str(item.get("token_hash", ""))
    if (
        not stored
        or not hmac.compare_digest(secret_hash(credential.secret), stored)
        or item.get("status") != "active"
    ):
        raise UnknownCredential("the userid and token do not match")
    return Principal(CredentialKind.PLATFORM_USER, user_id=credential.user_id), None


def _no_widget_tokens(credential: Credential) -> tuple[Principal, float | None]:
    raise UnknownCredential("the widget token is not valid")


_RESOLVERS: dict[CredentialKind, Resolver] = {
    CredentialKind.OPERATOR: _resolve_operator,
    CredentialKind.SECRET_KEY: _resolve_entity_key,
    CredentialKind.PUBLISHABLE_KEY: _resolve_entity_key,
    CredentialKind.PLATFORM_USER: _resolve_platform_user,
    CredentialKind.WIDGET_TOKEN: _no_widget_tokens,
}


def register_resolver(kind: CredentialKind, resolver: Resolver) -> None:
    """Let a domain package resolve a credential kind it owns (widget tokens belong to the campaigns)."""
    _RESOLVERS[kind] = resolver
