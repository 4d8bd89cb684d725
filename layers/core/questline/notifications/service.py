"""The Parcelvoy SDKs' in-app surface: a person's notifications, found from the ids the SDK sends.

Who is asking: a key of the entity (`pk_` from an app, `sk_` from the integrator's server) with the person
named by `x-external-id` / `x-anonymous-id` (or `external_id` / `anonymous_id` in a body), as Parcelvoy
answers; or the person's own widget token (`wt_`, which `GET /token` issues with the secret key), which
names the person itself (ids sent with it must be that person's: 403 otherwise). The person is looked up,
never created or linked: the external id first (as Parcelvoy's server prefers the user matching it), then
the anonymous id, each one read of an identifier. Someone nobody knows has no notifications (an empty
page, the same answer as a person without any, so a lookup tells nothing about who exists).

A publishable key is public: with it and a person's external id anyone can read that person's unread
notifications and mark them read (as with Parcelvoy), nothing more: no ids of the person are answered,
nothing else is written. A campaign whose templates say `require_user_token` keeps its notifications from
publishable keys: only the secret key or the person's widget token reads them.
"""

from __future__ import annotations

from typing import NamedTuple

from questline.auth import Principal
from questline.auth.principal import CredentialKind
from questline.errors import BadRequest, Forbidden, NotFound
from questline.identity import identifiers
from questline.identity.graph import resolve
from questline.notifications import inbox

DEFAULT_LIMIT = 25  # Parcelvoy's page
MAX_LIMIT = 100


class Person(NamedTuple):
    entity_id: str
    identity_id: str | None  # None: nobody known by these ids
    public: bool  # asked with a publishable key


def _known(entity_id: str, identifier: identifiers.Identifier) -> str | None:
    try:
        return resolve(entity_id, [identifier], create=False).identity_id
    except NotFound:
        return None


def person_of(caller: Principal, external_id: str | None, anonymous_id: str | None) -> Person:
    entity_id = str(caller.entity_id)
    external_id, anonymous_id = external_id or None, anonymous_id or None
    widget = caller.kind is CredentialKind.WIDGET_TOKEN
    if external_id is None and anonymous_id is None:
        if widget:
            return Person(entity_id, str(caller.user_id), public=False)
        raise BadRequest("x-external-id or x-anonymous-id is required", field="external_id")
    found = _known(entity_id, identifiers.external_id(external_id)) if external_id else None
    if found is None and anonymous_id:
        found = _known(entity_id, identifiers.anonymous_id(anonymous_id))
    if widget and found != caller.user_id:
        raise Forbidden("a widget token reads only its own user's notifications", field="external_id")
    return Person(entity_id, found, public=caller.kind is CredentialKind.PUBLISHABLE_KEY)


def notifications_page(
    caller: Principal,
    external_id: str | None,
    anonymous_id: str | None,
    *,
    cursor: str | None,
    limit: int,
    include_read: bool,
) -> inbox.InboxPage:
    person = person_of(caller, external_id, anonymous_id)
    if person.identity_id is None:
        return inbox.InboxPage([], None)
    return inbox.page(
        person.entity_id,
        person.identity_id,
        unread_only=not include_read,
        public=person.public,
        cursor=_cursor(cursor),
        limit=limit,
    )


def mark_read(
    caller: Principal, external_id: str | None, anonymous_id: str | None, notification: int
) -> None:
    person = person_of(caller, external_id, anonymous_id)
    if person.identity_id is None:
        raise NotFound(f"notification {notification} not found", field="id")
    inbox.mark_read(person.entity_id, person.identity_id, notification, public=person.public)


def _cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    if not cursor.isdigit() or len(cursor) > 16 or int(cursor) > inbox.MAX_ID:
        raise BadRequest("cursor is not a cursor of this list", field="cursor")
    return int(cursor)
