"""One person, one identity: resolving the identifiers a request carries to an identity, creating it,
claiming new identifiers for it, and merging identities that turn out to be one person.

Resolution reads every identifier (and an explicitly named identity) in one BatchGetItem. Then:

* nothing found: the identity and its identifiers are written in one transaction, each identifier
  conditional on not existing, so two concurrent requests with the same new identifier end with one
  identity (the loser of the race resolves again and finds it);
* one identity found: identifiers it does not own yet are claimed in one conditional transaction;
* several found (a request links identifiers of two people): they merge into the oldest (ids are UUIDv7,
  so the smallest id is the oldest) and the rest become redirects.

A merge, in an order that keeps every step idempotent and every read consistent if it stops half-way:
1. the survivor records the loser in `merged_ids` (reads of the survivor's logs include the loser's
   partition from then on) and takes the loser's profile fields it lacks (never overwriting its own);
2. the loser's identifiers are repointed to the survivor (each conditional on still naming the loser);
3. the loser's devices move to the survivor;
4. the loser is marked `merged` with `merged_into`, conditional on still being active. If another merge
   got there first, resolution starts again and merges what remains, so competing merges converge on the
   oldest identity of all.
The loser item's change to `merged` reaches the table's stream, where what other domains keep per
identity (balances, progress, referrals) is consolidated once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from questline import clock
from questline.errors import NotFound, Retryable
from questline.identity.identifiers import Identifier
from questline.ids import new_id
from questline.storage import get_table, keys
from questline.storage.keys import GSI1
from questline.storage.table import ConditionFailed, TxPut, Update, equals, not_exists

MAX_ATTEMPTS = 6
MAX_REDIRECTS = 16
PROFILE_FIELDS = ("email", "phone", "timezone", "locale", "name", "avatar")


class Resolved(NamedTuple):
    identity_id: str
    created: bool = False
    merged: tuple[str, ...] = ()  # identities merged into this one by this resolution
    item: dict[str, Any] | None = None  # the identity item, when this resolution read or wrote it


class _Again(Exception):
    """Internal: the graph changed under this resolution; look again."""


def new_identity_item(entity_id: str, identity_id: str | None = None) -> dict[str, Any]:
    identity_id = identity_id or new_id()
    return {
        **keys.identity(entity_id, identity_id),
        "type": "identity",
        "entity_id": entity_id,
        "identity_id": identity_id,
        "status": "active",
        "claimed": False,
        "data": {},
        "created_at": clock.iso(),
    }


def identifier_item(entity_id: str, identity_id: str, identifier: Identifier) -> dict[str, Any]:
    return {
        **keys.identifier(entity_id, identifier.key),
        **keys.identifier_listing(entity_id, identity_id, identifier.key),
        "type": "identifier",
        "entity_id": entity_id,
        "identity_id": identity_id,
        "kind": identifier.kind,
        "value": identifier.value,
        "created_at": clock.iso(),
    }


def resolve(
    entity_id: str,
    identifiers: Sequence[Identifier],
    *,
    identity_id: str | None = None,
    create: bool = True,
    need_item: bool = False,
) -> Resolved:
    """The identity these identifiers (and `identity_id`, when a client names one) belong to.

    `create=False` answers 404 instead of creating an identity. `need_item=True` guarantees the
    identity item in the answer (callers that report state such as `claimed`).
    """
    wanted = list({i.key: i for i in identifiers}.values())
    if not wanted and identity_id is None:
        if not create:
            raise NotFound("no identity key was given")
        return _create(entity_id, [])
    for _ in range(MAX_ATTEMPTS):
        try:
            return _resolve_once(entity_id, wanted, identity_id, create, need_item)
        except _Again:
            continue
    raise Retryable("the identity graph is busy with concurrent changes; try again")


def _resolve_once(
    entity_id: str, wanted: list[Identifier], explicit: str | None, create: bool, need_item: bool
) -> Resolved:
    table = get_table()
    lookups = [keys.identifier(entity_id, i.key) for i in wanted]
    if explicit is not None:
        lookups.append(keys.identity(entity_id, explicit))
    found = table.batch_get(lookups) if lookups else []
    owners = {
        f"{i['kind']}#{i['value']}": str(i["identity_id"]) for i in found if i.get("type") == "identifier"
    }
    identities = {str(i["identity_id"]): i for i in found if i.get("type") == "identity"}
    if explicit is not None and explicit not in identities:
        raise NotFound(f"identity {explicit} does not exist", field="identityId")

    candidates = set(owners.values()) | ({explicit} if explicit else set())
    if not candidates:
        if not create:
            raise NotFound("no identity has these identifiers")
        try:
            return _create(entity_id, wanted)
        except ConditionFailed:
            raise _Again from None

    if len(candidates) == 1 and not need_item and explicit is None:
        # The common case: identifiers point at their (active) identity; no identity read needed.
        (survivor_id,) = candidates
        _claim_missing(entity_id, survivor_id, wanted, owners)
        return Resolved(survivor_id)

    actives = _follow_redirects(entity_id, candidates, identities)
    survivor_id = min(actives)
    survivor = actives[survivor_id]
    merged = []
    for loser_id in sorted(set(actives) - {survivor_id}):
        _merge(entity_id, survivor, actives[loser_id])
        merged.append(loser_id)
    for (
        key,
        owner,
    ) in owners.items():  # identifiers still naming a merged identity: point them at the survivor
        if owner not in actives and owner != survivor_id:
            _repoint(entity_id, key, owner, survivor_id)
    _claim_missing(entity_id, survivor_id, wanted, owners)
    if merged:
        survivor = table.get(keys.identity(entity_id, survivor_id), consistent=True) or survivor
    return Resolved(survivor_id, merged=tuple(merged), item=survivor)


def _follow_redirects(
    entity_id: str, candidates: Iterable[str], known: Mapping[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Active identity items for the candidates, following `merged_into` from merged ones."""
    table = get_table()
    items = dict(known)
    actives: dict[str, dict[str, Any]] = {}
    frontier = set(candidates)
    for _ in range(MAX_REDIRECTS):
        missing = [c for c in frontier if c not in items]
        if missing:
            for read in table.batch_get([keys.identity(entity_id, c) for c in missing]):
                items[str(read["identity_id"])] = read
        following: set[str] = set()
        for candidate in frontier:
            found = items.get(candidate)
            if found is None:
                continue
            target = found.get("merged_into") if found.get("status") == "merged" else None
            if target:
                following.add(str(target))
            else:
                actives[candidate] = found
        frontier = following - set(actives)
        if not frontier:
            break
    if not actives:
        raise _Again
    return actives


def _create(entity_id: str, wanted: Sequence[Identifier]) -> Resolved:
    item = new_identity_item(entity_id)
    identity_id = str(item["identity_id"])
    operations: list[Any] = [TxPut(item, condition=not_exists())]
    operations += [TxPut(identifier_item(entity_id, identity_id, i), condition=not_exists()) for i in wanted]
    get_table().transact_write(operations)
    return Resolved(identity_id, created=True, item=item)


def _claim_missing(
    entity_id: str, identity_id: str, wanted: Sequence[Identifier], owners: Mapping[str, str]
) -> None:
    missing = [i for i in wanted if i.key not in owners]
    if not missing:
        return
    try:
        get_table().transact_write(
            [TxPut(identifier_item(entity_id, identity_id, i), condition=not_exists()) for i in missing]
        )
    except ConditionFailed:
        raise _Again from None  # claimed concurrently by someone: resolve again (and merge)


def _repoint(entity_id: str, identifier_key: str, from_id: str, to_id: str) -> None:
    listing: dict[Any, Any] = dict(keys.identifier_listing(entity_id, to_id, identifier_key))
    # Already repointed (or repointed elsewhere by a competing merge, which converges later): nothing to do.
    with contextlib.suppress(ConditionFailed):
        get_table().update(
            keys.identifier(entity_id, identifier_key),
            Update(set={"identity_id": to_id, **listing}),
            condition=equals("identity_id", from_id),
            return_values="NONE",
        )


def _merge(entity_id: str, survivor: dict[str, Any], loser: dict[str, Any]) -> None:
    table = get_table()
    survivor_id, loser_id = str(survivor["identity_id"]), str(loser["identity_id"])
    # 1. the survivor answers for the loser from now on, and takes the profile fields it lacks
    absorbed = {loser_id, *map(str, loser.get("merged_ids") or ())}
    fold: dict[Any, Any] = {field: loser[field] for field in PROFILE_FIELDS if loser.get(field) is not None}
    fold.update({("data", key): value for key, value in (loser.get("data") or {}).items()})
    table.update(
        keys.identity(entity_id, survivor_id),
        Update(
            set={"claimed": True} if loser.get("claimed") else {},
            set_if_absent=fold,
            add={"merged_ids": absorbed},
        ),
        return_values="NONE",
    )
    # 2. its identifiers now name the survivor
    start = None
    while True:
        page = table.query(keys.identifiers_of(entity_id, loser_id), index=GSI1, start_key=start)
        for item in page.items:
            _repoint(entity_id, f"{item['kind']}#{item['value']}", loser_id, survivor_id)
        if page.last_key is None:
            break
        start = page.last_key
    # 3. its devices move
    _move_devices(entity_id, loser_id, survivor_id)
    # 4. it becomes a redirect, once
    try:
        table.update(
            keys.identity(entity_id, loser_id),
            Update(set={"status": "merged", "merged_into": survivor_id, "merged_at": clock.iso()}),
            condition=equals("status", "active"),
            return_values="NONE",
        )
    except ConditionFailed:
        raise _Again from None


def _move_devices(entity_id: str, from_id: str, to_id: str) -> None:
    table = get_table()
    page = table.query(keys.identity_partition(entity_id, from_id), begins_with=keys.DEVICE_PREFIX)
    moved = [
        {**item, **keys.device(entity_id, to_id, str(item["device_id"])), "identity_id": to_id}
        for item in page.items
    ]
    if moved:
        table.batch_write(
            puts=moved, deletes=[keys.device(entity_id, from_id, str(i["device_id"])) for i in page.items]
        )
        pushes = [
            {
                **keys.push_token(entity_id, str(i["token_hash"])),
                "type": "push_token",
                "entity_id": entity_id,
                "identity_id": to_id,
                "device_id": i["device_id"],
            }
            for i in moved
            if i.get("token_hash")
        ]
        if pushes:
            table.batch_write(puts=pushes)


def read_identity(entity_id: str, identity_id: str) -> dict[str, Any]:
    """The identity a client names, following redirects: reads through a merged id answer for the
    survivor. 404 when it never existed."""
    table = get_table()
    current = identity_id
    for _ in range(MAX_REDIRECTS):
        item = table.get(keys.identity(entity_id, current))
        if item is None:
            raise NotFound(f"identity {identity_id} does not exist", field="identityId")
        if item.get("status") != "merged" or not item.get("merged_into"):
            return item
        current = str(item["merged_into"])
    raise Retryable("identity redirects do not settle; try again")


def partitions_of(item: Mapping[str, Any]) -> list[str]:
    """The identity ids whose timelines make up this identity's: its own and every merged one's."""
    return [str(item["identity_id"]), *sorted(map(str, item.get("merged_ids") or ()))]
