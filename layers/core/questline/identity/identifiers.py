"""The identifiers an identity owns, each unique within its entity (DESIGN.md §4 "Identity graph").

    uid     the integrator's user id: HeyMint `uniqueIdentifier`, Parcelvoy   as sent
            `external_id`, claimr `platform=internal` + `account`: one
            identifier, so the same string on any surface is one person
    anon    Parcelvoy `anonymous_id`                                        as sent
    acct    claimr (platform, account); Endu (platform_type, p_user_id)    platform lower-cased
    wallet  Endu `blockchain`; claimr platform=web3 and /wallet/* address   EVM addresses lower-cased
    fp      Endu `fingerprint`                                              as sent

Endu's `c_user_id` is the identity id itself, not an identifier.

Stored before the integrator's user id was one kind: `ext#{external_id}` (Parcelvoy) and
`acct#internal#{account}` (claimr). `legacy_keys` names them, so resolution still finds those people (and
moves them to the `uid` key on first sight).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from questline.errors import BadRequest

MAX_IDENTIFIER_LENGTH = 256
_EVM_ADDRESS = re.compile(r"^0[xX][0-9a-fA-F]{40}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1: NUL, newlines, escapes…
WALLET_PLATFORMS = frozenset({"web3", "wallet"})


class Identifier(NamedTuple):
    kind: str
    value: str  # normalised; for accounts "platform#account"

    @property
    def key(self) -> str:
        return f"{self.kind}#{self.value}"

    def describe(self) -> dict[str, str]:
        """The identifier as a client would name it (for responses and webhooks)."""
        if self.kind == "acct":
            platform, _, account = self.value.partition("#")
            return {"kind": "account", "platform": platform, "account": account}
        names = {
            "uid": "user_id",
            "ext": "user_id",
            "anon": "anonymous_id",
            "wallet": "wallet",
            "fp": "fingerprint",
        }
        return {"kind": names[self.kind], "value": self.value}


def _checked(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{field} must be a non-empty string", field=field)
    if len(value) > MAX_IDENTIFIER_LENGTH:
        raise BadRequest(f"{field} is longer than {MAX_IDENTIFIER_LENGTH} characters", field=field)
    if _CONTROL.search(value):
        raise BadRequest(f"{field} holds a control character (NUL, a newline, …)", field=field)
    return value.strip()


def unique_identifier(value: object, field: str = "uniqueIdentifier") -> Identifier:
    return Identifier("uid", _checked(value, field))


def external_id(value: object, field: str = "external_id") -> Identifier:
    """Parcelvoy's external id is the integrator's user id: the same identifier as HeyMint's."""
    return Identifier("uid", _checked(value, field))


INTERNAL_PLATFORM = "internal"  # claimr's "internal ID": the integrator's own user id


def legacy_keys(identifier: Identifier) -> tuple[str, ...]:
    """Keys the same identifier was stored under before the integrator's user id was one kind."""
    if identifier.kind != "uid":
        return ()
    return (f"ext#{identifier.value}", f"acct#{INTERNAL_PLATFORM}#{identifier.value}")


def anonymous_id(value: object, field: str = "anonymous_id") -> Identifier:
    return Identifier("anon", _checked(value, field))


def fingerprint(value: object, field: str = "fingerprint") -> Identifier:
    return Identifier("fp", _checked(value, field))


def wallet(address: object, field: str = "address") -> Identifier:
    """A wallet is its address: the same key pair on two EVM chains is the same person. EVM addresses are
    compared case-insensitively (EIP-55 casing is only a checksum); other chains' addresses as sent."""
    checked = _checked(address, field)
    return Identifier("wallet", checked.lower() if _EVM_ADDRESS.match(checked) else checked)  # 0X… is 0x…


def account(
    platform: object, account_id: object, *, platform_field: str = "platform", account_field: str = "account"
) -> Identifier:
    """A platform account; claimr's `platform=web3` (or `wallet`) means the account is a wallet address."""
    name = _checked(platform, platform_field).lower()
    if name in WALLET_PLATFORMS:
        return wallet(account_id, account_field)
    if "#" in name:
        raise BadRequest(f"{platform_field} may not contain '#'", field=platform_field)
    if name == INTERNAL_PLATFORM:
        return unique_identifier(account_id, account_field)
    return Identifier("acct", f"{name}#{_checked(account_id, account_field)}")
