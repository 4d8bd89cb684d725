"""Every key of the single table is built here, and only here.

Item types (the `type` attribute, which the stream's FilterCriteria match on) and their keys:

| type           | PK                  | SK                      | GSI1PK                | GSI1SK        |
|----------------|---------------------|-------------------------|-----------------------|---------------|
| entity         | ENT#{entity_id}     | #META                   | ENTITIES              | {entity_id}   |
| api_key        | KEY#{sha256}        | #KEY                    | ENT#{entity_id}#KEYS  | {key_id}      |
| platform_user  | USER#{user_id}      | #USER                   |                       |               |
| webhook        | ENT#{entity_id}     | HOOK#{scope}#{hook_id}  |                       |               |
| mau_marker     | MAU#{entity_id}#{month} | ID#{identity_id}    |                       |               |
| mau_counter    | MAU#{entity_id}#{month} | #COUNT              |                       |               |

The README's access-pattern table is the reader's version of this one.
"""

from __future__ import annotations

from typing import Final

PK: Final = "PK"
SK: Final = "SK"
GSI1: Final = "GSI1"
GSI1PK: Final = "GSI1PK"
GSI1SK: Final = "GSI1SK"

Key = dict[str, str]


def _key(pk: str, sk: str) -> Key:
    return {PK: pk, SK: sk}


# --- tenancy --------------------------------------------------------------------------------------


def entity(entity_id: str) -> Key:
    return _key(f"ENT#{entity_id}", "#META")


def entity_directory(entity_id: str) -> Key:
    """GSI1 placement of an entity in the list of all entities (ordered by id, so by creation time)."""
    return {GSI1PK: "ENTITIES", GSI1SK: entity_id}


def api_key(key_hash: str) -> Key:
    return _key(f"KEY#{key_hash}", "#KEY")


def api_key_listing(entity_id: str, key_id: str) -> Key:
    return {GSI1PK: f"ENT#{entity_id}#KEYS", GSI1SK: key_id}


def platform_user(user_id: str) -> Key:
    return _key(f"USER#{user_id}", "#USER")


# --- monthly active identities ----------------------------------------------------------------------


def mau_marker(entity_id: str, month: str, identity_id: str) -> Key:
    return _key(f"MAU#{entity_id}#{month}", f"ID#{identity_id}")


def mau_counter(entity_id: str, month: str) -> Key:
    return _key(f"MAU#{entity_id}#{month}", "#COUNT")


# --- webhooks -------------------------------------------------------------------------------------


def entity_partition(entity_id: str) -> str:
    return f"ENT#{entity_id}"


def webhook(entity_id: str, scope: str, hook_id: str) -> Key:
    return _key(entity_partition(entity_id), f"HOOK#{scope}#{hook_id}")


def webhook_scope_prefix(scope: str) -> str:
    return f"HOOK#{scope}#"


# --- platform -------------------------------------------------------------------------------------


def health_probe() -> Key:
    """A key no item ever has: reading it proves the table answers."""
    return _key("HEALTH", "#PROBE")
