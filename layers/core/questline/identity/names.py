"""How the integrator knows a person: the names webhook payloads carry beside the identity id.

    user_id             the integrator's user id (the `uid` identifier)
    account, platform   as claimr names the person: a platform account; else the wallet (`platform=web3`);
                        else the user id (`platform=internal`) — a pair every claimr route accepts
    address             the wallet address

The identity item keeps the first identifier of each kind it was given (`known_user_id`, `known_account`,
`known_address`): the graph sets them when it creates an identity or claims an identifier for it, and a
merge gives the survivor those it lacks. Writers of activity items (ledger entries, completions, referrals,
widget tokens) copy `names_of` onto the item, so the webhook fan-out reads nothing and a replayed stream
record makes the same payload. A request that names the person by one identifier (claimr's account and
platform, a wallet route's address) is named by that one first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from questline.identity.identifiers import INTERNAL_PLATFORM, Identifier

WALLET_PLATFORM = "web3"  # how claimr names a wallet as an account
KNOWN_FIELDS = ("known_user_id", "known_account", "known_address")
LEGACY_USER_KINDS = frozenset({"uid", "ext"})


def known_as(identifiers: Iterable[Identifier]) -> dict[str, Any]:
    """The identity item's `known_*` attributes these identifiers give (the first of each kind)."""
    known: dict[str, Any] = {}
    for identifier in identifiers:
        if identifier.kind in LEGACY_USER_KINDS:
            known.setdefault("known_user_id", identifier.value)
        elif identifier.kind == "acct":
            platform, _, account = identifier.value.partition("#")
            if platform == INTERNAL_PLATFORM:  # stored before the user id was one kind
                known.setdefault("known_user_id", account)
            else:
                known.setdefault("known_account", {"platform": platform, "account": account})
        elif identifier.kind == "wallet":
            known.setdefault("known_address", identifier.value)
    return known


def missing_from(item: Mapping[str, Any], identifiers: Iterable[Identifier]) -> dict[str, Any]:
    """The `known_*` attributes these identifiers would add to an identity item that lacks them."""
    return {field: value for field, value in known_as(identifiers).items() if item.get(field) is None}


def names_of(item: Mapping[str, Any] | None, via: Identifier | None = None) -> dict[str, str]:
    """The payload names of the person an identity item stands for; `via`, the identifier a request named
    them by, comes first. Names nobody knows are left out."""
    known = dict(known_as([via])) if via is not None else {}
    for field in KNOWN_FIELDS:
        if known.get(field) is None and item is not None and item.get(field) is not None:
            known[field] = item[field]
    names: dict[str, str] = {}
    if known.get("known_user_id"):
        names["user_id"] = str(known["known_user_id"])
    if known.get("known_address"):
        names["address"] = str(known["known_address"])
    account = known.get("known_account")
    if via is not None and via.kind == "wallet":
        account = {"platform": WALLET_PLATFORM, "account": via.value}
    elif via is not None and via.kind in LEGACY_USER_KINDS:
        account = {"platform": INTERNAL_PLATFORM, "account": via.value}
    if not account and "address" in names:
        account = {"platform": WALLET_PLATFORM, "account": names["address"]}
    if not account and "user_id" in names:
        account = {"platform": INTERNAL_PLATFORM, "account": names["user_id"]}
    if account:
        names["account"], names["platform"] = str(account["account"]), str(account["platform"])
    return names
