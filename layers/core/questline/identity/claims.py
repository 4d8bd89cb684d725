"""Claiming an identity (HeyMint's association URL): the app hands its user a URL carrying a signed,
single-use token; when the user has proven an account (a platform account or a wallet), the app posts the
token with that account, which links it to the identity, marks the identity claimed, and merges it with
the identity that account already had, if any."""

from __future__ import annotations

from typing import NamedTuple

from questline import clock, signing
from questline.errors import Conflict, Forbidden
from questline.identity.authority import Authority
from questline.identity.graph import Resolved, read_identity, resolve
from questline.identity.identifiers import Identifier
from questline.ids import new_id
from questline.settings import get_settings
from questline.storage import get_table, keys
from questline.storage.table import ConditionFailed, Update

PURPOSE = "identity-claim"


class Association(NamedTuple):
    identity_id: str
    url: str


def association(entity_id: str, identity_id: str) -> Association:
    identity = read_identity(entity_id, identity_id)
    settings = get_settings()
    token = signing.issue(
        PURPOSE,
        {"e": entity_id, "i": identity["identity_id"], "n": new_id()},
        settings.claim_token_ttl_seconds,
    )
    return Association(str(identity["identity_id"]), f"{settings.claim_base_url}/claim-identity/{token}")


def claim(entity_id: str, token: str, account: Identifier) -> Resolved:
    """Use a claim token once: link `account` to its identity (merging as needed) and mark it claimed."""
    claims = signing.verify(PURPOSE, token, field="claimToken")
    if claims.get("e") != entity_id:
        raise Forbidden("this claim token belongs to another entity")
    try:
        get_table().put_new(
            {**keys.claim_use(entity_id, str(claims["n"])), "type": "claim_use", "used_at": clock.iso()}
        )
    except ConditionFailed:
        raise Conflict("this claim token was already used", field="claimToken") from None
    resolved = resolve(
        entity_id, [account], identity_id=str(claims["i"]), need_item=True, authority=Authority.VERIFIED
    )
    get_table().update(
        keys.identity(entity_id, resolved.identity_id),
        Update(set={"claimed": True}, set_if_absent={"claimed_at": clock.iso()}),
        return_values="NONE",
    )
    return resolved
