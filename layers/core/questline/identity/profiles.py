"""Profiles hang off the identity: email, phone, timezone, locale and `data` traits, shallow-merged
(a trait sent again replaces the stored one; arrays are replaced, not merged), in one UpdateItem."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from questline.errors import BadRequest
from questline.storage import get_table, keys
from questline.storage.codec import check_client_value
from questline.storage.table import Update, exists

TIMEZONE_MESSAGE = "The timezone value must be in the IANA format."
MAX_TRAITS = 200


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
        if len(traits) > MAX_TRAITS:
            raise BadRequest(f"data has more than {MAX_TRAITS} keys", field="data")
        check_client_value(dict(traits), "data")
    changes: dict[Any, Any] = {name: value for name, value in fields.items() if value is not None}
    changes.update({("data", key): value for key, value in (traits or {}).items()})
    if changes:
        get_table().update(
            keys.identity(entity_id, identity_id),
            Update(set=changes),
            condition=exists(),
            return_values="NONE",
        )


def profile_view(item: Mapping[str, Any]) -> dict[str, Any]:
    view = {field: item.get(field) for field in ("email", "phone", "timezone", "locale")}
    view["data"] = dict(item.get("data") or {})
    return view
