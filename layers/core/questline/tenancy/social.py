"""An entity's social connections: Twitter and Discord accounts connected by OAuth, a Slack workspace, and
tokens set directly (Twitter, Discord, Instagram). One item per provider in the entity's partition holds
the tokens; they leave the table only through the social-tokens read, never in another answer or a log.
"""

from __future__ import annotations

from typing import Any

from questline import clock
from questline.auth import Principal
from questline.errors import NotFound
from questline.storage import get_table, keys
from questline.storage.table import TxCheck, TxDelete, TxPut
from questline.storage.transaction import Transaction
from questline.tenancy import oauth
from questline.tenancy.access import MANAGE, READ, entity_not_found, live, load_entity, membership_checks

PROVIDERS = ("TWITTER", "DISCORD", "SLACK", "INSTAGRAM")
TOKEN_TYPES = ("TWITTER", "DISCORD", "INSTAGRAM")


def connection_item(
    entity_id: str, provider: str, caller: Principal, *, source: str, **fields: Any
) -> dict[str, Any]:
    return {
        **keys.social_connection(entity_id, provider),
        "type": "social_connection",
        "entity_id": entity_id,
        "provider": provider,
        "source": source,
        "connected_at": clock.iso(),
        "connected_by": caller.describe(),
        **fields,
    }


def _save(caller: Principal, entity_id: str, item: dict[str, Any]) -> dict[str, Any]:
    transaction = Transaction().add(TxCheck(keys.entity(entity_id), live()), entity_not_found(entity_id))
    transaction.extend(membership_checks(caller, entity_id, MANAGE))
    transaction.add(TxPut(item))
    transaction.commit()
    return {k: v for k, v in item.items() if v is not None}


def connect(
    caller: Principal,
    entity_id: str,
    provider: str,
    *,
    code: str,
    redirect_uri: str | None,
    code_verifier: str | None = None,
    guild_id: str | None = None,
) -> dict[str, Any]:
    """Exchange an authorization code with the provider and keep the tokens. The caller's right to do so
    is checked before the (single-use) code is spent."""
    load_entity(caller, entity_id, MANAGE)
    if provider == oauth.TWITTER:
        account = oauth.exchange_twitter(code, redirect_uri or "", code_verifier)
    elif provider == oauth.DISCORD:
        account = oauth.exchange_discord(code, redirect_uri or "")
    else:
        account = oauth.exchange_slack(code, redirect_uri)
    item = connection_item(
        entity_id,
        provider,
        caller,
        source="oauth",
        access_token=account.access_token,
        refresh_token=account.refresh_token,
        expires_at=account.expires_at,
        scope=account.scope,
        account_id=account.account_id,
        username=account.username,
        team_id=account.team_id,
        team_name=account.team_name,
        guild_id=guild_id,
    )
    return _save(caller, entity_id, item)


def disconnect(caller: Principal, entity_id: str, provider: str) -> None:
    """Forget a connection and its tokens (disconnecting what is not connected is not an error)."""
    transaction = Transaction().add(TxCheck(keys.entity(entity_id), live()), entity_not_found(entity_id))
    transaction.extend(membership_checks(caller, entity_id, MANAGE))
    transaction.add(TxDelete(keys.social_connection(entity_id, provider)))
    transaction.commit()


def set_tokens(
    caller: Principal,
    entity_id: str,
    provider: str,
    *,
    access_token: str,
    refresh_token: str | None,
    expires_at: int | None,
    username: str | None,
    account_id: str | None,
) -> dict[str, Any]:
    item = connection_item(
        entity_id,
        provider,
        caller,
        source="manual",
        access_token=access_token,
        refresh_token=refresh_token,
        expires_at=expires_at,
        username=username,
        account_id=account_id,
    )
    return _save(caller, entity_id, item)


def get_tokens(caller: Principal, entity_id: str, provider: str) -> dict[str, Any]:
    """The stored tokens of one provider: the one read that returns them."""
    load_entity(caller, entity_id, MANAGE._replace(action="read this entity's social tokens"))
    item = get_table().get(keys.social_connection(entity_id, provider), consistent=True)
    if item is None:
        raise NotFound(f"no {provider} tokens for this entity", field="type")
    return item


def connections(caller: Principal, entity_id: str) -> dict[str, dict[str, Any]]:
    """Every connection of the entity, by provider (for the integration status; tokens stay here)."""
    load_entity(caller, entity_id, READ)
    page = get_table().query(keys.entity_partition(entity_id), begins_with=keys.SOCIAL_PREFIX)
    return {str(item["provider"]): item for item in page.items}
