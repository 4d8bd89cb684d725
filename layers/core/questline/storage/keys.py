"""Every key of the single table is built here, and only here.

Item types (the `type` attribute, which the stream's FilterCriteria match on), their keys and what each is
read for. `{e}` is the entity id: tenant data always carries it in its partition key, so no key of one
tenant can address another's items. The docs' access-pattern page is generated from this table
(`make docs-tables`): one line `type  PK / SK`, then indented `GSIn PK / SK` lines and `: …` lines.

    entity         ENT#{e} / #META
                   GSI1 ENTITIES / {e}
                   : get an entity (a deleted one stays as a `deleted` tombstone, out of GSI1); list
                   : entities in creation order; its theme is inside
    entity_member  ENT#{e} / MEMBER#{user_id}
                   GSI1 USER#{user_id}#ENTITIES / {e}
                   : a user's role in an entity (one GetItem, or a TxCheck inside a write); an entity's
                   : users and admins (Query, begins_with); a user's entities (GSI1)
    entity_child   ENT#{parent_id} / CHILD#{child_id}
                   : an entity's organizations (Query, begins_with)
    entity_invitation ENT#{e} / INVITE#{invitation_id}
                   GSI1 INVITEE#{email:… or user:…} / {e}
                   : an admin invitation, pending until the invitee accepts or declines (or it expires);
                   : an entity's invitations (Query, begins_with); a person's invitations (GSI1)
    entity_alias   ALIAS#{alias} / #ALIAS
                   : claim an `entityURLAlias` (conditional put in the entity's transaction); look one up
    entity_pending PENDING / {e}
                   : the operator's pending list, in creation order; deleted when the entity is enabled
    custom_id      CID#{platform}#{id} / #CID
                   : claim a custom entity id across entities; look one up
    entity_custom_id ENT#{e} / CID#{platform}#{id}
                   : the entity's record of its custom id, with its tokens (never answered)
    social_connection ENT#{e} / SOCIAL#{provider}
                   : one provider's tokens (social-tokens read); every connection (integration status:
                   : Query, begins_with)
    api_key        KEY#{sha256(key)} / #KEY
                   GSI1 ENT#{e}#KEYS / {key_id}
                   : authenticate a key (one GetItem); list an entity's keys (GSI1)
    api_key_ref    ENT#{e} / KEY#{key_id}
                   : a key's hash from its id, read consistently (rotate, revoke); every key of an entity
                   : (delete)
    platform_user  USER#{user_id} / #USER
                   : authenticate `userid` + `token`
    user_email     USEREMAIL#{email} / #USEREMAIL
                   : one user per email (conditional put with the user); find an admin by email
    webhook        ENT#{e} / HOOK#{scope}#{hook_id}
                   : the hooks of an entity for one scope, or all of them (Query, begins_with); register is
                   : one UpdateItem, delete one conditional DeleteItem
    webhook_delivery ENT#{e}#WHMSG#{message_id} / #WHMSG
                   GSI1 ENT#{e}#HOOK#{scope}#{hook_id}#DELIVERIES / {created_at}#{message_id}
                   GSI2 ENT#{e}#IDN#{identity_id}#WHMSGS / {created_at}#{message_id}
                   : a message's delivery record, read consistently by the stream (queued already?), the
                   : delivery function (delivered already? superseded?) and redelivery; a hook's deliveries
                   : newest first (GSI1, `status` as a filter); the deliveries that name a person (GSI2,
                   : for export and erasure); `ttl` 30 days after the last queueing
    (health probe) HEALTH / #PROBE
                   : `GET /health` reads it (it is never written)
    identity       ENT#{e}#IDN#{identity_id} / #META
                   : read an identity (profile, `claimed`, `status`, `merged_into`, `merged_ids`); once
                   : erased, the erase record: `status` `erasing` then `erased`, no personal data
    identifier     ENT#{e}#IDF#{kind}#{value} / #IDF
                   GSI1 ENT#{e}#IDN#{identity_id}#IDFS / {kind}#{value}
                   : resolve identifiers (one BatchGetItem for a whole request); claim one (conditional
                   : put); an identity's identifiers (GSI1, for merges and the identity API's read);
                   : `surface` names the API surface that first linked it
    device         ENT#{e}#IDN#{identity_id} / DEV#{device_id}
                   : an identity's devices
    identity_conflict ENT#{e}#IDN#{identity_id} / CONFLICT#{other_identity_id or IDF#kind#value}
                   : a link the caller's authority refused (a merge, or an identifier), one per pair,
                   : counted; an identity's conflicts (Query, begins_with: the identity API's read); its
                   : insertion fires the `identity.conflict` webhook
    push_token     ENT#{e}#PUSH#{sha256(token)} / #PUSH
                   : which device holds a push token
    alias          ENT#{e}#ALIAS#{anonymous_id} / #ALIAS
                   : alias once per anonymous id (conditional put)
    claim_use      ENT#{e}#CLAIM#{nonce} / #USED
                   : a claim token is used once (conditional put)
    event_def      ENT#{e}#EVDEF#{event_id} / #META
                   : an event definition by id
    event_slug     ENT#{e}#EVSLUG#{slug} / #SLUG
                   : an event definition by slug (unique: written with the definition in one transaction)
    event_log      ENT#{e}#IDN#{identity_id} / LOG#{log_id}
                   GSI1 ENT#{e}#EVT#{event_key} / {log_id}
                   GSI2 ENT#{e}#LOGS / {log_id}
                   GSI3 ENT#{e}#IDN#{identity_id}#EVT#{event_key} / {log_id}
                   : an identity's timeline; an event's logs (GSI1); all logs (GSI2); an identity's logs
                   : of one event (GSI3): each ordered by the UUIDv7 log id, so `after=` pages
    idempotency    ENT#{e}#IDEM#{len}:{event_key}#{key} / #IDEM
                   : a repeated idempotency key finds the first log (written in the log's transaction)
    request_key    ENT#{e}#REQ#{surface}#{key} / #REQ
                   : an `Idempotency-Key` header (Parcelvoy events, Endu): claimed with the request's
                   : fingerprint before anything is written; a replay finds it
    secret         CONFIG / SECRET#{name}
                   : a signing key (claim tokens, widget tokens), created on first use
    campaign       ENT#{e}#CAMPAIGNS / {pid}#DRAFT, {pid}#LIVE
                   : a campaign's draft or published definition (one GetItem, cached 5 s per container);
                   : all of an entity's campaigns (Query)
    participant    ENT#{e}#PRT#{pid}#{identity_id} / #STATE
                   GSI1 ENT#{e}#IDN#{identity_id}#CAMPAIGNS / {pid}#STATE
                   : a user's task state in a campaign, versioned (`v`): every change is conditional on
                   : the version read; an identity's campaigns (GSI1, for merges)
    balance        ENT#{e}#PRT#{pid}#{identity_id} / #BAL
                   GSI1 ENT#{e}#IDN#{identity_id}#CAMPAIGNS / {pid}#BAL
                   : `{xp, ref_xp, ugc_xp, total, rev}`; `rev` grows with every change, so the stream's
                   : projections apply each change once
    completion     ENT#{e}#PRT#{pid}#{identity_id} / DONE#{action_id}#{window}
                   : once per (user, action, window): conditional put; a user's completions (Query,
                   : begins_with)
    quest_completion ENT#{e}#PRT#{pid}#{identity_id} / QUEST#{quest_id}
                   : a quest's bonus, once
    progress_event ENT#{e}#PRT#{pid}#{identity_id} / PROG#{ref}
                   : a streak extended, frozen or lost, an achievement awarded: once per `ref` (conditional
                   : put), fires the `progress` webhook
    streak_due     STREAKDUE#{YYYY-MM-DDTHH}#{shard} / {e}#{pid}#{identity_id}#{streak_id}#{last}
                   : a streak that expires in that UTC hour unless extended (4 shards per hour; TTL): the
                   : lost-streak sweep's Query, hour by hour
    streak_sweep   STREAKDUE#CURSOR / #CURSOR
                   : where the lost-streak sweep stopped (hour, shard, last key)
    referee        ENT#{e}#PRT#{pid}#{referrer_id} / REFEREE#{referee_id}
                   : who a user referred, and what each earned them (Query, begins_with)
    ledger_entry   ENT#{e}#CMP#{pid}#TXN#{entry_id} / #TXN
                   GSI1 ENT#{e}#PRT#{pid}#{identity_id}#LEDGER / {at}#{entry_id}
                   : an entry id is used once (conditional put; the stored fingerprint tells a repeat from
                   : a conflict); a user's ledger in time order (GSI1)
    ledger_reversal ENT#{e}#CMP#{pid}#TXN#{entry_id} / #REV
                   : the one reversal of that entry (conditional put: reversed at most once)
    ledger_expiry  ENT#{e}#CMP#{pid}#TXN#{entry_id} / #EXP
                   GSI1 ENT#{e}#PRT#{pid}#{identity_id}#LEDGER / {at}#expiry:{entry_id}
                   : what expired of that credit (conditional put: expires at most once); `points.expired`
    points_notice  ENT#{e}#PRT#{pid}#{identity_id} / WARN#{entry_id}
                   : that credit's points will expire (conditional put: once); `points.will_expire`
    points_due     POINTSDUE#{YYYY-MM-DDTHH}#{shard} / {at_ms}#{e}#{pid}#{identity_id}#{lot_from}#{kind}
                   : a credit to warn about (`warn`) or expire (`expire`) in that UTC hour (4 shards per
                   : hour; TTL): the points-expiry sweep's Query, hour by hour, in time order
    points_sweep   POINTSDUE#CURSOR / #CURSOR
                   : where the points-expiry sweep stopped (hour, shard, last key)
    event_log      ENT#{e}#PRT#{pid}#{identity_id} / LOG#{log_id}
                   : an event sent with `env=dev`, kept in the preview's participant partition (`{pid}` is
                   : the preview's storage id): the preview's `GET /events`
    idempotency    ENT#{e}#CMP#{pid}#IDEM#{len}:{event_key}#{key} / #IDEM
                   : a preview event's idempotency key
    ref_id         ENT#{e}#REFID#{pid}#{ref_id} / #REFID
                   : whose referral id it is (unique by conditional put)
    referral       ENT#{e}#CMP#{pid}#REFERRAL#{referee_id} / #VALID
                   : written once, when a referral becomes valid (the `referral` webhook scope)
    invite_code    ENT#{e}#CMP#{pid}#CODE#{code} / #CODE
                   : `uses` < `max_uses` checked in the assigning transaction; `used_by`, `holders`
    code_use       ENT#{e}#CMP#{pid}#CODEUSE#{identity_id} / #CODEUSE
                   : one code per wallet per campaign
    campaign_stats ENT#{e}#CMP#{pid}#STATS / #TOTAL
                   : a campaign's total points and users (one GetItem)
    campaign_day   ENT#{e}#CMP#{pid}#STATS / DAY#{yyyy-mm-dd}
                   : users last active that day (one Query of at most 30 items for "active in 30 days")
    stats_projection ENT#{e}#CMP#{pid}#PROJ#{identity_id} / #PROJ
                   GSI2 ENT#{e}#CMP#{pid}#RANKS / {board_key}#{identity_id}
                   : the balance revision, total, score and day the statistics and the leaderboard have
                   : counted (the stream applies a revision once); while the score is above 0, the
                   : leaderboard in rank order: top N, pages, the users around a user (GSI2 Query, Limit)
    board_entry    ENT#{e}#CMP#{pid}#PROJ#{identity_id} / #PROJ#{board}
                   GSI2 ENT#{e}#CMP#{pid}#RANKS#{board} / {listing_key}#{identity_id}
                   : a participant on a recurring board (`day#2026-12-04`, `week#2026-W49`,
                   : `month#2026-12`, `season#0`): its score there; the board in rank order (GSI2)
    board_periods  ENT#{e}#CMP#{pid}#BOARD#periods / #CURRENT
                   : the current day, week and month of a campaign's recurring boards: the stream sends
                   : `leaderboard.finished` when it counts a change of a later one (one GetItem a batch)
    board_node     ENT#{e}#CMP#{pid}#BOARD / N#{prefix}
                   : the leaderboard's count tree: a rank is one BatchGetItem of 11 nodes; the root's
                   : `size` is the board's size (a recurring board's tree, in `…#BOARD#{board}`: the
                   : score's 5 levels)
    widget_token   WT#{sha256(token)} / #WT
                   : authenticate a widget token (one GetItem); the token itself is derived from the
                   : entity, the identity and a signing secret, so `GET /token` answers the same one
    mau_marker     MAU#{e}#{month} / ID#{identity_id}
                   : an identity's first activity in a month (conditional put), then `ADD count 1`
    mau_counter    MAU#{e}#{month} / #COUNT
                   : the month's count (one GetItem)
    write_window   LIMIT#{e}#W#{epoch_second} / #COUNT
                   : the tenant's writes this second, `n` and one count per key (`ADD` of a container's
                   : lease, answered with the new totals; `questline.tenancy.limits`); `ttl` 2 minutes on
    identity_quota LIMIT#{e}#IDS#{yyyy-mm-dd} / #COUNT
                   : identities created today, `n` and one count per key (a conditional `ADD` before each
                   : creation, `ADD -1` when it did not happen); `ttl` 2 days on
    notification   ENT#{e}#NTF#{identity_id} / {notification_id:016d}
                   GSI1 ENT#{e}#NTF#{identity_id}#UNREAD / {notification_id:016d}
                   : a person's in-app notifications newest first (Query, backwards); the unread ones
                   : (GSI1, sparse: only while unread); delivered once by a conditional put; `ttl` at expiry
"""

from __future__ import annotations

from typing import Final

PK: Final = "PK"
SK: Final = "SK"
GSI1: Final = "GSI1"
GSI1PK: Final = "GSI1PK"
GSI1SK: Final = "GSI1SK"
GSI2: Final = "GSI2"
GSI2PK: Final = "GSI2PK"
GSI2SK: Final = "GSI2SK"
GSI3: Final = "GSI3"
GSI3PK: Final = "GSI3PK"
GSI3SK: Final = "GSI3SK"

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


INVITATION_PREFIX: Final = "INVITE#"


def entity_invitation(entity_id: str, invitation_id: str) -> Key:
    """An invitation to become an admin of the entity, pending until the invitee accepts it."""
    return _key(entity_partition(entity_id), f"{INVITATION_PREFIX}{invitation_id}")


def invitations_of_partition(invitee: str) -> str:
    """`invitee` is `email:{address}` or `user:{user_id}`."""
    return f"INVITEE#{invitee}"


def invitation_listing(invitee: str, entity_id: str) -> Key:
    """GSI1 placement of an invitation among its invitee's (one per entity and invitee)."""
    return {GSI1PK: invitations_of_partition(invitee), GSI1SK: entity_id}


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


# --- identity graph ---------------------------------------------------------------------------------


def identity_partition(entity_id: str, identity_id: str) -> str:
    return f"ENT#{entity_id}#IDN#{identity_id}"


def identity(entity_id: str, identity_id: str) -> Key:
    return _key(identity_partition(entity_id, identity_id), "#META")


def identifier(entity_id: str, identifier_key: str) -> Key:
    """`identifier_key` is `questline.identity.identifiers.Identifier.key` (kind#value)."""
    return _key(f"ENT#{entity_id}#IDF#{identifier_key}", "#IDF")


def identifier_listing(entity_id: str, identity_id: str, identifier_key: str) -> Key:
    return {GSI1PK: identifiers_of(entity_id, identity_id), GSI1SK: identifier_key}


def identifiers_of(entity_id: str, identity_id: str) -> str:
    return f"{identity_partition(entity_id, identity_id)}#IDFS"


def device(entity_id: str, identity_id: str, device_id: str) -> Key:
    return _key(identity_partition(entity_id, identity_id), f"DEV#{device_id}")


DEVICE_PREFIX: Final = "DEV#"
CONFLICT_PREFIX: Final = "CONFLICT#"


def identity_conflict(entity_id: str, identity_id: str, subject: str) -> Key:
    """A refused link, on one identity; `subject` is the other identity's id or `IDF#{kind}#{value}`."""
    return _key(identity_partition(entity_id, identity_id), f"{CONFLICT_PREFIX}{subject}")


def push_token(entity_id: str, token_hash: str) -> Key:
    return _key(f"ENT#{entity_id}#PUSH#{token_hash}", "#PUSH")


def anonymous_alias(entity_id: str, anonymous_id: str) -> Key:
    return _key(f"ENT#{entity_id}#ALIAS#{anonymous_id}", "#ALIAS")


def claim_use(entity_id: str, nonce: str) -> Key:
    return _key(f"ENT#{entity_id}#CLAIM#{nonce}", "#USED")


# --- events ---------------------------------------------------------------------------------------------


def event_definition(entity_id: str, event_id: str) -> Key:
    return _key(f"ENT#{entity_id}#EVDEF#{event_id}", "#META")


def event_slug(entity_id: str, slug: str) -> Key:
    return _key(f"ENT#{entity_id}#EVSLUG#{slug}", "#SLUG")


LOG_PREFIX: Final = "LOG#"


def event_log(entity_id: str, identity_id: str, log_id: str) -> Key:
    return _key(identity_partition(entity_id, identity_id), f"{LOG_PREFIX}{log_id}")


def event_logs_of_event(entity_id: str, event_key: str) -> str:
    return f"ENT#{entity_id}#EVT#{event_key}"


def event_logs_of_entity(entity_id: str) -> str:
    return f"ENT#{entity_id}#LOGS"


def event_logs_of_identity_event(entity_id: str, identity_id: str, event_key: str) -> str:
    return f"{identity_partition(entity_id, identity_id)}#EVT#{event_key}"


def event_log_listings(entity_id: str, identity_id: str, event_key: str, log_id: str) -> Key:
    """Where a log appears besides its identity's timeline: its event's list (GSI1), the entity's (GSI2),
    its identity's list of that event (GSI3)."""
    return {
        GSI1PK: event_logs_of_event(entity_id, event_key),
        GSI1SK: log_id,
        GSI2PK: event_logs_of_entity(entity_id),
        GSI2SK: log_id,
        GSI3PK: event_logs_of_identity_event(entity_id, identity_id, event_key),
        GSI3SK: log_id,
    }


def idempotency(entity_id: str, event_key: str, unique_key: str) -> Key:
    # The event key's length keeps the two client-chosen parts apart ("a#b"+"c" never meets "a"+"b#c").
    return _key(f"ENT#{entity_id}#IDEM#{len(event_key)}:{event_key}#{unique_key}", "#IDEM")


def request_idempotency(entity_id: str, surface: str, key: str) -> Key:
    """A whole request's `Idempotency-Key` (Parcelvoy batches, Endu records), per surface."""
    return _key(f"ENT#{entity_id}#REQ#{surface}#{key}", "#REQ")


# --- campaigns ------------------------------------------------------------------------------------


def campaigns_of(entity_id: str) -> str:
    return f"ENT#{entity_id}#CAMPAIGNS"


def campaign(entity_id: str, pid: str, *, live: bool) -> Key:
    return _key(campaigns_of(entity_id), f"{pid}#{'LIVE' if live else 'DRAFT'}")


def participant_partition(entity_id: str, pid: str, identity_id: str) -> str:
    return f"ENT#{entity_id}#PRT#{pid}#{identity_id}"


def campaigns_of_identity(entity_id: str, identity_id: str) -> str:
    return f"ENT#{entity_id}#IDN#{identity_id}#CAMPAIGNS"


def campaign_listing(entity_id: str, identity_id: str, pid: str, what: str) -> Key:
    """GSI1 placement of an identity's participant state and balance among its campaigns."""
    return {GSI1PK: campaigns_of_identity(entity_id, identity_id), GSI1SK: f"{pid}#{what}"}


def participant(entity_id: str, pid: str, identity_id: str) -> Key:
    return _key(participant_partition(entity_id, pid, identity_id), "#STATE")


def balance(entity_id: str, pid: str, identity_id: str) -> Key:
    return _key(participant_partition(entity_id, pid, identity_id), "#BAL")


COMPLETION_PREFIX: Final = "DONE#"
QUEST_PREFIX: Final = "QUEST#"
REFEREE_PREFIX: Final = "REFEREE#"


def completion(entity_id: str, pid: str, identity_id: str, action_id: str, window: int) -> Key:
    return _key(
        participant_partition(entity_id, pid, identity_id), f"{COMPLETION_PREFIX}{action_id}#{window:06d}"
    )


def quest_completion(entity_id: str, pid: str, identity_id: str, quest_id: str) -> Key:
    return _key(participant_partition(entity_id, pid, identity_id), f"{QUEST_PREFIX}{quest_id}")


STREAK_DUE_SHARDS: Final = 4


def streak_due_partition(hour: str, shard: int) -> str:
    """Streaks that are lost unless extended before the end of `hour` (UTC, `YYYY-MM-DDTHH`), spread over
    `STREAK_DUE_SHARDS` partitions per hour: the lost-streak sweep reads them hour by hour, never scans."""
    return f"STREAKDUE#{hour}#{shard}"


def streak_due(
    hour: str, shard: int, entity_id: str, pid: str, identity_id: str, streak_id: str, last: str
) -> Key:
    return _key(streak_due_partition(hour, shard), f"{entity_id}#{pid}#{identity_id}#{streak_id}#{last}")


def streak_sweep_cursor() -> Key:
    return _key("STREAKDUE#CURSOR", "#CURSOR")


POINTS_DUE_SHARDS: Final = 4


def points_due_partition(hour: str, shard: int) -> str:
    """Credits to warn about or expire in `hour` (UTC, `YYYY-MM-DDTHH`), spread over `POINTS_DUE_SHARDS`
    partitions per hour: the points-expiry sweep reads them hour by hour, never scans."""
    return f"POINTSDUE#{hour}#{shard}"


def points_due(
    hour: str, shard: int, at_ms: int, entity_id: str, pid: str, identity_id: str, lot_from: int, kind: str
) -> Key:
    """Sorted by time within the partition, then by the credit's place in the person's order of credits
    (`lot_from`): one person's credits expire oldest first."""
    sort = f"{at_ms:015d}#{entity_id}#{pid}#{identity_id}#{lot_from:015d}#{kind}"
    return _key(points_due_partition(hour, shard), sort)


def points_sweep_cursor() -> Key:
    return _key("POINTSDUE#CURSOR", "#CURSOR")


def ledger_expiry(entity_id: str, pid: str, entry_id: str) -> Key:
    """What expired of credit `entry_id`: beside the credit, so it expires at most once."""
    return _key(f"ENT#{entity_id}#CMP#{pid}#TXN#{entry_id}", "#EXP")


def points_notice(entity_id: str, pid: str, identity_id: str, entry_id: str) -> Key:
    """The warning that credit `entry_id` will expire: once per credit, in the participant's partition
    (an erasure takes it with the rest)."""
    return _key(participant_partition(entity_id, pid, identity_id), f"WARN#{entry_id}")


PROGRESS_PREFIX: Final = "PROG#"


def progress_event(entity_id: str, pid: str, identity_id: str, ref: str) -> Key:
    """A `progress` webhook event of a participant (streaks, achievements), unique by `ref`."""
    return _key(participant_partition(entity_id, pid, identity_id), f"{PROGRESS_PREFIX}{ref}")


def referee(entity_id: str, pid: str, referrer_id: str, referee_id: str) -> Key:
    return _key(participant_partition(entity_id, pid, referrer_id), f"{REFEREE_PREFIX}{referee_id}")


def ledger_entry(entity_id: str, pid: str, entry_id: str) -> Key:
    return _key(f"ENT#{entity_id}#CMP#{pid}#TXN#{entry_id}", "#TXN")


def ledger_reversal(entity_id: str, pid: str, entry_id: str) -> Key:
    """The reversal of ledger entry `entry_id`: beside the entry, so an entry is reversed at most once and
    no id a client picks can collide with it."""
    return _key(f"ENT#{entity_id}#CMP#{pid}#TXN#{entry_id}", "#REV")


def ledger_of(entity_id: str, pid: str, identity_id: str) -> str:
    return f"{participant_partition(entity_id, pid, identity_id)}#LEDGER"


def ledger_listing(entity_id: str, pid: str, identity_id: str, at: str, entry_id: str) -> Key:
    return {GSI1PK: ledger_of(entity_id, pid, identity_id), GSI1SK: f"{at}#{entry_id}"}


def preview_event_log(entity_id: str, pid: str, identity_id: str, log_id: str) -> Key:
    """An event sent with `env=dev`: kept with the preview's participant (`pid` is the preview's storage
    id), listed nowhere else, so live listings and live tasks never see it."""
    return _key(participant_partition(entity_id, pid, identity_id), f"{LOG_PREFIX}{log_id}")


def preview_idempotency(entity_id: str, pid: str, event_key: str, unique_key: str) -> Key:
    """A preview event's idempotency key, apart from the live ones (a preview never spends a live id)."""
    return _key(f"ENT#{entity_id}#CMP#{pid}#IDEM#{len(event_key)}:{event_key}#{unique_key}", "#IDEM")


def ref_id(entity_id: str, pid: str, ref: str) -> Key:
    return _key(f"ENT#{entity_id}#REFID#{pid}#{ref}", "#REFID")


def referral(entity_id: str, pid: str, referee_id: str) -> Key:
    return _key(f"ENT#{entity_id}#CMP#{pid}#REFERRAL#{referee_id}", "#VALID")


def invite_code(entity_id: str, pid: str, code: str) -> Key:
    return _key(f"ENT#{entity_id}#CMP#{pid}#CODE#{code}", "#CODE")


def code_use(entity_id: str, pid: str, identity_id: str) -> Key:
    return _key(f"ENT#{entity_id}#CMP#{pid}#CODEUSE#{identity_id}", "#CODEUSE")


def campaign_stats_partition(entity_id: str, pid: str) -> str:
    return f"ENT#{entity_id}#CMP#{pid}#STATS"


def campaign_totals(entity_id: str, pid: str) -> Key:
    return _key(campaign_stats_partition(entity_id, pid), "#TOTAL")


def campaign_day(entity_id: str, pid: str, day: str) -> Key:
    return _key(campaign_stats_partition(entity_id, pid), f"DAY#{day}")


def stats_projection(entity_id: str, pid: str, identity_id: str) -> Key:
    """What the campaign's statistics (and leaderboard) have counted of one participant's balance."""
    return _key(f"ENT#{entity_id}#CMP#{pid}#PROJ#{identity_id}", "#PROJ")


ALL_TIME_BOARD: Final = "all"


def board_nodes(entity_id: str, pid: str, board: str = ALL_TIME_BOARD) -> str:
    """The partition of a campaign's leaderboard count tree (`campaigns.leaderboard`): the all-time
    board's, or a recurring board's (`day#2026-12-04`, `week#2026-W49`, `month#2026-12`, `season#0`)."""
    base = f"ENT#{entity_id}#CMP#{pid}#BOARD"
    return base if board == ALL_TIME_BOARD else f"{base}#{board}"


def board_node(entity_id: str, pid: str, prefix: str, board: str = ALL_TIME_BOARD) -> Key:
    return _key(board_nodes(entity_id, pid, board), f"N#{prefix}")


def board_ranks(entity_id: str, pid: str, board: str = ALL_TIME_BOARD) -> str:
    """The GSI2 partition listing a campaign's leaderboard entries in rank order."""
    base = f"ENT#{entity_id}#CMP#{pid}#RANKS"
    return base if board == ALL_TIME_BOARD else f"{base}#{board}"


def board_listing(
    entity_id: str, pid: str, board_key: str, identity_id: str, board: str = ALL_TIME_BOARD
) -> Key:
    """A participant's place on a leaderboard (GSI2): set on its stats projection item for the all-time
    board, on its board entry for a recurring one."""
    return {GSI2PK: board_ranks(entity_id, pid, board), GSI2SK: f"{board_key}#{identity_id}"}


def board_periods(entity_id: str, pid: str) -> Key:
    """The current period of each kind of a campaign's recurring boards (`leaderboard.finished`)."""
    return _key(f"ENT#{entity_id}#CMP#{pid}#BOARD#periods", "#CURRENT")


BOARD_ENTRY_PREFIX: Final = "#PROJ#"


def board_entry(entity_id: str, pid: str, board: str, identity_id: str) -> Key:
    """A participant's entry on one recurring board, beside its stats projection (so an erasure finds
    every board the participant stood on with one Query of the projection's partition)."""
    return _key(f"ENT#{entity_id}#CMP#{pid}#PROJ#{identity_id}", f"{BOARD_ENTRY_PREFIX}{board}")


def widget_token(token_hash: str) -> Key:
    return _key(f"WT#{token_hash}", "#WT")


def widget_token_of(entity_id: str, identity_id: str) -> Key:
    """The identity's one permanent widget token (its hash and the plain token, which GET /token answers)."""
    return _key(f"ENT#{entity_id}#IDN#{identity_id}", "#WIDGET")


# --- platform secrets -----------------------------------------------------------------------------------


def secret(name: str) -> Key:
    return _key("CONFIG", f"SECRET#{name}")


# --- monthly active identities ----------------------------------------------------------------------


def mau_marker(entity_id: str, month: str, identity_id: str) -> Key:
    return _key(f"MAU#{entity_id}#{month}", f"ID#{identity_id}")


def mau_counter(entity_id: str, month: str) -> Key:
    return _key(f"MAU#{entity_id}#{month}", "#COUNT")


# --- rate limits and quotas -------------------------------------------------------------------------


def write_window(entity_id: str, second: int) -> Key:
    """A tenant's writes in one second (a new partition every second: no item is hot for long)."""
    return _key(f"LIMIT#{entity_id}#W#{second}", "#COUNT")


def identity_quota(entity_id: str, day: str) -> Key:
    """A tenant's identities created on one UTC day (`YYYY-MM-DD`)."""
    return _key(f"LIMIT#{entity_id}#IDS#{day}", "#COUNT")


# --- in-app notifications -------------------------------------------------------------------------------


def notifications_of(entity_id: str, identity_id: str) -> str:
    """A person's in-app notifications, ordered by id (ids grow with time): newest first reads backwards."""
    return f"ENT#{entity_id}#NTF#{identity_id}"


def notification_sort_key(notification_id: int) -> str:
    return f"{notification_id:016d}"


def notification(entity_id: str, identity_id: str, notification_id: int) -> Key:
    return _key(notifications_of(entity_id, identity_id), notification_sort_key(notification_id))


def unread_notifications_of(entity_id: str, identity_id: str) -> str:
    return f"ENT#{entity_id}#NTF#{identity_id}#UNREAD"


def unread_notification_listing(entity_id: str, identity_id: str, notification_id: int) -> Key:
    """GSI1 placement of an unread notification (removed when it is read: a sparse index of the unread)."""
    return {
        GSI1PK: unread_notifications_of(entity_id, identity_id),
        GSI1SK: notification_sort_key(notification_id),
    }


# --- webhooks -------------------------------------------------------------------------------------


WEBHOOK_PREFIX: Final = "HOOK#"


def webhook(entity_id: str, scope: str, hook_id: str) -> Key:
    return _key(entity_partition(entity_id), f"{WEBHOOK_PREFIX}{scope}#{hook_id}")


def webhook_scope_prefix(scope: str) -> str:
    return f"{WEBHOOK_PREFIX}{scope}#"


def webhook_delivery(entity_id: str, message_id: str) -> Key:
    """One webhook message's delivery record: its payload, generation, status and every attempt."""
    return _key(f"ENT#{entity_id}#WHMSG#{message_id}", "#WHMSG")


def webhook_deliveries_of(entity_id: str, scope: str, hook_id: str) -> str:
    return f"ENT#{entity_id}#HOOK#{scope}#{hook_id}#DELIVERIES"


def webhook_delivery_listing(
    entity_id: str, scope: str, hook_id: str, created_at: str, message_id: str
) -> Key:
    """GSI1 placement of a delivery record among its hook's deliveries, in time order."""
    return {
        GSI1PK: webhook_deliveries_of(entity_id, scope, hook_id),
        GSI1SK: f"{created_at}#{message_id}",
    }


def webhook_deliveries_naming(entity_id: str, identity_id: str) -> str:
    """The GSI2 partition of the delivery records whose payload names one identity (export, erasure)."""
    return f"{identity_partition(entity_id, identity_id)}#WHMSGS"


def webhook_delivery_of_identity(entity_id: str, identity_id: str, created_at: str, message_id: str) -> Key:
    return {GSI2PK: webhook_deliveries_naming(entity_id, identity_id), GSI2SK: f"{created_at}#{message_id}"}


# --- platform -------------------------------------------------------------------------------------


def health_probe() -> Key:
    """A key no item ever has: reading it proves the table answers."""
    return _key("HEALTH", "#PROBE")
