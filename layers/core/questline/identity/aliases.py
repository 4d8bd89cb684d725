"""Parcelvoy's alias: an anonymous id joins a known one, once. Parcelvoy itself only renames and ignores a
second alias; Questline merges the two identities (the graph's rules: the older survives), and a second
alias of the same anonymous id changes nothing."""

from __future__ import annotations

from questline import clock
from questline.identity.authority import Authority
from questline.identity.graph import resolve
from questline.identity.identifiers import Identifier
from questline.storage import get_table, keys
from questline.storage.table import ConditionFailed
from questline.tenancy.mau import record_monthly_activity


def alias_once(
    entity_id: str, anonymous: Identifier, known: Identifier, *, authority: Authority = Authority.SECRET
) -> bool:
    """Link `anonymous` to `known` (merging their identities) unless it was aliased before. True when
    this call did it."""
    table = get_table()
    marker = {
        **keys.anonymous_alias(entity_id, anonymous.value),
        "type": "alias",
        "entity_id": entity_id,
        "external_id": known.value,
        "created_at": clock.iso(),
    }
    try:
        table.put_new(marker)
    except ConditionFailed:
        return False
    try:
        resolved = resolve(entity_id, [known, anonymous], authority=authority)
    except Exception:
        table.delete(keys.anonymous_alias(entity_id, anonymous.value))  # let a retry alias it again
        raise
    record_monthly_activity(entity_id, resolved.identity_id)
    return True
