"""Ingestion, whatever the surface: resolve each event's identity in the one graph, write its log, count
the identity as active this month.

A batch reads every identifier it mentions in as few BatchGetItem calls as there are hundreds of keys;
events whose identifiers all name one identity need nothing more, the rest resolve one by one (creating,
claiming or merging). Logs then go out in batch writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from questline.events.logs import LogInput, Recorded, write_log, write_logs
from questline.identity.authority import Authority
from questline.identity.graph import owners_of, resolve
from questline.identity.identifiers import Identifier
from questline.identity.profiles import check_traits, update_profile
from questline.tenancy.mau import record_monthly_activity


class EventIn(NamedTuple):
    identifiers: tuple[Identifier, ...]
    log: LogInput
    identity_id: str | None = None  # an identity the client names (HeyMint identityId, Endu c_user_id)
    profile: Mapping[str, str | None] | None = None  # profile fields to set first (Parcelvoy `user`)
    traits: Mapping[str, Any] | None = None  # traits to merge first (Parcelvoy `user.data`)


def resolve_batch(
    entity_id: str,
    requests: Sequence[tuple[tuple[Identifier, ...], str | None]],
    authority: Authority = Authority.SECRET,
) -> list[str]:
    """The identity of each (identifiers, named identity) request, reading all identifiers at once."""
    distinct = list({i.key: i for identifiers, _ in requests for i in identifiers}.values())
    owners, _ = owners_of(entity_id, distinct)
    answers: dict[tuple[tuple[str, ...], str | None], str] = {}
    resolved: list[str] = []
    for identifiers, named in requests:
        signature = (tuple(sorted(i.key for i in identifiers)), named)
        if signature not in answers:
            found = {owners.get(i.key) for i in identifiers}
            if named is None and len(found) == 1 and None not in found:
                answers[signature] = str(found.pop())
            else:
                found_one = resolve(entity_id, identifiers, identity_id=named, authority=authority)
                answers[signature] = found_one.identity_id
                for identifier in identifiers:  # later requests in this batch see what this one claimed
                    if identifier.key not in found_one.refused:
                        owners.setdefault(identifier.key, answers[signature])
        resolved.append(answers[signature])
    return resolved


def ingest(
    entity_id: str, events: Sequence[EventIn], authority: Authority = Authority.SECRET
) -> list[Recorded]:
    """Resolve each event's person under the caller's `authority` (what it may link), then log it."""
    for event in events:  # traits no person could store are refused before anyone is resolved
        if event.traits:
            check_traits(event.traits)
    identities = resolve_batch(entity_id, [(e.identifiers, e.identity_id) for e in events], authority)
    for identity_id, event in zip(identities, events, strict=True):
        if event.profile or event.traits:
            update_profile(entity_id, identity_id, fields=event.profile or {}, traits=event.traits)
    recorded = write_logs(entity_id, [(i, e.log) for i, e in zip(identities, events, strict=True)])
    for identity_id in dict.fromkeys(identities):
        record_monthly_activity(entity_id, identity_id)
    return recorded


def ingest_one(entity_id: str, identity_id: str, log: LogInput) -> Recorded:
    """A log for an identity already resolved (HeyMint names it), counted for MAU."""
    recorded = write_log(entity_id, identity_id, log)
    if not recorded.repeated:
        record_monthly_activity(entity_id, identity_id)
    return recorded
