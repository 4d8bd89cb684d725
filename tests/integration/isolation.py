"""What the tenant-isolation sweeps share: a request aimed at entity A for every Entity API route, the
table items that belong to a tenant, and which of a tenant's secrets a reply shows."""

from __future__ import annotations

from typing import Any

import requests

from local.stack import LocalStack
from tests.integration.entity_world import Tenant
from tests.support import is_request_count


def entity_route_requests(a: Tenant) -> dict[str, tuple[str, dict[str, Any] | None, Any]]:
    """For each route of the entities function: the concrete path aimed at A, query parameters, and a
    valid body."""
    e = f"/api/entities/{a.entity_id}"
    oauth = {"code": "good-cross-tenant", "redirectUri": "https://x", "codeVerifier": "v"}
    return {
        "POST /api/users": ("/api/users", None, {"email": "intruder@example.com", "name": "Intruder"}),
        "GET /api/users/{userId}": (f"/api/users/{a.owner.user_id}", None, None),
        "POST /api/users/{userId}/token": (f"/api/users/{a.owner.user_id}/token", None, None),
        "POST /api/entities": (
            "/api/entities",
            None,
            {"name": "Under A", "chainSource": "OFF_CHAIN", "parentEntityId": a.entity_id},
        ),
        "GET /api/entities": ("/api/entities", {"limit": 100}, None),
        "GET /api/entities/pending": ("/api/entities/pending", None, None),
        "GET /api/entities/by-alias": ("/api/entities/by-alias", {"entityURLAlias": a.alias}, None),
        "GET /api/entities/by-custom-id": (
            "/api/entities/by-custom-id",
            {"platform": "DISCORD", "customEntityId": a.custom_id},
            None,
        ),
        "GET /api/entities/{entityId}": (e, None, None),
        "PATCH /api/entities/{entityId}": (e, None, {"description": "defaced"}),
        "DELETE /api/entities/{entityId}": (e, None, None),
        "POST /api/entities/{entityId}/enable": (f"{e}/enable", None, {}),
        "POST /api/entities/{entityId}/plan": (f"{e}/plan", None, {"plan": "FREE"}),
        "POST /api/entities/{entityId}/custom-ids": (
            f"{e}/custom-ids",
            None,
            {"platform": "DISCORD", "platformId": a.custom_id, "accessToken": "stolen"},
        ),
        "GET /api/entities/{entityId}/organizations": (f"{e}/organizations", None, None),
        "GET /api/entities/{entityId}/mau": (f"{e}/mau", {"month": "2026-11"}, None),
        "GET /api/entities/{entityId}/users": (f"{e}/users", None, None),
        "POST /api/entities/{entityId}/users": (f"{e}/users", None, {"userIds": [a.admin.user_id]}),
        "GET /api/entities/{entityId}/admins": (f"{e}/admins", None, None),
        "POST /api/entities/{entityId}/admins": (
            f"{e}/admins",
            None,
            {"role": "ADMIN", "email": a.admin.email},
        ),
        "DELETE /api/entities/{entityId}/admins/{userId}": (f"{e}/admins/{a.admin.user_id}", None, None),
        "GET /api/users/{userId}/invitations": (f"/api/users/{a.owner.user_id}/invitations", None, None),
        "GET /api/entities/{entityId}/invitations": (f"{e}/invitations", None, None),
        "POST /api/entities/{entityId}/invitations/{invitationId}/accept": (
            f"{e}/invitations/{a.invitation_id}/accept",
            None,
            None,
        ),
        "POST /api/entities/{entityId}/invitations/{invitationId}/decline": (
            f"{e}/invitations/{a.invitation_id}/decline",
            None,
            None,
        ),
        "DELETE /api/entities/{entityId}/invitations/{invitationId}": (
            f"{e}/invitations/{a.invitation_id}",
            None,
            None,
        ),
        "GET /api/entities/{entityId}/keys": (f"{e}/keys", None, None),
        "POST /api/entities/{entityId}/keys": (f"{e}/keys", None, {"type": "sk"}),
        "POST /api/entities/{entityId}/keys/{keyId}/rotate": (
            f"{e}/keys/{a.secret_key_id}/rotate",
            None,
            None,
        ),
        "DELETE /api/entities/{entityId}/keys/{keyId}": (f"{e}/keys/{a.secret_key_id}", None, None),
        "GET /api/entities/{entityId}/tracking-tokens": (f"{e}/tracking-tokens", None, None),
        "GET /api/entities/{entityId}/theme": (f"{e}/theme", None, None),
        "PUT /api/entities/{entityId}/theme": (f"{e}/theme", None, {"primaryColor": "#000000"}),
        "POST /api/entities/{entityId}/twitter/connect": (f"{e}/twitter/connect", None, oauth),
        "POST /api/entities/{entityId}/twitter/disconnect": (f"{e}/twitter/disconnect", None, None),
        "POST /api/entities/{entityId}/discord/connect": (f"{e}/discord/connect", None, oauth),
        "POST /api/entities/{entityId}/discord/disconnect": (f"{e}/discord/disconnect", None, None),
        "POST /api/entities/{entityId}/slack/connect": (f"{e}/slack/connect", None, oauth),
        "GET /api/entities/{entityId}/social-tokens": (f"{e}/social-tokens", {"type": "TWITTER"}, None),
        "POST /api/entities/{entityId}/social-tokens": (
            f"{e}/social-tokens",
            None,
            {"type": "TWITTER", "accessToken": "planted"},
        ),
        "GET /api/entities/{entityId}/integrations": (f"{e}/integrations", None, None),
    }


def tenant_items(stack: LocalStack, *markers: str) -> list[dict[str, Any]]:
    """Every item of the table that names any of `markers` (an entity id, its owner's user id), sorted:
    compare two snapshots to see whether anything of a tenant changed."""
    client = stack.client("dynamodb")
    found: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        page = client.scan(
            TableName=stack.state["table_name"], **({"ExclusiveStartKey": start} if start else {})
        )
        found.extend(
            item
            for item in page["Items"]
            if any(m in str(item) for m in markers) and not is_request_count(item)
        )
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    return sorted(found, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))


def shown_secrets(reply: requests.Response, secrets: list[str], *sent: Any) -> list[str]:
    """The secrets a reply shows that its request did not carry itself (a path naming A's id is echoed)."""
    request = " ".join(str(part) for part in sent if part is not None)
    return [s for s in secrets if s in reply.text and s not in request]
