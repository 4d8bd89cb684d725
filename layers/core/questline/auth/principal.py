"""Who is calling: the result of authentication, handed to route handlers."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class CredentialKind(StrEnum):
    OPERATOR = "operator"  # op_…: whoever deployed the stack
    SECRET_KEY = "secret_key"  # noqa: S105 - a kind, not a secret; sk_…: full access to one entity
    PUBLISHABLE_KEY = "publishable_key"  # pk_…: ingest-only access to one entity
    WIDGET_TOKEN = "widget_token"  # noqa: S105 - a kind; wt_…: one user's own read-only view in one entity
    PLATFORM_USER = "platform_user"  # userid + token headers: a person who manages entities


# Key prefixes say what a credential is (DESIGN.md §3).
PREFIXES: dict[str, CredentialKind] = {
    "op": CredentialKind.OPERATOR,
    "sk": CredentialKind.SECRET_KEY,
    "pk": CredentialKind.PUBLISHABLE_KEY,
    "wt": CredentialKind.WIDGET_TOKEN,
}


class Principal(NamedTuple):
    kind: CredentialKind
    entity_id: str | None = None  # the tenant a key or widget token belongs to
    user_id: str | None = None  # the platform user, or the identity a widget token reads for
    key_id: str | None = None  # which key (for audit and revocation), never the key itself
    plan: str | None = None  # the tenant's plan when the credential was resolved (its rate limits)

    @property
    def is_operator(self) -> bool:
        return self.kind is CredentialKind.OPERATOR

    def describe(self) -> str:
        """For logs: what called, never with a secret in it."""
        return f"{self.kind.value}:{self.key_id or self.user_id or '-'}@{self.entity_id or '-'}"
