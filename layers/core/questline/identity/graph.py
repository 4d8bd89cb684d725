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
from questline.identity import surface
from questline.identity.authority import (
    Authority,
    Holdings,
    LinkConflict,
    attach_refusal,
    holdings_of,
    merge_refusal,
    record_conflicts,
)
from questline.identity.identifiers import Identifier, legacy_keys
from questline.identity.names import KNOWN_FIELDS, known_as, missing_from
from questline.identity.profiles import fold_within_cap
from questline.ids import new_id
from questline.storage import get_table, keys
from questline.storage.keys import GSI1
from questline.storage.table import ConditionFailed, TxPut, TxUpdate, Update, equals, exists, not_exists
from questline.tenancy import limits

MAX_ATTEMPTS = 6
MAX_REDIRECTS = 16
PROFILE_FIELDS = ("email", "phone", "timezone", "locale", "name", "avatar")
ERASED = frozenset({"erasing", "erased"})  # an identity being erased, or erased: it answers for nobody


class Resolved(NamedTuple):
    identity_id: str
    created: bool = False
    merged: tuple[str, ...] = ()  # identities merged into this one by this resolution
    item: dict[str, Any] | None = None  # the identity item, when this resolution read or wrote it
    conflicts: tuple[LinkConflict, ...] = ()  # links the caller's authority did not allow (recorded)
    refused: frozenset[str] = frozenset()  # keys of identifiers left unlinked


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
        **({"surface": linked_through} if (linked_through := surface.current()) else {}),
    }


def resolve(
    entity_id: str,
    identifiers: Sequence[Identifier],
    *,
    identity_id: str | None = None,
    create: bool = True,
    need_item: bool = False,
    authority: Authority = Authority.SECRET,
) -> Resolved:
    """The identity these identifiers (and `identity_id`, when a client names one) belong to.

    `identifiers` come most telling first: the request acts on the person of the first one (Parcelvoy's
    external id before its anonymous id). `create=False` answers 404 instead of creating an identity.
    `need_item=True` guarantees the identity item in the answer (callers that report state such as
    `claimed`). `authority` is what the caller may link (`questline.identity.authority`): a link it may
    not make is recorded as a conflict on the identities involved and left undone.
    """
    wanted = list({i.key: i for i in identifiers}.values())
    if not wanted and identity_id is None:
        if not create:
            raise NotFound("no identity key was given")
        return _create(entity_id, [])
    for _ in range(MAX_ATTEMPTS):
        try:
            resolved = _resolve_once(entity_id, wanted, identity_id, create, need_item, authority)
        except _Again:
            continue
        if resolved.conflicts:
            record_conflicts(entity_id, resolved.conflicts, authority)
        return resolved
    raise Retryable("the identity graph is busy with concurrent changes; try again")


def _resolve_once(
    entity_id: str,
    wanted: list[Identifier],
    explicit: str | None,
    create: bool,
    need_item: bool,
    authority: Authority,
) -> Resolved:
    owners, identities = owners_of(entity_id, wanted, identity_id=explicit)
    if explicit is not None and explicit not in identities:
        raise NotFound(f"identity {explicit} does not exist", field="identityId")

    candidates = set(owners.values()) | ({explicit} if explicit else set())
    if not candidates:
        if not create:
            raise NotFound("no identity has these identifiers")
        return _create_or_again(entity_id, wanted)

    if len(candidates) == 1 and not need_item and explicit is None and len(owners) == len(wanted):
        # The common case: every identifier already names one identity; nothing to read or link.
        (owner_id,) = candidates
        return Resolved(owner_id)

    actives, root_of = _follow_redirects(entity_id, candidates, identities)
    return _Linking(entity_id, wanted, explicit, authority, owners, actives, root_of).run(create)


class _Linking:
    """One resolution that reads or links more than the common case: decides whom the request acts on,
    merges what the caller's authority allows, claims the new identifiers it allows, and lists the rest
    as conflicts."""

    def __init__(
        self,
        entity_id: str,
        wanted: list[Identifier],
        explicit: str | None,
        authority: Authority,
        owners: dict[str, str],
        actives: dict[str, dict[str, Any]],
        root_of: dict[str, str],
    ) -> None:
        self.entity_id, self.wanted, self.explicit, self.authority = entity_id, wanted, explicit, authority
        self.owners, self.actives, self.root_of = owners, actives, root_of
        self.holdings: dict[str, Holdings] = {}
        self.conflicts: list[LinkConflict] = []
        self.final: dict[str, str] = {a: a for a in actives}  # active identity -> the one it merged into
        self.named = explicit is not None

    def held(self, identity_id: str) -> Holdings:
        if identity_id not in self.holdings:
            self.holdings[identity_id] = holdings_of(
                self.entity_id, self.actives[identity_id], balance=self.authority.is_public
            )
        return self.holdings[identity_id]

    def owner_of(self, identifier: Identifier) -> str | None:
        owner = self.owners.get(identifier.key)
        return None if owner is None else self.final[self.root_of[owner]]

    def run(self, create: bool) -> Resolved:
        target, created = self.target(create)
        survivor_id, merged = self.merge_others(target)
        for key, owner in self.owners.items():  # identifiers still naming a redirect: point them onwards
            current = self.final[self.root_of[owner]]
            if owner not in self.actives and owner != current:
                _repoint(self.entity_id, key, owner, current)
        refused = self.claim_new(survivor_id)
        item = self.actives.get(survivor_id)
        if merged or item is None:
            item = get_table().get(keys.identity(self.entity_id, survivor_id), consistent=True) or item
        return Resolved(
            survivor_id,
            created=created,
            merged=tuple(merged),
            item=item,
            conflicts=tuple(self.conflicts),
            refused=frozenset(refused),
        )

    def target(self, create: bool) -> tuple[str, bool]:
        """Whom the request acts on: the identity it names, else the owner of its first identifier. A first
        identifier that may not join the owner of the others is a new person (Parcelvoy's shared device:
        the external id's person)."""
        if self.explicit is not None:
            return self.root_of[self.explicit], False
        first = self.wanted[0]
        if first.key in self.owners:
            return self.root_of[self.owners[first.key]], False
        first_owned = next(self.root_of[self.owners[i.key]] for i in self.wanted if i.key in self.owners)
        if attach_refusal(self.authority, first, self.held(first_owned), named=False) is None:
            return first_owned, False
        if not create:
            raise NotFound("no identity has these identifiers")
        alone = Holdings.of([first])
        fresh = [first] + [
            i
            for i in self.wanted[1:]
            if i.key not in self.owners
            and attach_refusal(self.authority, i, alone, named=False, before=Holdings()) is None
        ]
        made = _create_or_again(self.entity_id, fresh)
        target = made.identity_id
        self.actives[target] = made.item or new_identity_item(self.entity_id, target)
        self.holdings[target] = Holdings.of(fresh)._replace(size=1)
        self.root_of[target] = self.final[target] = target
        for identifier in fresh:
            self.owners[identifier.key] = target
        return target, True

    def merge_others(self, target: str) -> tuple[str, list[str]]:
        """The other identities the request names join the target where the rules allow."""
        survivor_id = target
        merged: list[str] = []
        for identifier in self.wanted:
            other = self.owner_of(identifier)
            if other is None or other == survivor_id:
                continue
            reason = merge_refusal(self.authority, self.held(survivor_id), self.held(other), named=self.named)
            if reason is not None:
                if not any(c.other_id == other for c in self.conflicts):
                    self.conflicts.append(LinkConflict(survivor_id, other, reason, identifier))
                continue
            keep, lose = sorted((survivor_id, other))
            _merge(self.entity_id, self.actives[keep], self.actives[lose])
            merged.append(lose)
            self.holdings[keep] = self.held(keep).joined(self.held(lose))
            absorbed = {lose, *self.actives[lose].get("merged_ids", ())}
            self.actives[keep] = {
                **self.actives[keep],
                "merged_ids": {*self.actives[keep].get("merged_ids", ()), *absorbed},
            }
            for name, value in self.final.items():
                if value == lose:
                    self.final[name] = keep
            survivor_id = keep
        return survivor_id, merged

    def claim_new(self, survivor_id: str) -> set[str]:
        """New identifiers join the survivor where the rules allow; the keys of those refused."""
        claims: list[Identifier] = []
        refused: set[str] = set()
        have = before = self.held(survivor_id)
        for identifier in self.wanted:
            if identifier.key in self.owners:
                continue
            reason = attach_refusal(self.authority, identifier, have, named=self.named, before=before)
            if reason is None:
                claims.append(identifier)
                have = have.joined(Holdings.of([identifier]))
            else:
                refused.add(identifier.key)
                self.conflicts.append(LinkConflict(survivor_id, None, reason, identifier))
        _claim(self.entity_id, survivor_id, claims, missing_from(self.actives[survivor_id], claims))
        return refused


def owners_of(
    entity_id: str, identifiers: Sequence[Identifier], *, identity_id: str | None = None
) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Who owns each identifier (by key), and the identity item `identity_id` names (when it exists): one
    BatchGetItem per hundred keys. An integrator user id still stored under a legacy key (Parcelvoy's
    `ext#`, claimr's `acct#internal#`) counts as owned by that identity, and is claimed under its `uid` key
    for it on the way (a conditional put; a loser of that race finds the winner next time)."""
    lookups = {i.key: keys.identifier(entity_id, i.key) for i in identifiers}
    legacy = {old: i for i in identifiers for old in legacy_keys(i)}
    lookups.update({old: keys.identifier(entity_id, old) for old in legacy})
    wanted = list(lookups.values())
    if identity_id is not None:
        wanted.append(keys.identity(entity_id, identity_id))
    found: list[dict[str, Any]] = []
    for start in range(0, len(wanted), 100):
        found += get_table().batch_get(wanted[start : start + 100])
    owners: dict[str, str] = {}
    identities: dict[str, dict[str, Any]] = {}
    for item in found:
        if item.get("type") == "identity":
            if item.get("status") not in ERASED:
                identities[str(item["identity_id"])] = item
        elif item.get("type") == "identifier":
            owners[f"{item['kind']}#{item['value']}"] = str(item["identity_id"])
    for old, identifier in legacy.items():
        if old in owners and identifier.key not in owners:
            owners[identifier.key] = owners[old]
            with contextlib.suppress(ConditionFailed):
                get_table().put_new(identifier_item(entity_id, owners[old], identifier))
                get_table().update(  # and the person is named by it (`questline.identity.names`)
                    keys.identity(entity_id, owners[old]),
                    Update(set_if_absent=known_as([identifier])),
                    condition=exists(),
                    return_values="NONE",
                )
    return {key: owner for key, owner in owners.items() if key not in legacy}, identities


def _follow_redirects(
    entity_id: str, candidates: Iterable[str], known: Mapping[str, dict[str, Any]]
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Active identity items for the candidates, following `merged_into` from merged ones, and the active
    identity each candidate resolves to."""
    table = get_table()
    items = dict(known)
    root_of: dict[str, str] = {}
    positions = {c: c for c in candidates}  # candidate -> where its redirects have led so far
    for _ in range(MAX_REDIRECTS):
        unread = {p for p in positions.values() if p not in items}
        if unread:
            for read in table.batch_get([keys.identity(entity_id, p) for p in unread]):
                items[str(read["identity_id"])] = read
        moving: dict[str, str] = {}
        for candidate, position in positions.items():
            found = items.get(position)
            if found is None or found.get("status") in ERASED:
                raise _Again  # an identity is being erased under this resolution: its identifiers go
            target = found.get("merged_into") if found.get("status") == "merged" else None
            if target:
                moving[candidate] = str(target)
            else:
                root_of[candidate] = position
        positions = moving
        if not positions:
            break
    if positions:
        raise _Again
    return {root: items[root] for root in root_of.values()}, root_of


def _create_or_again(entity_id: str, wanted: Sequence[Identifier]) -> Resolved:
    try:
        return _create(entity_id, wanted)
    except ConditionFailed:
        raise _Again from None


def _create(entity_id: str, wanted: Sequence[Identifier]) -> Resolved:
    item = {**new_identity_item(entity_id), **known_as(wanted)}
    identity_id = str(item["identity_id"])
    operations: list[Any] = [TxPut(item, condition=not_exists())]
    operations += [TxPut(identifier_item(entity_id, identity_id, i), condition=not_exists()) for i in wanted]
    charge = limits.charge_identity(entity_id)  # the caller's plan's daily quota (429 when used up)
    try:
        get_table().transact_write(operations)
    except Exception:
        limits.refund_identity(charge)  # nobody was created (a concurrent request made them first)
        raise
    return Resolved(identity_id, created=True, item=item)


def _claim(entity_id: str, identity_id: str, claims: Sequence[Identifier], known: Mapping[str, Any]) -> None:
    """Claim identifiers for an identity, and name it by those of a kind it had none of
    (`questline.identity.names`), in one conditional transaction."""
    if not claims:
        return
    operations: list[Any] = [
        TxPut(identifier_item(entity_id, identity_id, i), condition=not_exists()) for i in claims
    ]
    if known:
        operations.append(
            TxUpdate(
                keys.identity(entity_id, identity_id), Update(set_if_absent=dict(known)), condition=exists()
            )
        )
    try:
        get_table().transact_write(operations)
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
    fold: dict[Any, Any] = {
        field: loser[field] for field in (*PROFILE_FIELDS, *KNOWN_FIELDS) if loser.get(field) is not None
    }
    # the loser's traits the survivor lacks, as many as the survivor's cap holds (its own traits win)
    folded = fold_within_cap(survivor.get("data") or {}, loser.get("data") or {})
    fold.update({("data", key): value for key, value in folded.items()})
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
        if item is None or item.get("status") in ERASED:
            raise NotFound(f"identity {identity_id} does not exist", field="identityId")
        if item.get("status") != "merged" or not item.get("merged_into"):
            return item
        current = str(item["merged_into"])
    raise Retryable("identity redirects do not settle; try again")


def partitions_of(item: Mapping[str, Any]) -> list[str]:
    """The identity ids whose timelines make up this identity's: its own and every merged one's."""
    return [str(item["identity_id"]), *sorted(map(str, item.get("merged_ids") or ()))]
