"""Profiles hang off the identity: email, phone, timezone, locale and `data` traits, shallow-merged
(a trait sent again replaces the stored one; arrays are replaced, not merged), in one UpdateItem.

A person's traits hold at most `MAX_TRAITS_BYTES` (as JSON) in total: what the merge would store is measured
before anything is written, against the stored traits read with the item's `traits_rev`, and the write is
conditional on that revision, so two calls racing cannot together pass the cap (the loser re-reads)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from questline.errors import BadRequest, Retryable, RuleViolation
from questline.storage import get_table, keys
from questline.storage.codec import check_client_value
from questline.storage.table import ConditionFailed, Update, equals, exists, not_exists

TIMEZONE_MESSAGE = "The timezone value must be in the IANA format."
MAX_TRAITS = 200
MAX_TRAITS_BYTES = 64 * 1024  # a person's `data` as JSON: far from DynamoDB's 400 KB item limit
_ATTEMPTS = 3


def traits_size(traits: Mapping[str, Any]) -> int:
    """The traits' size as JSON (UTF-8), the measure of the cap."""
    return len(json.dumps(traits, default=str, separators=(",", ":"), ensure_ascii=False).encode())


def _over_cap(size: int) -> RuleViolation:
    return RuleViolation(
        f"data: a person's traits may hold at most {MAX_TRAITS_BYTES:,} bytes as JSON; these would hold "
        f"{size:,} (replace or remove traits to make room)",
        field="data",
    )


def fold_within_cap(stored: Mapping[str, Any], incoming: Mapping[str, Any]) -> dict[str, Any]:
    """The traits of `incoming` that `stored` lacks, in order, as many as fit the cap beside `stored` (what a
    merge folds into the survivor: the survivor's own traits win and the cap holds)."""
    kept: dict[str, Any] = {}
    total = dict(stored)
    for key, value in incoming.items():
        if key in total:
            continue
        total[key] = value
        if traits_size(total) > MAX_TRAITS_BYTES:
            del total[key]
            continue
        kept[key] = value
    return kept


@lru_cache(maxsize=1024)
def _known_timezone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def check_timezone(name: str) -> str:
    if not name or len(name) > 64 or not _known_timezone(name):
        raise BadRequest(TIMEZONE_MESSAGE, field="timezone")
    return name


def check_traits(traits: Mapping[str, Any]) -> None:
    """Refuse traits no person could store, before anything about the request is written."""
    if len(traits) > MAX_TRAITS:
        raise BadRequest(f"data has more than {MAX_TRAITS} keys", field="data")
    check_client_value(dict(traits), "data")
    if traits_size(traits) > MAX_TRAITS_BYTES:
        raise _over_cap(traits_size(traits))


def update_profile(
    entity_id: str,
    identity_id: str,
    *,
    fields: Mapping[str, str | None],
    traits: Mapping[str, Any] | None = None,
) -> None:
    """Set the profile `fields` that are not None and merge `traits` into `data`. Validation happens
    before anything is written."""
    if fields.get("timezone") is not None:
        check_timezone(str(fields["timezone"]))
    if traits:
        check_traits(traits)
    changes: dict[Any, Any] = {name: value for name, value in fields.items() if value is not None}
    if not traits:
        if changes:
            get_table().update(
                keys.identity(entity_id, identity_id),
                Update(set=changes),
                condition=exists(),
                return_values="NONE",
            )
        return
    for _ in range(_ATTEMPTS):
        if _update_with_traits(entity_id, identity_id, changes, traits):
            return
    raise Retryable("the profile changed while it was written; try again")


def _update_with_traits(
    entity_id: str, identity_id: str, changes: Mapping[Any, Any], traits: Mapping[str, Any]
) -> bool:
    """One read-measure-write round; False when another write changed the traits in between."""
    table = get_table()
    key = keys.identity(entity_id, identity_id)
    item = table.get(key, consistent=True) or {}
    merged = {**dict(item.get("data") or {}), **traits}
    if traits_size(merged) > MAX_TRAITS_BYTES:
        raise _over_cap(traits_size(merged))
    revision = item.get("traits_rev")
    unchanged = not_exists("traits_rev") if revision is None else equals("traits_rev", revision)
    update = {**changes, **{("data", name): value for name, value in traits.items()}}
    update["traits_rev"] = int(revision or 0) + 1
    try:
        table.update(key, Update(set=update), condition=exists() & unchanged, return_values="NONE")
    except ConditionFailed:
        if not item:
            raise
        return False
    return True


def profile_view(item: Mapping[str, Any]) -> dict[str, Any]:
    view = {field: item.get(field) for field in ("email", "phone", "timezone", "locale")}
    view["data"] = dict(item.get("data") or {})
    return view
