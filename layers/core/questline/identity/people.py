"""The identity API's use cases (HeyMint family, ours, secret key only): read a person, find one by any
identifier, link and unlink an identifier under the merge-authority rules (`questline.identity.authority`).

A person is an active identity and the identities merged into it. An id that was merged answers its
survivor's document, with `redirected_from` naming the id asked for.

Every call is bounded: the identity (one GetItem per redirect), its identifiers (one Query of at most
`MAX_IDENTIFIERS` + slack: a merge repoints the loser's identifiers to the survivor, so one listing holds
the person's), its devices (one Query, at most `MAX_LISTED`), its conflicts (one Query per identity it is
made of, at most `MAX_MERGED`, `MAX_LISTED` in all). A lookup adds one BatchGetItem; a link is one
resolution (`graph.resolve`, whose merges are bounded by the same limits); an unlink one transaction.

Unlinking: any identifier may go, even the last one (the identity stays, reachable by its id, as a HeyMint
identity created without a `uniqueIdentifier` is), except the person's only integrator user id: that is
how every surface names them, and without it the next request carrying it would make someone new and
split their history (409 `user_id_kept`; erase the person instead). An unlinked identifier is released: the
next request that carries it resolves it afresh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from questline import clock
from questline.errors import BadRequest, Conflict, NotFound, Retryable
from questline.identity import identifiers, surface
from questline.identity.authority import MAX_IDENTIFIERS, MAX_MERGED, Authority, LinkConflict
from questline.identity.graph import partitions_of, read_identity, resolve
from questline.identity.identifiers import Identifier, legacy_keys
from questline.identity.profiles import profile_view
from questline.storage import get_table, keys
from questline.storage.keys import GSI1
from questline.storage.table import ConditionFailed, TxDelete, equals

MAX_LISTED = 50  # conflicts and devices one document lists (`more_conflicts`, `more_devices` say so)
KINDS = ("user_id", "anonymous_id", "account", "wallet", "fingerprint")  # as clients name them
_KIND_OF_STORED = {
    "uid": "user_id",
    "ext": "user_id",
    "anon": "anonymous_id",
    "wallet": "wallet",
    "fp": "fingerprint",
}


class LinkedIdentifier(NamedTuple):
    kind: str  # one of KINDS
    value: str  # for an account, the account id on its platform
    platform: str | None  # accounts only
    surface: str | None  # the surface it was first linked through (None for items older than that)
    linked_at: str | None


class IdentityConflictView(NamedTuple):
    identity_id: str  # the identity it is recorded on (the person's own id or one merged into it)
    other_identity_id: str | None
    identifier: dict[str, str | None] | None  # kind, value, platform
    reason: str
    authority: str | None
    times: int  # how often the same link was refused
    first_at: str | None
    last_at: str | None
    resolved: bool  # the other identity or the identifier is now part of this person


class DeviceView(NamedTuple):
    device_id: str
    os: str | None
    os_version: str | None
    model: str | None
    app_build: str | None
    app_version: str | None
    push_token: bool  # whether it holds one (never the token itself)
    updated_at: str | None


class Person(NamedTuple):
    identity_id: str
    redirected_from: str | None
    status: str
    created_at: str | None
    claimed: bool
    claimed_at: str | None
    identifiers: list[LinkedIdentifier]
    merged_ids: list[str]
    conflicts: list[IdentityConflictView]
    more_conflicts: bool
    profile: dict[str, Any]
    devices: list[DeviceView]
    more_devices: bool


class IdentityConflict(Conflict):
    """The merge-authority rules refused the link; it is recorded as a conflict on both identities"""

    code = "identity_conflict"


def identifier_of(kind: str, value: str, platform: str | None = None) -> Identifier:
    """An identifier as a client names it (`kind` one of KINDS), normalised as every surface stores it."""
    if kind == "account":
        if not platform:
            raise BadRequest("an account needs its platform", field="platform")
        # claimr's platform=web3 is a wallet and platform=internal the user id, as on every surface
        return identifiers.account(platform, value, account_field="value")
    if platform:
        raise BadRequest("platform is only for kind=account", field="platform")
    makers = {
        "user_id": identifiers.unique_identifier,
        "anonymous_id": identifiers.anonymous_id,
        "wallet": identifiers.wallet,
        "fingerprint": identifiers.fingerprint,
    }
    if kind not in makers:
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}", field="kind")
    return makers[kind](value, "value")


def read_person(entity_id: str, identity_id: str) -> Person:
    """The person an identity id names (a merged id: its survivor's document). 404 when it never existed."""
    item = read_identity(entity_id, identity_id)
    return _person(entity_id, item, asked=identity_id)


def find_person(entity_id: str, identifier: Identifier) -> Person:
    """The person holding `identifier`: one BatchGetItem (its key, and the keys an integrator user id was
    stored under before it was one kind), then the document."""
    owner = _owner(entity_id, identifier)
    if owner is None:
        raise NotFound("no identity has this identifier", code="identity_not_found", field="value")
    return read_person(entity_id, owner[1])


def link(entity_id: str, identity_id: str, identifier: Identifier) -> Person:
    """Link `identifier` to the person `identity_id` names, with the secret key's authority: a new
    identifier joins; another person's identifier merges the two (the older survives, and answers);
    a link the rules refuse raises `IdentityConflict` after it was recorded on both identities."""
    resolved = resolve(
        entity_id,
        [identifier],
        identity_id=identity_id,
        create=False,
        need_item=True,
        authority=Authority.SECRET,
    )
    if resolved.conflicts:
        raise IdentityConflict(_refusal_message(resolved.conflicts[0]), field="value")
    item = resolved.item or read_identity(entity_id, resolved.identity_id)
    # The identifier listing is an index (eventually consistent): the answer names what was just linked.
    return _person(entity_id, item, asked=identity_id, linked=identifier)


def unlink(entity_id: str, identity_id: str, identifier: Identifier) -> Person:
    """Release `identifier` from the person `identity_id` names (see the module's rules): one conditional
    transaction deleting the identifier's item (and its older copies), each only while it names them."""
    item = read_identity(entity_id, identity_id)
    survivor = str(item["identity_id"])
    made_of = set(partitions_of(item))
    held = [found for found in _stored(entity_id, identifier) if str(found["identity_id"]) in made_of]
    if not held:
        raise NotFound(
            f"identity {identity_id} does not hold this identifier",
            code="identifier_not_linked",
            field="value",
        )
    listed = _identifier_items(entity_id, survivor)
    if identifier.kind == "uid":
        described = (_describe(str(i["kind"]), str(i["value"])) for i in listed)
        user_ids = {value for kind, value, _ in described if kind == "user_id"}
        if not user_ids - {identifier.value}:
            raise Conflict(
                "the integrator's user id is how every surface names this person: it stays linked "
                "(erase the person to release it)",
                code="user_id_kept",
                field="value",
            )
    operations = [
        TxDelete(
            {keys.PK: str(found[keys.PK]), keys.SK: str(found[keys.SK])},
            condition=equals("identity_id", str(found["identity_id"])),
        )
        for found in held
    ]
    try:
        get_table().transact_write(operations)
    except ConditionFailed:
        raise Retryable("the identity changed while unlinking; try again") from None
    gone = {f"{found['kind']}#{found['value']}" for found in held}
    remaining = [i for i in listed if f"{i['kind']}#{i['value']}" not in gone]
    return _person(entity_id, item, asked=identity_id, listed=remaining)


# --- reading ---------------------------------------------------------------------------------------------


def _stored(entity_id: str, identifier: Identifier) -> list[dict[str, Any]]:
    wanted = [keys.identifier(entity_id, identifier.key)]
    wanted += [keys.identifier(entity_id, old) for old in legacy_keys(identifier)]
    return [i for i in get_table().batch_get(wanted) if i.get("type") == "identifier"]


def _owner(entity_id: str, identifier: Identifier) -> tuple[str, str] | None:
    """(the key it was found under, the identity it names)."""
    found = {f"{i['kind']}#{i['value']}": str(i["identity_id"]) for i in _stored(entity_id, identifier)}
    for key in (identifier.key, *legacy_keys(identifier)):
        if key in found:
            return key, found[key]
    return None


def _identifier_items(entity_id: str, identity_id: str) -> list[dict[str, Any]]:
    page = get_table().query(
        keys.identifiers_of(entity_id, identity_id), index=GSI1, limit=MAX_IDENTIFIERS + 10
    )
    return page.items


def _describe(kind: str, value: str) -> tuple[str, str, str | None]:
    if kind == "acct":
        platform, _, account = value.partition("#")
        if platform == identifiers.INTERNAL_PLATFORM:  # stored before the user id was one kind
            return "user_id", account, None
        return "account", account, platform
    return _KIND_OF_STORED.get(kind, kind), value, None


def _linked(items: Sequence[Mapping[str, Any]], linked: Identifier | None) -> list[LinkedIdentifier]:
    seen: dict[tuple[str, str, str | None], LinkedIdentifier] = {}
    for item in sorted(items, key=lambda i: (str(i.get("created_at") or ""), str(i.get("kind")))):
        kind, value, platform = _describe(str(item["kind"]), str(item["value"]))
        seen.setdefault(
            (kind, value, platform),
            LinkedIdentifier(kind, value, platform, item.get("surface"), item.get("created_at")),
        )
    if linked is not None:
        kind, value, platform = _describe(linked.kind, linked.value)
        seen.setdefault(
            (kind, value, platform), LinkedIdentifier(kind, value, platform, surface.current(), clock.iso())
        )
    return list(seen.values())


def _person(
    entity_id: str,
    item: Mapping[str, Any],
    *,
    asked: str,
    listed: list[dict[str, Any]] | None = None,
    linked: Identifier | None = None,
) -> Person:
    table = get_table()
    identity_id = str(item["identity_id"])
    if listed is None:
        listed = _identifier_items(entity_id, identity_id)
    held = _linked(listed, linked)
    made_of = partitions_of(item)[:MAX_MERGED]
    held_keys = {f"{i['kind']}#{i['value']}" for i in listed} | ({linked.key} if linked else set())

    conflicts: list[IdentityConflictView] = []
    more_conflicts = False
    for part in made_of:
        if len(conflicts) >= MAX_LISTED:
            more_conflicts = True
            break
        page = table.query(
            keys.identity_partition(entity_id, part),
            begins_with=keys.CONFLICT_PREFIX,
            limit=MAX_LISTED - len(conflicts),
        )
        conflicts += [_conflict(c, set(made_of), held_keys) for c in page.items]
        more_conflicts = more_conflicts or page.last_key is not None

    devices = table.query(
        keys.identity_partition(entity_id, identity_id), begins_with=keys.DEVICE_PREFIX, limit=MAX_LISTED
    )
    return Person(
        identity_id=identity_id,
        redirected_from=asked if asked != identity_id else None,
        status=str(item.get("status") or "active"),
        created_at=item.get("created_at"),
        claimed=bool(item.get("claimed")),
        claimed_at=item.get("claimed_at"),
        identifiers=held,
        merged_ids=sorted(map(str, item.get("merged_ids") or ())),
        conflicts=conflicts,
        more_conflicts=more_conflicts,
        profile=profile_view(item),
        devices=[_device(d) for d in devices.items],
        more_devices=devices.last_key is not None,
    )


def _conflict(item: Mapping[str, Any], made_of: set[str], held_keys: set[str]) -> IdentityConflictView:
    other = item.get("other_identity_id")
    subject = str(item[keys.SK])[len(keys.CONFLICT_PREFIX) :]
    identifier_key = subject[len("IDF#") :] if subject.startswith("IDF#") else None
    described = item.get("identifier")
    shown: dict[str, str | None] | None = None
    if described:
        if described.get("kind") == "account":
            shown = {
                "kind": "account",
                "value": described.get("account"),
                "platform": described.get("platform"),
            }
        else:
            shown = {"kind": described.get("kind"), "value": described.get("value"), "platform": None}
    return IdentityConflictView(
        identity_id=str(item["identity_id"]),
        other_identity_id=str(other) if other else None,
        identifier=shown,
        reason=str(item.get("reason")),
        authority=item.get("authority"),
        times=int(item.get("count") or 1),
        first_at=item.get("first_at"),
        last_at=item.get("last_at"),
        resolved=(str(other) in made_of) if other else identifier_key in held_keys,
    )


def _device(item: Mapping[str, Any]) -> DeviceView:
    def text(name: str) -> str | None:
        value = item.get(name)
        return None if value is None else str(value)

    return DeviceView(
        device_id=str(item["device_id"]),
        os=text("os"),
        os_version=text("os_version"),
        model=text("model"),
        app_build=text("app_build"),
        app_version=text("app_version"),
        push_token=bool(item.get("token_hash") or item.get("token")),
        updated_at=text("updated_at"),
    )


def _refusal_message(conflict: LinkConflict) -> str:
    reasons = {
        "two_user_ids": "both identities hold an integrator user id",
        "another_user_id": "the identity holds another integrator user id",
        "merge_limit": f"the two would make more than {MAX_MERGED} identities one person",
        "identifier_limit": f"the person would hold more than {MAX_IDENTIFIERS} identifiers",
        "both_known": "both identities are known people",
    }
    why = reasons.get(conflict.reason, conflict.reason)
    other = f" with identity {conflict.other_id}" if conflict.other_id else ""
    return (
        f"link refused ({conflict.reason}): {why}; recorded as a conflict on identity "
        f"{conflict.identity_id}{other}"
    )
