"""Entities (tenants): create, read, list, update, enable, plan, delete, organizations, theme.

An entity is created by a platform user, who becomes its OWNER, in one transaction with everything that
must hold with it: the owner's membership, the claim on its `entityURLAlias` (unique), its place under a
parent (organizations; the creator must be the parent's owner or admin) and, unless entities are enabled
automatically, its place in the operator's pending list. It has no keys until it is enabled.

Deleting an entity marks its item `deleted` (it leaves every listing and every route answers 404 for it),
revokes its keys, releases its alias and its place under its parent, all in one transaction; then its
memberships, connections and custom ids are removed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from questline import clock
from questline.auth import CredentialKind, Principal, forget_principals
from questline.errors import BadRequest, Forbidden, NotFound, QuestlineError, Retryable
from questline.ids import prefixed_id
from questline.links import link_problem
from questline.settings import get_settings
from questline.storage import get_table, keys
from questline.storage.table import (
    ConditionFailed,
    TxCheck,
    TxDelete,
    TxPut,
    TxUpdate,
    Update,
    equals,
    exists,
    not_exists,
)
from questline.storage.transaction import MAX_OPERATIONS, Transaction
from questline.tenancy.access import (
    DELETED,
    MANAGE,
    OWNERSHIP,
    READ,
    Role,
    entity_not_found,
    is_live,
    live,
    load_entity,
    membership_checks,
    role_in,
    screen,
)
from questline.tenancy.keys import IssuedKey, issue_key, key_refs, revocations
from questline.tenancy.members import membership_item
from questline.tenancy.paging import Window, read_window

logger = logging.getLogger(__name__)

THEME_LINKS = frozenset({"logoUrl", "faviconUrl"})
PENDING = "pending"
ENABLED = "enabled"
DELETE_ATTEMPTS = 4
PURGED_PREFIXES = (
    keys.MEMBER_PREFIX,
    keys.SOCIAL_PREFIX,
    keys.CUSTOM_ID_PREFIX,
    keys.KEY_REF_PREFIX,
    keys.CHILD_PREFIX,
)


class CreatedEntity(NamedTuple):
    entity: dict[str, Any]
    secret_key: IssuedKey
    publishable_key: IssuedKey


def normalise_alias(alias: str) -> str:
    return alias.strip().lower()


def new_entity_item(
    *, name: str, status: str, owner_user_id: str | None = None, **fields: Any
) -> dict[str, Any]:
    entity_id = prefixed_id("e")
    now = clock.iso()
    return {
        **keys.entity(entity_id),
        **keys.entity_directory(entity_id),
        "type": "entity",
        "entity_id": entity_id,
        "name": name,
        "status": status,
        "plan": "FREE",
        "owner_user_id": owner_user_id,
        "key_seq": 0,
        "created_at": now,
        "updated_at": now,
        "enabled_at": now if status == ENABLED else None,
        **fields,
    }


def create_enabled_entity(name: str, *, owner_user_id: str | None = None) -> CreatedEntity:
    """An enabled entity with one `sk_` and one `pk_` key, written in one transaction (the operator's
    bootstrap command; the API creates entities with `create_entity`)."""
    entity = new_entity_item(name=name, status=ENABLED, owner_user_id=owner_user_id, key_seq=2)
    entity_id = entity["entity_id"]
    secret = issue_key(entity_id, CredentialKind.SECRET_KEY, name="default secret key")
    publishable = issue_key(entity_id, CredentialKind.PUBLISHABLE_KEY, name="default publishable key")
    transaction = Transaction().add(TxPut(entity, condition=not_exists()))
    for write in [*secret.writes(), *publishable.writes()]:
        transaction.add(write)
    if owner_user_id is not None:
        owner = membership_item(entity_id, owner_user_id, Role.OWNER)
        transaction.add(TxPut(owner, condition=not_exists()))
    transaction.commit()
    return CreatedEntity(entity=entity, secret_key=secret, publishable_key=publishable)


def get_entity(entity_id: str) -> dict[str, Any]:
    item = get_table().get(keys.entity(entity_id))
    if not is_live(item):
        raise entity_not_found(entity_id)
    assert item is not None
    return item


def read_entity(caller: Principal, entity_id: str) -> dict[str, Any]:
    return load_entity(caller, entity_id, READ)


def _reread(entity_id: str) -> dict[str, Any]:
    item = get_table().get(keys.entity(entity_id), consistent=True)
    if not is_live(item):
        raise entity_not_found(entity_id)
    assert item is not None
    return item


# --- create -----------------------------------------------------------------------------------------


def create_entity(
    caller: Principal,
    profile: Mapping[str, Any],
    *,
    alias: str | None = None,
    parent_entity_id: str | None = None,
) -> dict[str, Any]:
    """A new entity owned by the calling platform user: pending until the operator enables it, unless
    this deployment enables entities automatically."""
    if caller.kind is not CredentialKind.PLATFORM_USER or caller.user_id is None:
        raise Forbidden("entities are created by a platform user (userid and token)")
    user_id = caller.user_id
    status = ENABLED if get_settings().auto_enable_entities else PENDING
    fields = dict(profile)
    if alias is not None:
        fields["entity_url_alias"] = normalise_alias(alias)
    entity = new_entity_item(
        status=status, owner_user_id=user_id, parent_entity_id=parent_entity_id, **fields
    )
    entity_id = entity["entity_id"]
    transaction = Transaction().add(TxPut(entity, condition=not_exists()))
    transaction.add(TxPut(membership_item(entity_id, user_id, Role.OWNER), condition=not_exists()))
    if alias is not None:
        claim = {
            **keys.entity_alias(fields["entity_url_alias"]),
            "type": "entity_alias",
            "entity_id": entity_id,
            "alias": fields["entity_url_alias"],
        }
        transaction.add(
            TxPut(claim, condition=not_exists()),
            BadRequest("entityURLAlias is taken", field="entityURLAlias"),
        )
    if parent_entity_id is not None:
        transaction.add(
            TxCheck(keys.entity(parent_entity_id), live()),
            NotFound(f"parentEntityId: entity {parent_entity_id} does not exist", field="parentEntityId"),
        )
        transaction.add(
            TxCheck(
                keys.entity_member(parent_entity_id, user_id), role_in(frozenset({Role.OWNER, Role.ADMIN}))
            ),
            Forbidden("only an owner or admin of parentEntityId may create an organization under it"),
        )
        child = {
            **keys.entity_child(parent_entity_id, entity_id),
            "type": "entity_child",
            "entity_id": parent_entity_id,
            "child_entity_id": entity_id,
        }
        transaction.add(TxPut(child, condition=not_exists()))
    if status == PENDING:
        pending = {**keys.pending_entity(entity_id), "type": "entity_pending", "entity_id": entity_id}
        transaction.add(TxPut(pending, condition=not_exists()))
    transaction.commit()
    return {k: v for k, v in entity.items() if v is not None}


# --- list ---------------------------------------------------------------------------------------------


def list_entities(caller: Principal, *, page: int, limit: int, after: str | None = None) -> Window:
    """The operator sees every entity; a platform user the entities it has a role in; a secret key its
    own entity. In creation order."""
    if caller.is_operator:
        return read_window(keys.ENTITY_DIRECTORY, index=keys.GSI1, page=page, limit=limit, after=after)
    if caller.kind is CredentialKind.SECRET_KEY and caller.entity_id is not None:
        entity = get_table().get(keys.entity(caller.entity_id))
        first = page == 1 and (after is None or after < caller.entity_id)
        return Window(items=[entity] if first and is_live(entity) and entity else [], has_more=False)
    if caller.kind is CredentialKind.PLATFORM_USER and caller.user_id is not None:
        window = read_window(
            keys.user_entities_partition(caller.user_id),
            index=keys.GSI1,
            page=page,
            limit=limit,
            after=after,
        )
        return Window(items=entities_by_id([m["entity_id"] for m in window.items]), has_more=window.has_more)
    raise Forbidden("this credential may not list entities")


def entities_by_id(entity_ids: list[str]) -> list[dict[str, Any]]:
    """Live entities, in the order of `entity_ids`."""
    if not entity_ids:
        return []
    found = {item["entity_id"]: item for item in get_table().batch_get([keys.entity(e) for e in entity_ids])}
    return [found[e] for e in entity_ids if is_live(found.get(e))]


def pending_entities(*, page: int, limit: int) -> Window:
    """Entities waiting for the operator (the caller's policy is the operator's)."""
    window = read_window(keys.PENDING_ENTITIES, page=page, limit=limit)
    entities = entities_by_id([p["entity_id"] for p in window.items])
    return Window(items=[e for e in entities if e.get("status") == PENDING], has_more=window.has_more)


def organizations(caller: Principal, entity_id: str, *, page: int, limit: int) -> Window:
    """The child entities of an entity."""
    load_entity(caller, entity_id, READ)
    window = read_window(
        keys.entity_partition(entity_id), begins_with=keys.CHILD_PREFIX, page=page, limit=limit
    )
    return Window(
        items=entities_by_id([c["child_entity_id"] for c in window.items]), has_more=window.has_more
    )


# --- change ---------------------------------------------------------------------------------------------


def update_entity(
    caller: Principal,
    entity_id: str,
    changes: Mapping[str, Any],
    *,
    alias: str | None = None,
    clear_alias: bool = False,
) -> dict[str, Any]:
    """Change an entity's profile. `changes` maps stored attributes to new values (None removes one).
    A new alias is claimed, and the old one released, in the same transaction."""
    membership = membership_checks(caller, entity_id, MANAGE)
    update = dict(changes)
    update["updated_at"] = clock.iso()
    condition = live()
    extra: list[tuple[Any, Any]] = []
    if alias is not None or clear_alias:
        current = get_table().get(keys.entity(entity_id), consistent=True)
        if not is_live(current):
            raise entity_not_found(entity_id)
        assert current is not None
        old = current.get("entity_url_alias")
        new = normalise_alias(alias) if alias is not None else None
        if new != old:
            condition = condition & (
                equals("entity_url_alias", old) if old is not None else not_exists("entity_url_alias")
            )
            update["entity_url_alias"] = new
            if old is not None:
                extra.append(
                    (TxDelete(keys.entity_alias(old), condition=equals("entity_id", entity_id)), None)
                )
            if new is not None:
                claim = {
                    **keys.entity_alias(new),
                    "type": "entity_alias",
                    "entity_id": entity_id,
                    "alias": new,
                }
                extra.append(
                    (
                        TxPut(claim, condition=not_exists()),
                        BadRequest("entityURLAlias is taken", field="entityURLAlias"),
                    )
                )

    def refused(item: dict[str, Any] | None) -> QuestlineError:
        if not is_live(item):
            return entity_not_found(entity_id)
        return Retryable("the entity's alias changed meanwhile; try again")

    transaction = Transaction().add(
        TxUpdate(
            keys.entity(entity_id),
            Update(
                set={name: value for name, value in update.items() if value is not None},
                remove=[name for name, value in update.items() if value is None],
            ),
            condition=condition,
            return_old_on_failure=True,
        ),
        refused,
    )
    transaction.extend(membership)
    transaction.extend(extra)
    transaction.commit()
    return _reread(entity_id)


def set_theme(caller: Principal, entity_id: str, theme: Mapping[str, Any]) -> dict[str, Any]:
    """Replace the entity's theme."""
    transaction = Transaction().add(
        TxUpdate(
            keys.entity(entity_id),
            Update(set={"theme": dict(theme), "updated_at": clock.iso()}),
            condition=live(),
        ),
        entity_not_found(entity_id),
    )
    transaction.extend(membership_checks(caller, entity_id, MANAGE))
    transaction.commit()
    return dict(theme)


def get_theme(entity_id: str) -> dict[str, Any]:
    """The entity's theme (public: a widget reads it before anyone signs in). A link stored before links
    were checked, and unfit to serve, is left out."""
    theme = get_entity(entity_id).get("theme")
    if not isinstance(theme, dict):
        return {}
    return {
        name: value
        for name, value in theme.items()
        if not (name in THEME_LINKS and isinstance(value, str) and link_problem(value) is not None)
    }


def enable_entity(entity_id: str, *, base_name: str | None, base_symbol: str | None) -> dict[str, Any]:
    """The operator enables a pending entity (enabling an enabled one updates its base name and symbol)."""
    now = clock.iso()
    transaction = Transaction().add(
        TxUpdate(
            keys.entity(entity_id),
            Update(
                set={
                    "status": ENABLED,
                    "updated_at": now,
                    "base_name": base_name,
                    "base_symbol": base_symbol,
                },
                set_if_absent={"enabled_at": now},
            ),
            condition=exists() & (equals("status", PENDING) | equals("status", ENABLED)),
        ),
        entity_not_found(entity_id),
    )
    transaction.add(TxDelete(keys.pending_entity(entity_id)))
    transaction.commit()
    return _reread(entity_id)


def set_plan(entity_id: str, plan: str) -> dict[str, Any]:
    """The operator changes an entity's plan."""
    try:
        updated = get_table().update(
            keys.entity(entity_id),
            Update(set={"plan": plan, "updated_at": clock.iso()}),
            condition=live(),
        )
    except ConditionFailed as failed:
        raise entity_not_found(entity_id) from failed
    assert updated is not None
    return updated


# --- delete ---------------------------------------------------------------------------------------------


class _KeysChanged(QuestlineError):
    """A key was issued while the entity was being deleted: read its keys again."""


def delete_entity(caller: Principal, entity_id: str) -> None:
    """Delete an entity (its owner or the operator): its keys stop working and its data becomes
    unreachable at once."""
    screen(caller, entity_id, OWNERSHIP)
    membership = membership_checks(caller, entity_id, OWNERSHIP)
    for attempt in range(DELETE_ATTEMPTS):
        entity = get_table().get(keys.entity(entity_id), consistent=True)
        if not is_live(entity):
            raise entity_not_found(entity_id)
        assert entity is not None
        try:
            _delete_once(entity, membership)
            break
        except _KeysChanged:
            time.sleep(0.05 * (attempt + 1))
    else:
        raise Retryable("keys of this entity are being issued; try again")
    forget_principals(entity_id=entity_id)
    _purge(entity_id)


def _delete_once(entity: dict[str, Any], membership: list[tuple[TxCheck, Any]]) -> None:
    entity_id = entity["entity_id"]
    seq = entity.get("key_seq")
    unchanged = equals("key_seq", seq) if seq is not None else not_exists("key_seq")

    def refused(item: dict[str, Any] | None) -> QuestlineError:
        if not is_live(item):
            return entity_not_found(entity_id)
        return _KeysChanged("keys changed")

    now = clock.iso()
    transaction = Transaction().add(
        TxUpdate(
            keys.entity(entity_id),
            Update(
                set={"status": DELETED, "deleted_at": now, "updated_at": now},
                remove=(keys.GSI1PK, keys.GSI1SK),
            ),
            condition=live() & unchanged,
            return_old_on_failure=True,
        ),
        refused,
    )
    transaction.extend(membership)
    alias = entity.get("entity_url_alias")
    if alias:
        transaction.add(TxDelete(keys.entity_alias(alias), condition=equals("entity_id", entity_id)))
    parent = entity.get("parent_entity_id")
    if parent:
        transaction.add(TxDelete(keys.entity_child(parent, entity_id)))
    if entity.get("status") == PENDING:
        transaction.add(TxDelete(keys.pending_entity(entity_id)))
    revoke = revocations(entity_id, key_refs(entity_id))
    room = MAX_OPERATIONS - len(transaction)
    for operation in revoke[:room]:
        transaction.add(operation)
    transaction.commit()
    # More live keys than one transaction holds (rotations pile up): the rest right after.
    for start in range(room, len(revoke), MAX_OPERATIONS):
        chunk = Transaction()
        for operation in revoke[start : start + MAX_OPERATIONS]:
            chunk.add(operation)
        chunk.commit()


def _purge(entity_id: str) -> None:
    """Remove what a deleted entity owned here: memberships (and so its place in its users' lists), social
    connections and their tokens, custom ids and their claims, key references, links to its children.
    Best effort: every route already answers 404 for the entity, whatever is left."""
    table = get_table()
    doomed: list[dict[str, str]] = []
    try:
        for prefix in PURGED_PREFIXES:
            start: dict[str, Any] | None = None
            while True:
                page = table.query(
                    keys.entity_partition(entity_id), begins_with=prefix, start_key=start, consistent=True
                )
                for item in page.items:
                    doomed.append({keys.PK: item[keys.PK], keys.SK: item[keys.SK]})
                    if item.get("type") == "entity_custom_id":
                        doomed.append(keys.custom_id(item["platform"], item["platform_id"]))
                start = page.last_key
                if start is None:
                    break
        table.batch_write(deletes=doomed)
    except QuestlineError:
        logger.warning("purge of a deleted entity's items failed", extra={"entity_id": entity_id})
