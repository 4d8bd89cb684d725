"""Rate limits and quotas per tenant and per key, by the tenant's plan (Quest Protocol's `plan`).

Two kinds, both kept in the table (an HTTP API has no usage plans or per-client throttling: its stage and
route limits are shared by every tenant, so they stay as the account-wide backstop):

* **Writes per second** (every POST, PUT, PATCH and DELETE made with a tenant's key or widget token): one
  counter item per tenant and second, holding the tenant's total and each key's count. A container does not
  write the counter for every request: it takes a *lease* of tokens (ADD n, answered with the new totals)
  and serves that many requests from memory. Leases start at 1 each second and double while the container
  keeps using them up, to at most 1/10 of the smaller limit, so a quiet container pays one write per request
  and a busy one a write per ten or more, and what a container leaves unused at the end of a second is at
  most one lease. A take is conditional on both counts being under their limits, so a refused request adds
  nothing (a key over its limit never uses up its tenant's), and a container that was refused refuses the
  rest of that second from memory (an attacker's flood costs one failed write per container and second).
  A tenant is therefore never admitted beyond its limit (plus at most one lease), and always served at
  least its limit less one lease per busy container. A refusal is 429 with `Retry-After: 1`.
* **Identities created per UTC day** (the tenant's MAU, which is what tenants are billed by; a `pk_` ships
  inside apps and could otherwise create identities without end): one counter item per tenant and day, with
  the tenant's total and each key's count, taken by one conditional ADD before the identity's transaction
  (not inside it: every creation of a tenant touches the item, and concurrent transactions on one item
  cancel each other, while ADDs do not) and given back when the creation does not happen. Exact: the quota
  is never exceeded. A refusal is 429 with `Retry-After` at the next UTC midnight.

Limits come from the deployment's `PLAN_LIMITS` (the template's `PlanLimits` parameter, JSON: plan name to
limits, 0 meaning unlimited), over the defaults in `DEFAULT_PLANS`; a plan nobody configured has FREE's.
The operator sets a tenant's plan (`POST /api/entities/{entityId}/plan`); keys see a change within the auth
cache's lifetime.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from questline import clock
from questline.auth.principal import CredentialKind, Principal
from questline.errors import TooManyRequests
from questline.storage import get_table, keys
from questline.storage.table import Condition, ConditionFailed, Update, below, not_exists

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LIMITED = frozenset({CredentialKind.SECRET_KEY, CredentialKind.PUBLISHABLE_KEY, CredentialKind.WIDGET_TOKEN})
WINDOW_TTL_SECONDS = 120  # a second's counter is read only during that second
DAY_TTL_SECONDS = 2 * 24 * 3600


class Plan(NamedTuple):
    """What one plan allows (0: unlimited)."""

    writes_per_second: int  # the tenant's, all keys together
    writes_per_second_per_key: int
    identities_per_day: int  # identities the tenant's requests create per UTC day
    identities_per_day_per_key: int


DEFAULT_PLANS: dict[str, Plan] = {
    "FREE": Plan(200, 100, 10_000, 5_000),
    "PRO": Plan(2_000, 1_000, 500_000, 250_000),
    "ENTERPRISE": Plan(0, 0, 0, 0),
}


@lru_cache(maxsize=1)
def plans() -> dict[str, Plan]:
    """The deployment's plans: `DEFAULT_PLANS` with `PLAN_LIMITS` over them (a plan's missing fields keep
    FREE's values)."""
    configured = dict(DEFAULT_PLANS)
    raw = os.environ.get("PLAN_LIMITS", "").strip()
    if raw:
        for name, given in json.loads(raw).items():
            base = configured.get(name, DEFAULT_PLANS["FREE"])._asdict()
            unknown = set(given) - set(base)
            if unknown:
                raise ValueError(f"PLAN_LIMITS: plan {name} has unknown limits {sorted(unknown)}")
            configured[name] = Plan(**{**base, **{k: int(v) for k, v in given.items()}})
    return configured


def plan_of(name: str | None) -> Plan:
    return plans().get(name or "FREE") or plans()["FREE"]


# --- the request being served ---------------------------------------------------------------------------

_caller: ContextVar[Principal | None] = ContextVar("questline_limited_caller", default=None)


@contextmanager
def serving(principal: Principal | None) -> Iterator[None]:
    """The HTTP glue runs each request inside this: the identity graph charges creations to the caller."""
    token = _caller.set(principal if principal is not None and principal.kind in _LIMITED else None)
    try:
        yield
    finally:
        _caller.reset(token)


def _key_attribute(principal: Principal) -> str:
    return f"k#{principal.key_id or principal.kind.value}"


def _under_limits(tenant_limit: int, attribute: str, key_limit: int) -> Condition | None:
    """A counter item's tenant count (`n`) and key count (`attribute`) both under their limits (0: none)."""
    condition = None
    if tenant_limit:
        condition = not_exists("n") | below("n", tenant_limit)
    if key_limit:
        per_key = not_exists(attribute) | below(attribute, key_limit)
        condition = per_key if condition is None else condition & per_key
    return condition


# --- writes per second ----------------------------------------------------------------------------------


class _Lease:
    __slots__ = ("left", "refused", "second", "size")

    def __init__(self) -> None:
        self.second = -1
        self.left = 0
        self.size = 0
        self.refused = False  # this key was refused this second: refuse again without a write


_leases: dict[tuple[str, str], _Lease] = {}
_full: dict[str, int] = {}  # tenant -> the second this container found its tenant limit used up
_leases_lock = threading.Lock()
_LEASES_LIMIT = 10_000


def admit_write(principal: Principal | None, method: str) -> None:
    """Count one write request against the caller's tenant and key; `TooManyRequests` over a limit."""
    if principal is None or principal.kind not in _LIMITED or method.upper() not in WRITE_METHODS:
        return
    entity_id = principal.entity_id
    assert entity_id is not None  # every limited kind belongs to a tenant
    plan = plan_of(principal.plan)
    tenant_limit, key_limit = plan.writes_per_second, plan.writes_per_second_per_key
    if principal.kind is CredentialKind.WIDGET_TOKEN:
        key_limit = 0  # a widget token is one person's view: only the tenant's limit applies
    if not tenant_limit and not key_limit:
        return
    second = int(clock.now())
    slot = (entity_id, _key_attribute(principal))
    with _leases_lock:
        lease = _leases.get(slot)
        if lease is None:
            if len(_leases) >= _LEASES_LIMIT:
                _leases.clear()
                _full.clear()
            lease = _leases[slot] = _Lease()
        if lease.second != second:
            lease.second, lease.left, lease.size, lease.refused = second, 0, 0, False
        if lease.left > 0:
            lease.left -= 1
            return
        if lease.refused or _full.get(entity_id) == second:
            raise _refusal()
        lease.size = min(max(1, lease.size * 2), _lease_cap(tenant_limit, key_limit))
        size = lease.size
    granted, tenant_full = _take(principal, second, size, tenant_limit, key_limit)
    with _leases_lock:
        if lease.second == second:
            lease.left = max(0, granted - 1)
            lease.refused = granted <= 0
        if tenant_full:
            _full[entity_id] = second
    if granted <= 0:
        raise _refusal()


def _refusal() -> TooManyRequests:
    return TooManyRequests(
        "this tenant's or key's writes per second are used up; retry after the Retry-After seconds",
        retry_after=1,
    )


def _lease_cap(tenant_limit: int, key_limit: int) -> int:
    limits = [limit for limit in (tenant_limit, key_limit) if limit > 0]
    return max(1, min(limits) // 10)


def _take(
    principal: Principal, second: int, size: int, tenant_limit: int, key_limit: int
) -> tuple[int, bool]:
    """Take up to `size` tokens of this second, only while both counts are under their limits (a refused
    take changes nothing, so a key over its limit never uses up its tenant's). Answers how many tokens are
    within both limits, and whether the tenant's limit is reached."""
    assert principal.entity_id is not None
    attribute = _key_attribute(principal)
    condition = _under_limits(tenant_limit, attribute, key_limit)
    try:
        counted = get_table().update(
            keys.write_window(principal.entity_id, second),
            Update(
                add={"n": size, attribute: size},
                set_if_absent={"type": "write_window", "ttl": second + WINDOW_TTL_SECONDS},
            ),
            condition=condition,
            return_values="UPDATED_NEW",
            return_old_on_failure=True,
        )
    except ConditionFailed as failed:
        old = failed.item or {}
        return 0, bool(tenant_limit) and int(old.get("n", 0)) >= tenant_limit
    assert counted is not None
    total, own = int(counted["n"]), int(counted[attribute])
    room = [size]
    if tenant_limit:
        room.append(tenant_limit - (total - size))
    if key_limit:
        room.append(key_limit - (own - size))
    return max(0, min(room)), bool(tenant_limit) and total >= tenant_limit


# --- identities created per day -------------------------------------------------------------------------


class IdentityCharge(NamedTuple):
    entity_id: str
    day: str
    attribute: str


def charge_identity(entity_id: str) -> IdentityCharge | None:
    """Count one identity about to be created for the request's caller (None outside a limited request).
    Raises `TooManyRequests` when the tenant's or the key's quota for today is used up."""
    principal = _caller.get()
    if principal is None or principal.entity_id != entity_id:
        return None
    plan = plan_of(principal.plan)
    tenant_limit, key_limit = plan.identities_per_day, plan.identities_per_day_per_key
    if not tenant_limit and not key_limit:
        return None
    now = datetime.fromtimestamp(clock.now(), tz=UTC)
    day = now.strftime("%Y-%m-%d")
    attribute = _key_attribute(principal)
    condition = _under_limits(tenant_limit, attribute, key_limit)
    try:
        get_table().update(
            keys.identity_quota(entity_id, day),
            Update(
                add={"n": 1, attribute: 1},
                set_if_absent={"type": "identity_quota", "ttl": int(now.timestamp()) + DAY_TTL_SECONDS},
            ),
            condition=condition,
            return_values="NONE",
        )
    except ConditionFailed:
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        raise TooManyRequests(
            "this tenant's or key's identities for today are used up: no new person can be created until "
            "the quota resets (existing people are unaffected)",
            retry_after=max(1, math.ceil((midnight - now).total_seconds())),
            code="identity_quota_exceeded",
        ) from None
    return IdentityCharge(entity_id, day, attribute)


def refund_identity(charge: IdentityCharge | None) -> None:
    """The creation did not happen (another request created the person first, or storage failed)."""
    if charge is None:
        return
    try:
        get_table().update(
            keys.identity_quota(charge.entity_id, charge.day),
            Update(add={"n": -1, charge.attribute: -1}),
            return_values="NONE",
        )
    except Exception:  # noqa: BLE001 - best effort: a lost refund only makes the quota one stricter
        return


def usage(entity_id: str, *, at: float | None = None) -> dict[str, Any]:
    """Today's identity count of a tenant (one GetItem), for operators."""
    day = datetime.fromtimestamp(clock.now() if at is None else at, tz=UTC).strftime("%Y-%m-%d")
    item = get_table().get(keys.identity_quota(entity_id, day)) or {}
    return {"day": day, "identities_created": int(item.get("n", 0))}


def reset_leases() -> None:
    """Tests: forget this container's leases."""
    with _leases_lock:
        _leases.clear()
        _full.clear()
    plans.cache_clear()
