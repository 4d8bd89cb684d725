"""Tenant isolation over every route of the template: each route has one concrete request aimed at tenant A
(the local stack's seeded entity, given real data through the API first), and it is sent with B's `sk_`,
`pk_`, platform user and widget token, with A's `pk_` and `sk_` where the route does not take them, with A's
widget token where widget tokens are not taken (and, where they are, naming another of A's users), and with
no credential at all.

A refusal is never a 2xx. Whatever the status, no answer shows anything of A that its request did not carry
itself, A's items in the table are the same afterwards, and A's webhook receiver hears nothing. Then every
request that leaves A usable is sent once more with A's own credential and answers 2xx, so the refusals
above are about credentials and not about a malformed request.

Where the credential itself names the tenant (claimr, HeyMint, Parcelvoy: no entity in the request), B's own
key is a valid credential for B's own namespace: a request naming an account or a slug that also exists in A
creates or reads B's, and may succeed (B has A's campaign id, so "no such campaign" is not what stops it).
What is asserted there is that the answer is B's and A is untouched. A request naming something only A has
(its entity id, an identity id, a claim token, a ref_id, an invite code, a webhook message id) must be
refused.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
import requests

from local.stack import DEMO_CAMPAIGN, DEMO_CAMPAIGN_ID, LocalStack
from local.template import Template
from tests.integration.conftest import Api, new_tenant
from tests.integration.entity_world import Tenant, User, furnish_tenant
from tests.integration.isolation import entity_route_requests, shown_secrets, tenant_items
from tests.support import Receiver, eventually

PID = DEMO_CAMPAIGN_ID
REVERSIBLE = "isolation-reversible"  # a 1-XP reward of alice's, for the reversal route
WALLET_REVERSIBLE = "isolation-reversible-wallet"  # and one of A's wallet (ids are one per campaign)

OPERATOR, SECRET_KEY, PUBLISHABLE_KEY = "operator", "secret_key", "publishable_key"
WIDGET_TOKEN, PLATFORM_USER = "widget_token", "platform_user"

# Routes that take no credential by design, and why; each is still swept for leaks.
PUBLIC_ROUTES = {
    "GET /health": "liveness for load balancers and monitors: stage and table reachability only",
    "GET /openapi.json": "the API's description, the same for everyone",
    "GET /docs": "Swagger UI page over /openapi.json",
    "GET /widget.js": "the widget's embed script, the same for everyone",
    "GET /widget.css": "the widget's stylesheet, the same for everyone",
    "GET /widget": "the widget's preview page: a shell whose script reads with the token in its URL",
    "GET /api/entities/{entityId}/theme": "an entity's theme is shown to anonymous visitors of its widget",
}

# The credential kinds each route's policy accepts (functions/*/…_routes.py `auth=`; README's credentials
# column), entities function first.
_ROLES = frozenset({OPERATOR, SECRET_KEY, PLATFORM_USER})  # ANYONE_WITH_A_ROLE, READERS, MANAGERS
_PEOPLE = frozenset({OPERATOR, PLATFORM_USER})  # PEOPLE, KEY_MANAGERS: never a key
_OPERATOR = frozenset({OPERATOR})
_SK = frozenset({SECRET_KEY})
_ANY_KEY = frozenset({SECRET_KEY, PUBLISHABLE_KEY})
_OWN_READ = frozenset({SECRET_KEY, WIDGET_TOKEN})
_NONE: frozenset[str] = frozenset()

ENTITY_ROUTE_ACCEPTS = {
    "POST /api/users": _OPERATOR,
    "GET /api/users/{userId}": _PEOPLE,
    "POST /api/users/{userId}/token": _PEOPLE,
    "POST /api/entities": frozenset({PLATFORM_USER}),
    "GET /api/entities/pending": _OPERATOR,
    "DELETE /api/entities/{entityId}": _PEOPLE,
    "POST /api/entities/{entityId}/enable": _OPERATOR,
    "POST /api/entities/{entityId}/plan": _OPERATOR,
    "POST /api/entities/{entityId}/users": _PEOPLE,
    "POST /api/entities/{entityId}/admins": _PEOPLE,
    "DELETE /api/entities/{entityId}/admins/{userId}": _PEOPLE,
    "GET /api/users/{userId}/invitations": _PEOPLE,
    "GET /api/entities/{entityId}/invitations": _PEOPLE,
    "POST /api/entities/{entityId}/invitations/{invitationId}/accept": frozenset({PLATFORM_USER}),
    "POST /api/entities/{entityId}/invitations/{invitationId}/decline": frozenset({PLATFORM_USER}),
    "DELETE /api/entities/{entityId}/invitations/{invitationId}": _PEOPLE,
    "POST /api/entities/{entityId}/keys": _PEOPLE,
    "POST /api/entities/{entityId}/keys/{keyId}/rotate": _PEOPLE,
    "DELETE /api/entities/{entityId}/keys/{keyId}": _PEOPLE,
    "GET /api/entities/{entityId}/theme": _NONE,
}  # every other Entity API route: _ROLES

# Requests A's own credential must not make, even as the positive control: they would take away what the
# rest of the module uses, or are refused to A as well for a reason that is not about credentials.
NO_CONTROL = {
    "POST /api/users": "its email is fixed by the shared Entity API requests (taken after one run)",
    "POST /api/users/{userId}/token": "would rotate A's owner token",
    "DELETE /api/entities/{entityId}": "would delete A",
    "POST /api/entities/{entityId}/keys/{keyId}/rotate": "would rotate A's secret key",
    "DELETE /api/entities/{entityId}/keys/{keyId}": "would revoke A's secret key",
    "POST /v1/events": "the slug is A's own (409 for A: slugs are unique per entity)",
    "POST /api/entities/{entityId}/invitations/{invitationId}/accept": "only the invitee answers (A's "
    "invitation is addressed to an email nobody holds: 404 to everyone)",
    "POST /api/entities/{entityId}/invitations/{invitationId}/decline": "only the invitee answers (as above)",
    "DELETE /api/entities/{entityId}/invitations/{invitationId}": "would withdraw A's pending invitation",
    "POST /api/v1/events": "the slug is A's own (409 for A: slugs are unique per entity)",
    "DELETE /api/v1/code": "A's code holder was released by DELETE /code's control (a used_by that holds "
    "nothing is a 404)",
    "DELETE /api/v1/hook": "A's hook is gone once DELETE /hook's control removed it (404 hook_not_found)",
    "POST /api/v1/claims/{claimToken}": "A's claim token is single-use: POST /v1/claims's control used it",
    "DELETE /v1/identities/{identityId}": "would erase A's HeyMint identity, which the module still uses",
    "DELETE /api/v1/identities/{identityId}": "would erase A's HeyMint identity (as its canonical route)",
    "DELETE /v1/identities/{identityId}/identifiers": "would take from A's identity the identifier the "
    "other requests name it by (its only user id: 409 user_id_kept for A too)",
    "DELETE /api/v1/identities/{identityId}/identifiers": "as its canonical route",
    "GET /v1/identities/{identityId}/erasure": "nobody asked to erase A's identity: 404 for A too",
    "GET /api/v1/identities/{identityId}/erasure": "as its canonical route",
}


class Probe(NamedTuple):
    """One route's request aimed at A, and who may make it."""

    path: str
    params: dict[str, Any] | None
    body: Any
    accepts: frozenset[str]
    names_a: bool  # names something only A has: B's credentials must be refused whatever they are
    headers: dict[str, str] | None = None  # beside the credential (the person an SDK names)

    @property
    def names_a_user(self) -> bool:
        """Whether the request names a person (a claimr account, or the person an SDK names in its headers):
        a widget token reads only its own."""
        return "account" in (self.params or {}) or bool(self.headers)

    def other_user(self, account: str) -> dict[str, Any] | None:
        """The query naming another of A's users (for a widget token, which reads only its own)."""
        return None if self.params is None else {**self.params, "account": account}


class TenantA(NamedTuple):
    tenant: Tenant
    operator_key: str
    alice: str  # claimr accounts (platform discord); alice has XP, a ref_id, a widget token, events
    bob: str  # referred by alice
    alice_id: str
    bob_id: str
    widget_token: str
    ref_id: str
    wallet: str
    wallet_ref_id: str
    code: str
    claimr_event_id: str
    identity_id: str
    unique_identifier: str
    claim_token: str
    event_id: str
    event_slug: str
    log_id: str
    external_id: str
    email: str
    discord_id: str
    hook_id: str
    hook_uri: str
    hook_secret: str
    message_id: str
    social_token: str
    notification_id: int

    def secrets(self) -> list[str]:
        """What of A no answer to another credential may show (unless its request carried it)."""
        t = self.tenant
        return [
            t.entity_id,
            t.owner.user_id,
            t.owner.email,
            t.admin.user_id,
            t.admin.email,
            t.secret_key,
            t.secret_key_id,
            t.public_key,
            t.custom_id,
            self.operator_key,
            self.alice,
            self.bob,
            self.alice_id,
            self.bob_id,
            self.widget_token,
            self.ref_id,
            self.wallet,
            self.wallet_ref_id,
            self.code,
            self.claimr_event_id,
            self.identity_id,
            self.unique_identifier,
            self.claim_token,
            self.event_id,
            self.event_slug,
            self.log_id,
            self.external_id,
            self.email,
            self.discord_id,
            self.hook_id,
            self.hook_uri,
            self.hook_secret,
            self.message_id,
            self.social_token,
        ]


class TenantB(NamedTuple):
    entity_id: str
    user: User
    secret_key: str
    public_key: str
    widget_token: str


def _fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def probes(a: TenantA, receiver_uri: str) -> dict[str, Probe]:
    """Every route of the template, with a request that A's right credential would have answered: the
    canonical routes' requests, and for each `/api/v1` twin its canonical route's request at the twin's
    path (made afresh, so a request that may be made once, such as a new referee, is a new one)."""
    found = _canonical_probes(a, receiver_uri)
    again = _canonical_probes(a, receiver_uri)
    for twin, (prefix, canonical) in template_twins().items():
        found[twin] = again[canonical]._replace(path=prefix + again[canonical].path)
    return found


def template_twins() -> dict[str, tuple[str, str]]:
    """The template's `/api/v1` twins (claimr's and HeyMint's real base paths): twin route key -> (its
    prefix, the canonical route key)."""
    from questline.http.envelopes import CLAIMR, HEYMINT

    keys = {r.route_key for spec in Template.load().functions().values() for r in spec.routes}
    twins: dict[str, tuple[str, str]] = {}
    for route_key in keys:
        method, path = route_key.split(" ", 1)
        for prefix in (str(CLAIMR.twin_prefix), str(HEYMINT.twin_prefix)):
            canonical = f"{method} {path[len(prefix) :]}"
            if path.startswith(prefix + "/") and canonical in keys:
                twins[route_key] = (prefix, canonical)
    return twins


def _canonical_probes(a: TenantA, receiver_uri: str) -> dict[str, Probe]:
    t = a.tenant
    found: dict[str, Probe] = {}
    for route_key, (path, params, body) in entity_route_requests(t).items():
        # only GET /api/entities names nobody: B lists its own entities
        names_a = route_key != "GET /api/entities"
        found[route_key] = Probe(path, params, body, ENTITY_ROUTE_ACCEPTS.get(route_key, _ROLES), names_a)

    def probe(
        route_key: str,
        path: str,
        params: Any,
        body: Any,
        accepts: frozenset[str],
        names_a: bool,
        headers: dict[str, str] | None = None,
    ) -> None:
        found[route_key] = Probe(path, params, body, accepts, names_a, headers)

    alice = {"account": a.alice, "platform": "discord", "pid": PID}
    campaigns = f"/api/entities/{t.entity_id}/campaigns"
    campaign = json.loads(json.loads(DEMO_CAMPAIGN.read_text(encoding="utf-8"))["body"])
    # platform
    probe("GET /health", "/health", None, None, _NONE, False)
    probe("GET /openapi.json", "/openapi.json", None, None, _NONE, False)
    probe("GET /docs", "/docs", None, None, _NONE, False)
    probe("GET /widget.js", "/widget.js", None, None, _NONE, False)
    probe("GET /widget.css", "/widget.css", None, None, _NONE, False)
    probe("GET /widget", "/widget", {"pid": PID, "user_token": a.widget_token}, None, _NONE, False)
    # HeyMint
    probe(
        "POST /v1/identities", "/v1/identities", None, {"uniqueIdentifier": a.unique_identifier}, _SK, False
    )
    probe(
        "POST /v1/identities/{identityId}/association",
        f"/v1/identities/{a.identity_id}/association",
        None,
        None,
        _SK,
        True,
    )
    # the identity API, export and erase (ours, in HeyMint's family)
    probe("GET /v1/identities/{identityId}", f"/v1/identities/{a.identity_id}", None, None, _SK, True)
    # B's key looks the value up in B's namespace (where POST /v1/identities may have made B's own)
    probe(
        "GET /v1/identities",
        "/v1/identities",
        {"kind": "user_id", "value": a.unique_identifier},
        None,
        _SK,
        False,
    )
    probe(
        "POST /v1/identities/{identityId}/identifiers",
        f"/v1/identities/{a.identity_id}/identifiers",
        None,
        {"kind": "anonymous_id", "value": _fresh("anon")},
        _SK,
        True,
    )
    probe(
        "DELETE /v1/identities/{identityId}/identifiers",
        f"/v1/identities/{a.identity_id}/identifiers",
        {"kind": "user_id", "value": a.unique_identifier},
        None,
        _SK,
        True,
    )
    probe(
        "GET /v1/identities/{identityId}/export",
        f"/v1/identities/{a.identity_id}/export",
        None,
        None,
        _SK,
        True,
    )
    probe("DELETE /v1/identities/{identityId}", f"/v1/identities/{a.identity_id}", None, None, _SK, True)
    probe(
        "GET /v1/identities/{identityId}/erasure",
        f"/v1/identities/{a.identity_id}/erasure",
        None,
        None,
        _SK,
        True,
    )
    probe(
        "POST /v1/claims/{claimToken}",
        f"/v1/claims/{a.claim_token}",
        None,
        {"platform": "discord", "account": _fresh("claimer")},
        _SK,
        True,
    )
    probe("POST /v1/events", "/v1/events", None, {"name": "Level up", "slug": a.event_slug}, _SK, False)
    probe(
        "POST /v1/events/logs",
        "/v1/events/logs",
        None,
        {"identityId": a.identity_id, "eventId": a.event_id},
        _SK,
        True,
    )
    probe(
        "GET /v1/events/logs",
        "/v1/events/logs",
        {"identityId": a.identity_id, "eventId": a.event_id},
        None,
        _SK,
        True,
    )
    # Parcelvoy
    probe(
        "POST /api/client/alias",
        "/api/client/alias",
        None,
        {"anonymous_id": _fresh("anon"), "external_id": a.external_id},
        _ANY_KEY,
        False,
    )
    probe(
        "POST /api/client/identify",
        "/api/client/identify",
        None,
        {"external_id": a.external_id, "locale": "en", "data": {"plan": "gold"}},
        _ANY_KEY,
        False,
    )
    probe(
        "POST /api/client/devices",
        "/api/client/devices",
        None,
        {
            "external_id": a.external_id,
            "device_id": _fresh("device"),
            "os": "iOS 16.3",
            "model": "iPhone15,2",
            "app_build": "465",
            "app_version": "1.2.4",
        },
        _ANY_KEY,
        False,
    )
    probe(
        "POST /api/client/events",
        "/api/client/events",
        None,
        [{"external_id": a.external_id, "name": "Product Purchased", "data": {"price": 1}}],
        _ANY_KEY,
        False,
    )
    # in-app notifications: A's Parcelvoy person, named as the SDKs name them
    readers = _ANY_KEY | {WIDGET_TOKEN}
    person = {"x-external-id": a.external_id}
    probe("GET /api/client/notifications", "/api/client/notifications", None, None, readers, False, person)
    probe(
        "PUT /api/client/notifications/{notificationId}",
        f"/api/client/notifications/{a.notification_id}",
        None,
        {"external_id": a.external_id, "anonymous_id": None},
        readers,
        True,
    )
    # Endu: the organization is A
    probe(
        "POST /api/events/record",
        "/api/events/record",
        None,
        {
            "property_id": "D#1007491775344160808",
            "organization_id": t.entity_id,
            "timestamp": "1672536219",
            "event_type": "ITEM_PURCHASED",
            "event_data": {"item_id": "8258727671"},
            "p_user_id": a.discord_id,
            "platform_type": "Discord",
        },
        _ANY_KEY,
        True,
    )
    # campaign admin: A's entity in the path
    probe("PUT /api/entities/{entityId}/campaigns/{pid}", f"{campaigns}/{PID}", None, campaign, _ROLES, True)
    probe(
        "POST /api/entities/{entityId}/campaigns/{pid}/publish",
        f"{campaigns}/{PID}/publish",
        None,
        {},
        _ROLES,
        True,
    )
    probe("GET /api/entities/{entityId}/campaigns", campaigns, None, None, _ROLES, True)
    probe(
        "POST /api/entities/{entityId}/campaigns/{pid}/codes",
        f"{campaigns}/{PID}/codes",
        None,
        {"codes": [_fresh("SWEEP").upper()], "max_uses": 1},
        _ROLES,
        True,
    )
    # claimr users
    probe("GET /token", "/token", {"account": a.alice, "platform": "discord"}, None, _SK, False)
    probe("GET /user/ref_id", "/user/ref_id", alice, None, _OWN_READ, False)
    probe(
        "POST /user/ref_id",
        "/user/ref_id",
        None,
        {"account": _fresh("referee"), "platform": "discord", "pid": PID, "ref_id": a.ref_id},
        _SK,
        True,
    )
    probe(
        "POST /user/referrer",
        "/user/referrer",
        None,
        {
            "account": _fresh("referee"),
            "platform": "discord",
            "pid": PID,
            "ref_account": a.alice,
            "ref_platform": "discord",
        },
        _SK,
        False,
    )
    probe("GET /user/activity", "/user/activity", alice, None, _SK, False)
    probe("GET /user/progress", "/user/progress", alice, None, _OWN_READ, False)
    probe("GET /user/streak", "/user/streak", alice, None, _OWN_READ, False)
    probe("GET /user/achievements", "/user/achievements", alice, None, _OWN_READ, False)
    probe("GET /user/referrals", "/user/referrals", alice, None, _OWN_READ, False)
    probe("GET /user/balance", "/user/balance", alice, None, _OWN_READ, False)
    probe("POST /user/reward", "/user/reward", None, {**alice, "id": _fresh("reward"), "xp": 5}, _SK, False)
    probe(
        "POST /user/withdraw",
        "/user/withdraw",
        None,
        {**alice, "id": _fresh("withdraw"), "xp": 1, "strict": False},
        _SK,
        False,
    )
    probe(
        "POST /user/reward/reverse",
        "/user/reward/reverse",
        None,
        {**alice, "id": REVERSIBLE, "reason": "refund"},
        _SK,
        True,
    )
    probe(
        "POST /user/boost",
        "/user/boost",
        None,
        {**alice, "id": "weekend", "multiplier": 2, "ends_at": 4102444800},
        _SK,
        False,  # B's key grants it to B's own user of that account, in B's own campaign
    )
    # claimr tasks
    probe(
        "POST /action/value",
        "/action/value",
        None,
        {**alice, "cid": PID, "aid": "daily_login", "value": 1},
        _SK,
        False,
    )
    probe(
        "POST /stream/value",
        "/stream/value",
        None,
        {**alice, "stream": "player_score", "value": 1},
        _SK,
        False,
    )
    probe(
        "POST /event",
        "/event",
        None,
        {
            **alice,
            "name": "level_completed",
            "category": "gameplay",
            "data": {"level": 1},
            "id": a.claimr_event_id,
        },
        _SK,
        False,
    )
    probe(
        "GET /events",
        "/events",
        {**alice, "name": "level_completed", "category": "gameplay"},
        None,
        _SK,
        False,
    )
    # claimr campaigns and invite codes
    probe("GET /campaign/info", "/campaign/info", {"pid": PID}, None, _SK, False)
    probe("GET /campaign/points", "/campaign/points", {"pid": PID}, None, _OWN_READ, False)
    probe("GET /campaign/stats", "/campaign/stats", {"pid": PID}, None, _SK, False)
    probe("POST /campaign/dry-run", "/campaign/dry-run", None, {**alice, "reward": {"xp": 5}}, _SK, False)
    probe("GET /code", "/code", {"code": a.code, "pid": PID}, None, _SK, True)
    probe(
        "POST /code",
        "/code",
        None,
        {"code": a.code, "pid": PID, "used_by": "0x" + uuid.uuid4().hex + "0" * 8},
        _SK,
        True,
    )
    probe("DELETE /code", "/code", None, {"code": a.code, "pid": PID, "used_by": a.wallet}, _SK, True)
    probe("GET /leaderboard", "/leaderboard", {**alice, "around": 2}, None, _OWN_READ, False)
    # claimr wallets
    wallet = {"address": a.wallet, "pid": PID}
    probe("GET /wallet/code", "/wallet/code", wallet, None, _SK, False)
    probe("GET /wallet/ref_id", "/wallet/ref_id", wallet, None, _SK, False)
    probe("GET /wallet/referrals", "/wallet/referrals", wallet, None, _SK, False)
    probe(
        "POST /wallet/reward", "/wallet/reward", None, {**wallet, "id": _fresh("reward"), "xp": 5}, _SK, False
    )
    probe(
        "POST /wallet/withdraw",
        "/wallet/withdraw",
        None,
        {**wallet, "id": _fresh("withdraw"), "xp": 1, "strict": False},
        _SK,
        False,
    )
    probe(
        "POST /wallet/reward/reverse",
        "/wallet/reward/reverse",
        None,
        {**wallet, "id": WALLET_REVERSIBLE, "reason": "refund"},
        _SK,
        True,
    )
    # webhooks: A's hook id, another receiver (B's own hook, if B registers one, must never reach A's)
    hook = {"scope": "user_reward", "hook_id": a.hook_id}
    probe(
        "POST /hook",
        "/hook",
        None,
        {**hook, "uri": receiver_uri, "secret": "intruder-hook-secret", "pids": [PID]},
        _SK,
        False,
    )
    probe("DELETE /hook", "/hook", None, hook, _SK, False)
    probe("GET /hook", "/hook", {"scope": "user_reward"}, None, _SK, False)
    probe("GET /hook/deliveries", "/hook/deliveries", hook, None, _SK, False)
    probe("POST /hook/redeliver", "/hook/redeliver", None, {"message_id": a.message_id}, _SK, True)
    return found


# --- the two tenants --------------------------------------------------------------------------------


def _ok(reply: requests.Response, status: int = 200) -> Any:
    assert reply.status_code == status, (
        reply.request.method,
        reply.request.url,
        reply.status_code,
        reply.text,
    )
    return reply.json() if reply.content else None


def _settled(stack: LocalStack, markers: tuple[str, ...]) -> list[dict[str, Any]]:
    """A's items once the stream and the webhook queue have nothing more to do with them: the same in two
    reads a second apart, with no webhook message waiting, delayed for a retry or in flight."""
    sqs = stack.client("sqs")
    last: list[list[dict[str, Any]]] = []

    def quiet() -> list[dict[str, Any]] | None:
        attributes = sqs.get_queue_attributes(
            QueueUrl=stack.state["queues"]["WebhookQueue"],
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        if sum(int(v) for v in attributes.values()):
            return None
        items = tenant_items(stack, *markers)
        stable = bool(last) and last[-1] == items
        last.append(items)
        return items if stable else None

    return eventually(quiet, timeout=60, interval=1.0)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    """A's webhook receiver, and the one B's requests name."""
    a, b = Receiver(), Receiver()
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture(scope="module")
def tenant_a(api: Api, receivers: tuple[Receiver, Receiver]) -> Iterator[TenantA]:
    """The seeded entity, given an admin, a custom id, a theme, social tokens, claimr users with XP, a
    referral, a widget token, events, an invite code held by a wallet, a HeyMint identity with an event log
    and a claim URL, a Parcelvoy user, an Endu identity, and a webhook with a delivery. The hook is removed
    afterwards: its receiver stops with this module."""
    state = api.state
    owner = User(state["user_id"], state["user_token"], "demo@questline.local")
    t = furnish_tenant(
        api,
        "Seeded",
        state["entity_id"],
        owner,
        name="Demo entity",
        alias="demo",
        secret_key=state["secret_key"],
        public_key=state["public_key"],
    )
    sk, pk = api.bearer(t.secret_key), api.bearer(t.public_key)
    base = f"/api/entities/{t.entity_id}"
    social_token = _fresh("a-twitter-access")
    _ok(api.request("PUT", f"{base}/theme", headers=owner.headers, json={"primaryColor": "#0a0b0c"}))
    _ok(
        api.post(
            f"{base}/social-tokens",
            headers=owner.headers,
            json={"type": "TWITTER", "accessToken": social_token},
        )
    )

    # a campaign of A's own with notifications (published first: the stream function caches the list
    # of published campaigns for a few seconds), whose task A's Parcelvoy person completes at the end
    notes = {
        "name": "Sweep notes",
        "actions": [
            {"id": "buy", "name": "Buy", "type": "events_count", "xp": 5,
             "meta": {"event": {"name": "sweep_purchase"}, "target": 1}},
        ],
        "notifications": {},
    }  # fmt: skip
    _ok(api.request("PUT", f"{base}/campaigns/sweep_notes", headers=owner.headers, json=notes))
    _ok(api.post(f"{base}/campaigns/sweep_notes/publish", headers=owner.headers, json={}))

    alice, bob = _fresh("alice"), _fresh("bob")
    token = _ok(api.get("/token", headers=sk, params={"account": alice, "platform": "discord"}))["data"][
        "token"
    ]
    who = {"platform": "discord", "pid": PID}
    _ok(api.post("/user/reward", headers=sk, json={**who, "account": alice, "id": _fresh("r"), "xp": 120}))
    _ok(api.post("/user/reward", headers=sk, json={**who, "account": alice, "id": REVERSIBLE, "xp": 1}))
    ref_id = _ok(api.get("/user/ref_id", headers=sk, params={**who, "account": alice}))["data"]["ref_id"]
    _ok(api.post("/user/ref_id", headers=sk, json={**who, "account": bob, "ref_id": ref_id}))
    _ok(api.post("/user/reward", headers=sk, json={**who, "account": bob, "id": _fresh("r"), "xp": 10}))
    claimr_event = _fresh("evt")
    _ok(
        api.post(
            "/event",
            headers=sk,
            json={
                **who,
                "account": alice,
                "name": "level_completed",
                "category": "gameplay",
                "id": claimr_event,
            },
        )
    )
    alice_id = _ok(api.get("/user/activity", headers=sk, params={**who, "account": alice}))["data"]["userId"]
    bob_id = _ok(api.get("/user/activity", headers=sk, params={**who, "account": bob}))["data"]["userId"]
    wallet, code = "0xa11ce" + uuid.uuid4().hex[:32] + "000", _fresh("ALPHA").upper()  # 0x + 40 hex
    _ok(api.post(f"{base}/campaigns/{PID}/codes", headers=sk, json={"codes": [code], "max_uses": 5}), 201)
    _ok(api.post("/code", headers=sk, json={"code": code, "pid": PID, "used_by": wallet}))
    _ok(
        api.post(
            "/wallet/reward", headers=sk, json={"address": wallet, "pid": PID, "id": _fresh("r"), "xp": 7}
        )
    )
    _ok(
        api.post(
            "/wallet/reward",
            headers=sk,
            json={"address": wallet, "pid": PID, "id": WALLET_REVERSIBLE, "xp": 1},
        )
    )
    wallet_ref = {**who, "account": wallet, "platform": "web3"}
    wallet_ref_id = _ok(api.get("/user/ref_id", headers=sk, params=wallet_ref))["data"]["ref_id"]

    heymint = {"x-api-key": t.secret_key}
    unique_identifier = _fresh("a-player")
    identity_id = _ok(
        api.post("/v1/identities", headers=heymint, json={"uniqueIdentifier": unique_identifier})
    )["id"]
    url = _ok(api.post(f"/v1/identities/{identity_id}/association", headers=heymint))["url"]
    slug = _fresh("a-level-up")
    event_id = _ok(api.post("/v1/events", headers=heymint, json={"name": "Level up", "slug": slug}))["id"]
    log_id = _ok(
        api.post("/v1/events/logs", headers=heymint, json={"identityId": identity_id, "eventId": event_id})
    )["logId"]

    external_id, email = _fresh("a-external"), f"{_fresh('a-person')}@example.com"
    _ok(api.post("/api/client/identify", headers=pk, json={"external_id": external_id, "email": email}), 204)
    discord_id = _fresh("a-discord")
    endu = {
        "property_id": "D#1007491775344160808",
        "organization_id": t.entity_id,
        "timestamp": "1672536219",
        "event_type": "ITEM_PURCHASED",
        "event_data": {"item_id": "1"},
        "p_user_id": discord_id,
        "platform_type": "Discord",
    }
    _ok(api.post("/api/events/record", headers=pk, json=endu))

    receiver = receivers[0]
    hook_id, hook_secret = _fresh("a-hook"), _fresh("a-hook-secret")
    hook = {
        "scope": "user_reward",
        "hook_id": hook_id,
        "uri": receiver.url,
        "secret": hook_secret,
        "pids": [PID],
    }
    _ok(api.post("/hook", headers=sk, json=hook))
    _ok(api.post("/user/reward", headers=sk, json={**who, "account": alice, "id": _fresh("r"), "xp": 3}))
    eventually(lambda: receiver.requests, timeout=60)

    def delivered() -> str | None:
        page = _ok(
            api.get("/hook/deliveries", headers=sk, params={"scope": "user_reward", "hook_id": hook_id})
        )
        done = [d for d in page["data"]["deliveries"] if d["status"] == "delivered"]
        return str(done[0]["message_id"]) if done else None

    message_id = eventually(delivered, timeout=60)
    purchase = [{"external_id": external_id, "name": "sweep_purchase"}]

    def notified() -> int | None:
        page = _ok(api.get("/api/client/notifications", headers={**sk, "x-external-id": external_id}))
        if not page["results"]:  # (again: an event the stream saw before the campaign's cache expired)
            _ok(api.post("/api/client/events", headers=pk, json=purchase), 204)
            return None
        return int(page["results"][0]["id"])

    notification_id = eventually(notified, timeout=60, interval=1.0)
    yield TenantA(
        t,
        state["operator_key"],
        alice,
        bob,
        alice_id,
        bob_id,
        token,
        ref_id,
        wallet,
        wallet_ref_id,
        code,
        claimr_event,
        identity_id,
        unique_identifier,
        url.rsplit("/", 1)[1],
        event_id,
        slug,
        log_id,
        external_id,
        email,
        discord_id,
        hook_id,
        receiver.url,
        hook_secret,
        message_id,
        social_token,
        notification_id,
    )
    api.request("DELETE", "/hook", headers=sk, json={"scope": "user_reward", "hook_id": hook_id})


@pytest.fixture(scope="module")
def tenant_b(stack: LocalStack, api: Api) -> TenantB:
    """Another tenant with A's campaign id published, so a claimr request of B's finds a campaign of its own
    and is answered from B's namespace, not refused for a missing campaign."""
    made = new_tenant(stack, "Sweep intruder")
    user = User(made["user_id"], made["user_token"], "")
    campaign = json.loads(json.loads(DEMO_CAMPAIGN.read_text(encoding="utf-8"))["body"])
    path = f"/api/entities/{made['entity_id']}/campaigns/{PID}"
    _ok(api.request("PUT", path, json=campaign, headers=user.headers))
    _ok(api.post(f"{path}/publish", json={}, headers=user.headers))
    token = _ok(
        api.get(
            "/token",
            headers=api.bearer(made["secret_key"]),
            params={"account": "intruder", "platform": "discord"},
        )
    )["data"]["token"]
    return TenantB(made["entity_id"], user, made["secret_key"], made["public_key"], token)


# --- the sweep --------------------------------------------------------------------------------------


class Case(NamedTuple):
    name: str
    headers: dict[str, str]
    kind: str | None  # the credential kind sent (None: no credential)
    of_a: bool  # the credential is A's own


def _cases(api: Api, a: TenantA, b: TenantB) -> list[Case]:
    return [
        Case("B's secret key", api.bearer(b.secret_key), SECRET_KEY, False),
        Case("B's publishable key", api.bearer(b.public_key), PUBLISHABLE_KEY, False),
        Case("B's platform user", b.user.headers, PLATFORM_USER, False),
        Case("B's widget token", api.bearer(b.widget_token), WIDGET_TOKEN, False),
        Case("A's publishable key", api.bearer(a.tenant.public_key), PUBLISHABLE_KEY, True),
        Case("A's secret key", {"x-api-key": a.tenant.secret_key}, SECRET_KEY, True),
        Case("A's widget token", api.bearer(a.widget_token), WIDGET_TOKEN, True),
        Case("no credential", {}, None, False),
    ]


class Outcome(NamedTuple):
    route: str
    case: str
    status: int
    body: str


def _expectation(
    route_key: str, probe: Probe, case: Case, a: TenantA
) -> tuple[dict[str, Any] | None, bool] | None:
    """What to send for this case (the query), and whether it must be refused; None to skip the case."""
    if route_key in PUBLIC_ROUTES:
        return probe.params, False  # no credential matters; only leaks are looked for
    if case.kind == WIDGET_TOKEN and case.of_a and case.kind in probe.accepts and probe.names_a_user:
        return probe.other_user(a.bob), True  # a widget route: A's widget names another of A's users
    if case.of_a and case.kind in probe.accepts:
        return None  # A's own credential where it is accepted: the positive control, later
    # no credential; A's where the route does not take it; B's widget token (naming A's user, or on a route
    # it may not use; on one that names nobody it reads B's own campaign, as B's key does); B's key or user
    # on a route it does not take, or naming what only A has
    widget_refused = case.kind == WIDGET_TOKEN and (probe.names_a_user or case.kind not in probe.accepts)
    refused = case.kind is None or case.of_a or widget_refused
    return probe.params, refused or case.kind not in probe.accepts or probe.names_a


def test_the_sweep_has_a_request_for_every_route_of_the_template(tenant_a: TenantA) -> None:
    template = {r.route_key for spec in Template.load().functions().values() for r in spec.routes}
    swept = probes(tenant_a, "http://127.0.0.1:9/hook")

    assert set(swept) == template
    assert set(PUBLIC_ROUTES) == {k for k, p in swept.items() if not p.accepts}
    assert set(NO_CONTROL) <= template


def test_no_credential_but_a_own_reaches_a(
    api: Api,
    stack: LocalStack,
    tenant_a: TenantA,
    tenant_b: TenantB,
    receivers: tuple[Receiver, Receiver],
) -> None:
    a, b = tenant_a, tenant_b
    markers = (a.tenant.entity_id, a.tenant.owner.user_id)
    before = _settled(stack, markers)
    heard = len(receivers[0].requests)
    secrets_of_a = a.secrets()
    refused_but_2xx: list[Outcome] = []
    leaks: list[Outcome] = []
    written_by_b: set[str] = set()
    sent: list[str] = []

    swept = probes(a, receivers[1].url)
    for route_key, probe in swept.items():
        method = route_key.split()[0]
        for case in _cases(api, a, b):
            expected = _expectation(route_key, probe, case, a)
            if expected is None:
                continue
            params, must_refuse = expected
            headers = {**case.headers, **(probe.headers or {})}
            reply = api.request(method, probe.path, headers=headers, params=params, json=probe.body)
            sent.append(route_key)
            outcome = Outcome(route_key, case.name, reply.status_code, reply.text[:300])
            succeeded = 200 <= reply.status_code < 300
            if must_refuse and succeeded:
                refused_but_2xx.append(outcome)
            request = (probe.path, params, json.dumps(probe.body))
            if shown_secrets(reply, [s for s in secrets_of_a if s not in written_by_b], *request):
                leaks.append(outcome)
            if succeeded and method != "GET" and not case.of_a:
                # B wrote these into its own namespace (an account, a slug, an event id that A also
                # uses): B's later answers may show them back
                written_by_b.update(s for s in secrets_of_a if s in " ".join(map(str, request)))

    after = _settled(stack, markers)
    assert refused_but_2xx == []
    assert leaks == []
    assert after == before
    assert len(receivers[0].requests) == heard
    # what B's own hooks (if any) were sent is B's activity only: they may name what B's own requests named
    # in B's namespace (an account, a user id A also uses), nothing else of A
    unsent_by_b = [s for s in secrets_of_a if s not in written_by_b]
    assert [body for _, body in receivers[1].requests if any(s.encode() in body for s in unsent_by_b)] == []
    assert set(sent) == set(swept) and len(sent) >= 6 * len(swept)
    # what B may see again is only what it sent itself, into its own namespace
    assert written_by_b <= {
        a.alice,
        a.wallet,
        a.unique_identifier,
        a.event_slug,
        a.external_id,
        a.claimr_event_id,
        a.hook_id,
    }


def _control_headers(api: Api, a: TenantA, accepts: frozenset[str]) -> dict[str, str]:
    if SECRET_KEY in accepts:
        return api.bearer(a.tenant.secret_key)
    if PLATFORM_USER in accepts:
        return a.tenant.owner.headers
    if OPERATOR in accepts:
        return api.bearer(a.operator_key)
    return {}


def test_each_request_succeeds_with_a_own_credential(
    api: Api, tenant_a: TenantA, receivers: tuple[Receiver, Receiver]
) -> None:
    """The positive control: after the sweep (which must have left A alone), the same requests answer 2xx
    to A's own credential, so the refusals were about who asked."""
    failed: list[Outcome] = []
    swept = probes(tenant_a, receivers[1].url)
    # removals last (a provider's tokens, a hook, an admin, a code), so the requests that read them find them
    for route_key in sorted(
        swept, key=lambda route: route.endswith("/disconnect") or route.startswith("DELETE")
    ):
        probe = swept[route_key]
        if route_key in NO_CONTROL:
            continue
        method = route_key.split()[0]
        headers = {**_control_headers(api, tenant_a, probe.accepts), **(probe.headers or {})}
        body = probe.body
        if isinstance(body, dict) and str(body.get("code", "")).startswith("good"):
            body = {**body, "code": _fresh("good")}  # the fake provider takes a code once
        reply = api.request(method, probe.path, headers=headers, params=probe.params, json=body)
        if not 200 <= reply.status_code < 300:
            failed.append(Outcome(route_key, "A's own credential", reply.status_code, reply.text[:300]))

    assert failed == [], "\n".join(map(str, failed))


def test_a_widget_token_reads_its_own_user(api: Api, tenant_a: TenantA) -> None:
    """The widget routes refused above for naming another user answer for the token's own user."""
    widget = api.bearer(tenant_a.widget_token)
    own = ("/user/balance", "/user/ref_id", "/user/progress", "/user/referrals", "/leaderboard")
    for path in (*own, "/campaign/points"):
        reply = api.get(path, headers=widget, params={"pid": PID})
        assert reply.status_code == 200, (path, reply.text)
    progress = api.get("/user/progress", headers=widget, params={"pid": PID}).json()["data"]
    assert progress["userId"] == tenant_a.alice_id
