"""Merge authority (DESIGN.md §4): what a request may link, by the credential it came with.

A publishable key (`pk_`) ships inside apps, so anyone holds it. With it a request may link to a person
only identifiers that are new, or anonymous (a fingerprint, an anonymous id):

* it never adds an identifier to an identity it names by id (Endu `c_user_id`): it only records the event;
* it never attaches a platform account or a wallet to an identity that already holds one of that kind, nor
  to one that holds the other kind and a non-zero balance ("a new account beside your public wallet
  address" must not reach your points; linking those takes the `sk_` or a verified claim);
* it never merges two identities that each hold an integrator user id, a platform account, a wallet or a
  non-zero balance.

Whatever the credential, a person has one integrator user id: a second one is another person (this is
Parcelvoy's shared device: the request acts on the external id's person and merges nothing). Only a
verified claim (HeyMint's association, where the app proved the account) may merge two identities that
each hold one. And whatever the credential, at most `MAX_MERGED` identities ever make one person and a
person holds at most `MAX_IDENTIFIERS` identifiers, so no history can make a merge unbounded.

A link the rules refuse is recorded as a conflict on every identity involved (an `identity_conflict`
item, one per pair, counted), never made silently."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any, NamedTuple

from questline import clock
from questline.identity.identifiers import Identifier
from questline.storage import get_table, keys
from questline.storage.keys import GSI1
from questline.storage.table import Update

MAX_MERGED = 16  # identities that may ever make one person (itself included)
MAX_IDENTIFIERS = 50  # identifiers one person may hold

# What an identifier says about whom it belongs to. Anonymous kinds (fingerprint, anonymous id) say
# nothing: they have no class.
CLASS_OF_KIND = {"uid": "user", "ext": "user", "acct": "account", "wallet": "wallet"}
OWNED_CLASSES = frozenset({"account", "wallet"})  # what proves who someone is elsewhere (a login, a key pair)


class Authority(StrEnum):
    PUBLIC = "public"  # a publishable key
    SECRET = "secret"  # noqa: S105 - an authority, not a secret; the entity's secret key
    VERIFIED = "verified"  # an account the integrator's app verified (a HeyMint claim)

    @property
    def is_public(self) -> bool:
        return self is Authority.PUBLIC

    @classmethod
    def of(cls, credential_kind: str) -> Authority:
        """A credential's authority (`questline.auth.CredentialKind`): only a publishable key is public."""
        return cls.PUBLIC if credential_kind == "publishable_key" else cls.SECRET


class Holdings(NamedTuple):
    """What an identity holds, as far as the rules care."""

    classes: frozenset[str] = frozenset()  # user, account, wallet
    identifiers: int = 0  # how many it holds
    balance: bool = False  # a non-zero balance in some campaign
    size: int = 1  # identities it is made of (itself and those merged into it)

    @property
    def known(self) -> bool:
        """Holds something that says who the person is (or has something to lose)."""
        return bool(self.classes) or self.balance

    def joined(self, other: Holdings) -> Holdings:
        return Holdings(
            self.classes | other.classes,
            self.identifiers + other.identifiers,
            self.balance or other.balance,
            self.size + other.size,
        )

    @classmethod
    def of(cls, identifiers: Iterable[Identifier]) -> Holdings:
        listed = list(identifiers)
        return cls(frozenset(class_of(i) for i in listed) - {None}, len(listed), False, 0)  # type: ignore[arg-type]


class LinkConflict(NamedTuple):
    identity_id: str
    other_id: str | None  # the other identity, when the refused link was a merge
    reason: str
    identifier: Identifier | None  # the identifier the refused link would have linked


def class_of(identifier: Identifier) -> str | None:
    return CLASS_OF_KIND.get(identifier.kind)


def holdings_of(entity_id: str, item: Mapping[str, Any], *, balance: bool) -> Holdings:
    """An identity's holdings: one bounded Query of its identifiers; with `balance`, one of its campaigns
    per identity it is made of (at most MAX_MERGED)."""
    table = get_table()
    identity_id = str(item["identity_id"])
    listed = table.query(keys.identifiers_of(entity_id, identity_id), index=GSI1, limit=MAX_IDENTIFIERS + 10)
    classes = frozenset(CLASS_OF_KIND[str(i["kind"])] for i in listed.items if i.get("kind") in CLASS_OF_KIND)
    made_of = [identity_id, *sorted(map(str, item.get("merged_ids") or ()))][:MAX_MERGED]
    has_balance = False
    if balance:
        for part in made_of:
            page = table.query(keys.campaigns_of_identity(entity_id, part), index=GSI1, limit=100)
            if any(i.get("type") == "balance" and _nonzero(i) for i in page.items):
                has_balance = True
                break
    return Holdings(classes, len(listed.items), has_balance, len(made_of))


def _nonzero(balance: Mapping[str, Any]) -> bool:
    return any(float(balance.get(field) or 0) != 0 for field in ("total", "xp", "ref_xp", "ugc_xp"))


def attach_refusal(
    authority: Authority,
    identifier: Identifier,
    holds: Holdings,
    *,
    named: bool,
    before: Holdings | None = None,
) -> str | None:
    """Why `identifier` (held by nobody) may not join an identity holding `holds`; None when it may.
    `before`: what the identity held before this request (by default `holds`): identifiers new together in
    one request (a Discord account and a wallet first seen together) may join a person together."""
    kind = class_of(identifier)
    if named and authority.is_public:
        return "named_by_id"  # a publishable key names an identity only to record on it
    if holds.identifiers >= MAX_IDENTIFIERS:
        return "identifier_limit"
    if kind == "user" and "user" in holds.classes and authority is not Authority.VERIFIED:
        return "another_user_id"  # a second integrator user id is another person
    if authority.is_public and kind in OWNED_CLASSES:
        if kind in holds.classes:
            return f"{kind}_held"
        # One of the other kind joins (Endu's "mutation": the same Discord user, now with a wallet) only while
        # the person has nothing to lose: a wallet address is public on chain and a Discord id is easy to
        # find, so "my new account + your wallet" must not hand the account your points.
        other = (before if before is not None else holds).classes & OWNED_CLASSES
        if other and holds.balance:
            return "balance_held"
    return None


def merge_refusal(authority: Authority, ours: Holdings, theirs: Holdings, *, named: bool) -> str | None:
    """Why two identities may not merge; None when they may."""
    if named and authority.is_public:
        return "named_by_id"
    if ours.size + theirs.size > MAX_MERGED:
        return "merge_limit"
    if ours.identifiers + theirs.identifiers > MAX_IDENTIFIERS:
        return "identifier_limit"
    if "user" in ours.classes and "user" in theirs.classes and authority is not Authority.VERIFIED:
        return "two_user_ids"
    if authority.is_public and ours.known and theirs.known:
        return "both_known"
    return None


def record_conflicts(entity_id: str, conflicts: Sequence[LinkConflict], authority: Authority) -> None:
    """One `identity_conflict` item per (identity, what it conflicts with), on both sides, counted: a
    conflict seen again updates its item instead of adding one."""
    table = get_table()
    now = clock.iso()
    for conflict in conflicts:
        sides = [(conflict.identity_id, conflict.other_id)]
        if conflict.other_id is not None:
            sides.append((conflict.other_id, conflict.identity_id))
        for identity_id, other_id in sides:
            subject = (
                other_id
                if other_id is not None
                else f"IDF#{conflict.identifier.key if conflict.identifier else '-'}"
            )
            described = conflict.identifier.describe() if conflict.identifier else None
            table.update(
                keys.identity_conflict(entity_id, identity_id, subject),
                Update(
                    set={
                        "type": "identity_conflict",
                        "entity_id": entity_id,
                        "identity_id": identity_id,
                        "other_identity_id": other_id,
                        "reason": conflict.reason,
                        "identifier": described,
                        "authority": authority.value,
                        "last_at": now,
                    },
                    set_if_absent={"first_at": now},
                    add={"count": 1},
                ),
                return_values="NONE",
            )
