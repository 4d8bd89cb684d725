"""Every key of the single table is built here, and only here.

Item types (the `type` attribute, which the stream's FilterCriteria match on) and their keys:

type              | PK                      | SK                     | GSI1PK                  | GSI1SK
------------------|-------------------------|------------------------|-------------------------|------------
entity            | ENT#{entity_id}         | #META                  | ENTITIES                | {entity_id}
entity_member     | ENT#{entity_id}         | MEMBER#{user_id}       | USER#{user_id}#ENTITIES | {entity_id}
entity_child      | ENT#{parent_id}         | CHILD#{child_id}       |                         |
entity_alias      | ALIAS#{alias}           | #ALIAS                 |                         |
entity_pending    | PENDING                 | {entity_id}            |                         |
custom_id         | CID#{platform}#{id}     | #CID                   |                         |
entity_custom_id  | ENT#{entity_id}         | CID#{platform}#{id}    |                         |
social_connection | ENT#{entity_id}         | SOCIAL#{provider}      |                         |
api_key           | KEY#{sha256}            | #KEY                   | ENT#{entity_id}#KEYS    | {key_id}
api_key_ref       | ENT#{entity_id}         | KEY#{key_id}           |                         |
platform_user     | USER#{user_id}          | #USER                  |                         |
user_email        | USEREMAIL#{email}       | #USEREMAIL             |                         |
webhook           | ENT#{entity_id}         | HOOK#{scope}#{hook_id} |                         |
mau_marker        | MAU#{entity_id}#{month} | ID#{identity_id}       |                         |
mau_counter       | MAU#{entity_id}#{month} | #COUNT                 |                         |

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


ENTITY_DIRECTORY: Final = "ENTITIES"
PENDING_ENTITIES: Final = "PENDING"
MEMBER_PREFIX: Final = "MEMBER#"
CHILD_PREFIX: Final = "CHILD#"
CUSTOM_ID_PREFIX: Final = "CID#"
SOCIAL_PREFIX: Final = "SOCIAL#"
KEY_REF_PREFIX: Final = "KEY#"


def entity_partition(entity_id: str) -> str:
    """The partition of everything an entity owns (its item, members, children, connections, key ids)."""
    return f"ENT#{entity_id}"


def entity(entity_id: str) -> Key:
    return _key(entity_partition(entity_id), "#META")


def entity_directory(entity_id: str) -> Key:
    """GSI1 placement of an entity in the list of all entities (ordered by id, so by creation time)."""
    return {GSI1PK: ENTITY_DIRECTORY, GSI1SK: entity_id}


def entity_member(entity_id: str, user_id: str) -> Key:
    """A platform user's role in an entity (OWNER, ADMIN or MEMBER)."""
    return _key(entity_partition(entity_id), f"{MEMBER_PREFIX}{user_id}")


def user_entities_partition(user_id: str) -> str:
    return f"USER#{user_id}#ENTITIES"


def user_entity_listing(user_id: str, entity_id: str) -> Key:
    """GSI1 placement of a membership in the list of a user's entities."""
    return {GSI1PK: user_entities_partition(user_id), GSI1SK: entity_id}


def entity_child(parent_id: str, child_id: str) -> Key:
    """A child entity (organization) under its parent."""
    return _key(entity_partition(parent_id), f"{CHILD_PREFIX}{child_id}")


def entity_alias(alias: str) -> Key:
    """The claim on an `entityURLAlias` (lower-cased): unique across entities."""
    return _key(f"ALIAS#{alias}", "#ALIAS")


def pending_entity(entity_id: str) -> Key:
    """An entity waiting for the operator to enable it."""
    return _key(PENDING_ENTITIES, entity_id)


def custom_id(platform: str, platform_id: str) -> Key:
    """The claim on a custom entity id (a platform's id for the entity): unique across entities."""
    return _key(f"{CUSTOM_ID_PREFIX}{platform}#{platform_id}", "#CID")


def entity_custom_id(entity_id: str, platform: str, platform_id: str) -> Key:
    """The entity's own record of a custom id, with its tokens."""
    return _key(entity_partition(entity_id), f"{CUSTOM_ID_PREFIX}{platform}#{platform_id}")


def social_connection(entity_id: str, provider: str) -> Key:
    """An entity's connected social account (TWITTER, DISCORD, SLACK, INSTAGRAM) and its tokens."""
    return _key(entity_partition(entity_id), f"{SOCIAL_PREFIX}{provider}")


def api_key(key_hash: str) -> Key:
    return _key(f"KEY#{key_hash}", "#KEY")


def api_key_listing_partition(entity_id: str) -> str:
    return f"ENT#{entity_id}#KEYS"


def api_key_listing(entity_id: str, key_id: str) -> Key:
    return {GSI1PK: api_key_listing_partition(entity_id), GSI1SK: key_id}


def api_key_ref(entity_id: str, key_id: str) -> Key:
    """Where a key's hash is found from its id, read consistently (rotation, revocation, deletion)."""
    return _key(entity_partition(entity_id), f"{KEY_REF_PREFIX}{key_id}")


def platform_user(user_id: str) -> Key:
    return _key(f"USER#{user_id}", "#USER")


def platform_user_email(email: str) -> Key:
    """The claim on an email address (lower-cased): one platform user per address."""
    return _key(f"USEREMAIL#{email}", "#USEREMAIL")


# --- monthly active identities ----------------------------------------------------------------------


def mau_marker(entity_id: str, month: str, identity_id: str) -> Key:
    return _key(f"MAU#{entity_id}#{month}", f"ID#{identity_id}")


def mau_counter(entity_id: str, month: str) -> Key:
    return _key(f"MAU#{entity_id}#{month}", "#COUNT")


# --- webhooks -------------------------------------------------------------------------------------


def webhook(entity_id: str, scope: str, hook_id: str) -> Key:
    return _key(entity_partition(entity_id), f"HOOK#{scope}#{hook_id}")


def webhook_scope_prefix(scope: str) -> str:
    return f"HOOK#{scope}#"


# --- platform -------------------------------------------------------------------------------------


def health_probe() -> Key:
    """A key no item ever has: reading it proves the table answers."""
    return _key("HEALTH", "#PROBE")
