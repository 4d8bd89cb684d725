"""Who may act on an entity. The key alone decides the tenant: a key of entity A never reaches B."""

from __future__ import annotations

from questline.auth import CredentialKind, Principal
from questline.errors import Forbidden


def require_entity_access(caller: Principal, entity_id: str) -> None:
    """The operator reaches every entity; an entity's own keys reach only it."""
    if caller.kind is CredentialKind.OPERATOR:
        return
    if (
        caller.kind in (CredentialKind.SECRET_KEY, CredentialKind.PUBLISHABLE_KEY)
        and caller.entity_id == entity_id
    ):
        return
    raise Forbidden("this credential may not act on that entity")
