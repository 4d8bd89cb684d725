"""OAuth 2.0 authorization-code exchanges with the providers an entity connects: Twitter (X), Discord and
Slack. Each provider is reached at the base URL the deployment configures (`TWITTER_OAUTH_BASE_URL`…),
never at one a client names, so tests run a fake provider on loopback and nothing here can be pointed
elsewhere by a request.

Standard library HTTP (`urllib.request`, imported on first use, with a timeout): three form POSTs and two
GETs do not earn a dependency. Tokens and codes are never logged; a failure logs the provider and the
HTTP status only.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from typing import Any, NamedTuple

from questline import clock
from questline.errors import BadRequest, Retryable, RuleViolation
from questline.secret_store import oauth_client_secret
from questline.settings import OAuthClient, get_settings

logger = logging.getLogger(__name__)

TWITTER = "TWITTER"
DISCORD = "DISCORD"
SLACK = "SLACK"
_MAX_RESPONSE_BYTES = 1024 * 1024


class ProviderAccount(NamedTuple):
    """What a successful exchange yields: the tokens and who they act as."""

    access_token: str
    refresh_token: str | None
    expires_at: int | None  # epoch seconds
    scope: str | None
    account_id: str | None
    username: str | None
    team_id: str | None = None
    team_name: str | None = None


class _Answer(NamedTuple):
    status: int
    body: dict[str, Any]


def _client(provider: str) -> OAuthClient:
    settings = get_settings()
    client: OAuthClient = {TWITTER: settings.twitter, DISCORD: settings.discord, SLACK: settings.slack}[
        provider
    ]
    if not client.configured:
        raise RuleViolation(f"{provider.lower()} sign-in is not configured on this deployment")
    return client


def _request(
    provider: str,
    url: str,
    *,
    form: Mapping[str, str | None] | None = None,
    headers: Mapping[str, str] | None = None,
) -> _Answer:
    import urllib.error
    import urllib.parse
    import urllib.request

    data = None
    sent = {"Accept": "application/json", "User-Agent": "Questline", **(headers or {})}
    if form is not None:
        data = urllib.parse.urlencode({k: v for k, v in form.items() if v is not None}).encode()
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, headers=sent, method="POST" if form else "GET")  # noqa: S310 - the URL comes from settings
    timeout = get_settings().oauth_timeout_seconds
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - ditto
            status, raw = response.status, response.read(_MAX_RESPONSE_BYTES)
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read(_MAX_RESPONSE_BYTES)
    except (OSError, ValueError) as error:
        logger.warning(
            "oauth provider unreachable", extra={"provider": provider, "error": type(error).__name__}
        )
        raise Retryable(f"{provider.lower()} did not answer; try again") from error
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        logger.warning(
            "oauth provider answered no JSON object", extra={"provider": provider, "status": status}
        )
        raise Retryable(f"{provider.lower()} answered something unexpected; try again")
    if status >= 300:
        logger.info("oauth provider refused", extra={"provider": provider, "status": status})
    return _Answer(status, body)


def _refused(provider: str, answer: _Answer) -> BadRequest | Retryable:
    if answer.status >= 500 or answer.status == 429:
        return Retryable(f"{provider.lower()} did not answer; try again")
    reason = str(answer.body.get("error") or "refused")[:60]
    return BadRequest(f"code: {provider.lower()} refused the authorization code ({reason})", field="code")


def _tokens(provider: str, answer: _Answer) -> tuple[str, str | None, int | None, str | None]:
    if answer.status != 200 or not isinstance(answer.body.get("access_token"), str):
        raise _refused(provider, answer)
    expires_in = answer.body.get("expires_in")
    expires_at = int(clock.now()) + int(expires_in) if isinstance(expires_in, int) else None
    refresh = answer.body.get("refresh_token")
    scope = answer.body.get("scope")
    return (
        answer.body["access_token"],
        refresh if isinstance(refresh, str) else None,
        expires_at,
        scope if isinstance(scope, str) else None,
    )


def _basic(client: OAuthClient, secret: str) -> dict[str, str]:
    if not secret:
        return {}
    pair = f"{client.client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def exchange_twitter(code: str, redirect_uri: str, code_verifier: str | None) -> ProviderAccount:
    """X (Twitter) OAuth 2.0 with PKCE: `POST /2/oauth2/token`, then `GET /2/users/me`."""
    client = _client(TWITTER)
    answer = _request(
        TWITTER,
        f"{client.base_url}/2/oauth2/token",
        form={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
            "client_id": client.client_id,
        },
        headers=_basic(client, oauth_client_secret(TWITTER)),
    )
    access, refresh, expires_at, scope = _tokens(TWITTER, answer)
    me = _request(TWITTER, f"{client.base_url}/2/users/me", headers={"Authorization": f"Bearer {access}"})
    user = me.body.get("data") if me.status == 200 else None
    if not isinstance(user, dict):
        raise Retryable("twitter did not say whose account this is; try again")
    return ProviderAccount(
        access, refresh, expires_at, scope, _text(user.get("id")), _text(user.get("username"))
    )


def exchange_discord(code: str, redirect_uri: str) -> ProviderAccount:
    """Discord: `POST /oauth2/token`, then `GET /users/@me`."""
    client = _client(DISCORD)
    answer = _request(
        DISCORD,
        f"{client.base_url}/oauth2/token",
        form={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client.client_id,
            "client_secret": oauth_client_secret(DISCORD) or None,
        },
    )
    access, refresh, expires_at, scope = _tokens(DISCORD, answer)
    me = _request(DISCORD, f"{client.base_url}/users/@me", headers={"Authorization": f"Bearer {access}"})
    if me.status != 200:
        raise Retryable("discord did not say whose account this is; try again")
    return ProviderAccount(
        access, refresh, expires_at, scope, _text(me.body.get("id")), _text(me.body.get("username"))
    )


def exchange_slack(code: str, redirect_uri: str | None) -> ProviderAccount:
    """Slack: `POST /oauth.v2.access` (errors come back as 200 with `"ok": false`)."""
    client = _client(SLACK)
    answer = _request(
        SLACK,
        f"{client.base_url}/oauth.v2.access",
        form={
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client.client_id,
            "client_secret": oauth_client_secret(SLACK) or None,
        },
    )
    if answer.status == 200 and answer.body.get("ok") is not True:
        raise _refused(SLACK, _Answer(400, answer.body))
    access, refresh, expires_at, scope = _tokens(SLACK, answer)
    found = answer.body.get("team")
    team: dict[str, Any] = found if isinstance(found, dict) else {}
    return ProviderAccount(
        access,
        refresh,
        expires_at,
        scope,
        _text(answer.body.get("bot_user_id")),
        _text(team.get("name")),
        team_id=_text(team.get("id")),
        team_name=_text(team.get("name")),
    )


def _text(value: Any) -> str | None:
    return str(value)[:200] if isinstance(value, (str, int)) and not isinstance(value, bool) else None
