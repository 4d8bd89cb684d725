"""Wallet addresses, checked per chain where a route takes an address without naming its chain (claimr's
`/wallet/*` `address`, invite codes' `used_by`, and `account` with `platform=web3`):

* EVM chains (Ethereum, Polygon, Base, …): `0x` and 40 hex digits, in any case; `0X` is accepted too. The
  address is compared lower-cased (EIP-55's mixed case is only a checksum), so every spelling is one wallet.
* Solana: the base58 spelling of a 32-byte public key (32 to 44 characters).

Anything else is a 400 naming the field. (Endu names its chain in `blockchain.chain_type` and keeps its
own rules: its seed spells a Solana account `0x0`.)
"""

from __future__ import annotations

import re

from questline.errors import BadRequest
from questline.identity import identifiers
from questline.identity.identifiers import Identifier

_EVM = re.compile(r"^0[xX][0-9a-fA-F]{40}$")
_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58 = re.compile(f"^[{_BASE58_ALPHABET}]{{32,44}}$")
SOLANA_KEY_BYTES = 32


def _base58_bytes(text: str) -> int:
    """How many bytes a base58 string spells (leading `1`s are zero bytes)."""
    number = 0
    for character in text:
        number = number * 58 + _BASE58_ALPHABET.index(character)
    zeros = len(text) - len(text.lstrip("1"))
    return zeros + (number.bit_length() + 7) // 8


def chain_of(address: str) -> str | None:
    """`evm`, `solana`, or None when `address` is no wallet address we know."""
    if _EVM.match(address):
        return "evm"
    if _BASE58.match(address) and _base58_bytes(address) == SOLANA_KEY_BYTES:
        return "solana"
    return None


def wallet_address(address: object, field: str) -> Identifier:
    """The wallet an address names, or a 400 naming `field` when it is no EVM or Solana address."""
    if not isinstance(address, str) or chain_of(address.strip()) is None:
        raise BadRequest(
            f"{field} must be a wallet address: EVM (0x and 40 hex digits) or Solana (base58, 32 bytes)",
            field=field,
        )
    return identifiers.wallet(address.strip(), field)
