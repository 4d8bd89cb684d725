"""What a route accepts. Declared next to the route (`routes.get(..., auth=SECRET_KEY)`) and enforced
before the request body is even validated, so an anonymous caller learns nothing but "401"."""

from __future__ import annotations

from typing import NamedTuple

from questline.auth.principal import CredentialKind


class AuthPolicy(NamedTuple):
    accepts: frozenset[CredentialKind]
    description: str

    @property
    def is_public(self) -> bool:
        return not self.accepts

    def allows(self, kind: CredentialKind) -> bool:
        return kind in self.accepts

    def __or__(self, other: AuthPolicy) -> AuthPolicy:
        return AuthPolicy(self.accepts | other.accepts, f"{self.description} or {other.description}")


def accepting(*kinds: CredentialKind, description: str) -> AuthPolicy:
    return AuthPolicy(frozenset(kinds), description)


PUBLIC = AuthPolicy(frozenset(), "no credential")
OPERATOR = accepting(CredentialKind.OPERATOR, description="the operator key")
SECRET_KEY = accepting(CredentialKind.SECRET_KEY, description="a secret key (sk_)")
ANY_ENTITY_KEY = accepting(
    CredentialKind.SECRET_KEY,
    CredentialKind.PUBLISHABLE_KEY,
    description="a publishable (pk_) or secret (sk_) key",
)
PLATFORM_USER = accepting(CredentialKind.PLATFORM_USER, description="userid and token headers")
WIDGET_TOKEN = accepting(CredentialKind.WIDGET_TOKEN, description="a widget token (wt_)")
