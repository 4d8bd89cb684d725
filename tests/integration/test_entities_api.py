"""The Entity API end to end over HTTP on the local stack: every route, its success, bad input and refusals,
and OAuth connections against the fake provider on loopback."""

from __future__ import annotations

from local.stack import LocalStack
from questline.ids import secret_hash
from tests.integration.conftest import Api
from tests.integration.entity_world import User, new_entity, new_key, new_tenant, new_user, operator
from tests.support import FakeOAuthProvider


def test_the_seeded_state_came_through_the_api(api: Api) -> None:
    state = api.state
    user = {"userid": state["user_id"], "token": state["user_token"]}

    mine = api.get("/api/entities", headers=user)
    admins = api.get(f"/api/entities/{state['entity_id']}/admins", headers=user)
    keys = api.get(f"/api/entities/{state['entity_id']}/keys", headers=user)

    assert [e["entityId"] for e in mine.json()["data"]] == [state["entity_id"]]
    assert (
        admins.json()["data"][0]["role"] == "OWNER" and admins.json()["data"][0]["userId"] == state["user_id"]
    )
    assert sorted(k["type"] for k in keys.json()["data"]) == ["pk", "sk"]
    assert state["secret_key"] not in keys.text and state["public_key"] not in keys.text


def test_users_entities_and_their_lifecycle(api: Api) -> None:
    owner = new_user(api, "Lifecycle")
    created = api.post(
        "/api/entities",
        headers=owner.headers,
        json={"name": "Lifecycle game", "chainSource": "OFF_CHAIN", "website": "https://game.example"},
    )
    assert created.status_code == 201 and created.json()["success"] is True
    entity_id = created.json()["entityId"]
    path = f"/api/entities/{entity_id}"

    bad = api.post("/api/entities", headers=owner.headers, json={"name": "No chain"})
    assert bad.status_code == 400 and bad.json() == {"success": False, "error": "chainSource: is required"}

    updated = api.request(
        "PATCH",
        path,
        headers=owner.headers,
        json={"description": "updated", "entityURLAlias": f"lc-{entity_id[-8:]}"},
    )
    assert updated.status_code == 200 and updated.json()["data"]["description"] == "updated"
    found = api.get(
        "/api/entities/by-alias", headers=owner.headers, params={"entityURLAlias": f"lc-{entity_id[-8:]}"}
    )
    assert found.json() == {"success": True, "data": entity_id}

    plan = api.post(f"{path}/plan", headers=operator(api), json={"plan": "GROWTH"})
    assert plan.status_code == 200 and plan.json()["data"]["plan"] == "GROWTH"
    enable = api.post(
        f"{path}/enable", headers=operator(api), json={"baseName": "Life", "baseSymbol": "LIFE"}
    )
    assert enable.status_code == 200 and enable.json()["data"]["baseName"] == "Life"
    pending = api.get("/api/entities/pending", headers=operator(api))
    assert pending.status_code == 200 and entity_id not in pending.text

    child = new_entity(api, owner, "Lifecycle child", parentEntityId=entity_id)
    orgs = api.get(f"{path}/organizations", headers=owner.headers)
    assert [o["entityId"] for o in orgs.json()["data"]] == [child]

    rotated = api.post(f"/api/users/{owner.user_id}/token", headers=owner.headers)
    assert rotated.status_code == 200
    assert api.get(path, headers=owner.headers).status_code == 401
    owner = User(owner.user_id, rotated.json()["data"]["token"], owner.email)
    new_headers = owner.headers

    _, secret = new_key(api, owner, entity_id, "sk")
    assert api.get(path, headers=api.bearer(secret)).status_code == 200
    deleted = api.request("DELETE", path, headers=new_headers)
    assert deleted.status_code == 200 and deleted.json()["message"] == "Entity deleted successfully"
    gone = api.get(path, headers=api.bearer(secret))
    assert gone.status_code in (401, 404)  # its keys and its data are gone
    assert api.get(path, headers=new_headers).status_code == 404
    assert api.get(f"{path}/theme").status_code == 404
    assert api.get(f"/api/entities/{child}", headers=new_headers).status_code == 200  # children live on


def test_members_admins_and_the_owner_rule(api: Api) -> None:
    tenant = new_tenant(api, "People")
    member = new_user(api, "Member")
    base = f"/api/entities/{tenant.entity_id}"

    added = api.post(f"{base}/users", headers=tenant.owner.headers, json={"userIds": [member.user_id]})
    users = api.get(f"{base}/users", headers=member.headers)
    admins = api.get(f"{base}/admins", headers=tenant.admin.headers)
    by_admin = api.post(f"{base}/admins", headers=tenant.admin.headers, json={"userId": member.user_id})
    owner_out = api.request("DELETE", f"{base}/admins/{tenant.owner.user_id}", headers=tenant.owner.headers)
    admin_out = api.request("DELETE", f"{base}/admins/{tenant.admin.user_id}", headers=tenant.owner.headers)

    assert added.status_code == 200 and added.json()["data"][0]["role"] == "MEMBER"
    assert {u["role"] for u in users.json()["data"]} == {"OWNER", "ADMIN", "MEMBER"}
    assert [a["role"] for a in admins.json()["data"]] == ["OWNER", "ADMIN"]
    assert by_admin.status_code == 403
    assert owner_out.status_code == 422 and owner_out.json()["error"] == "the owner cannot be removed"
    assert admin_out.status_code == 200
    assert api.get(base, headers=tenant.admin.headers).status_code == 403


def test_keys_rotate_and_revoke(api: Api) -> None:
    tenant = new_tenant(api, "Keys")
    base = f"/api/entities/{tenant.entity_id}"
    owner = tenant.owner.headers

    rotated = api.post(f"{base}/keys/{tenant.secret_key_id}/rotate", headers=owner)
    assert rotated.status_code == 201
    new_id, new_key_value = rotated.json()["data"]["keyId"], rotated.json()["data"]["key"]
    assert api.get(base, headers=api.bearer(tenant.secret_key)).status_code == 200  # grace period
    assert api.get(base, headers=api.bearer(new_key_value)).status_code == 200
    listed = api.get(f"{base}/keys", headers=owner).json()["data"]
    assert {k["keyId"]: k["status"] for k in listed}[tenant.secret_key_id] == "expiring"
    tracking = api.get(f"{base}/tracking-tokens", headers=api.bearer(new_key_value))
    assert [t["type"] for t in tracking.json()["data"]] == ["pk"] and tenant.public_key not in tracking.text

    revoked = api.request("DELETE", f"{base}/keys/{new_id}", headers=owner)
    assert revoked.status_code == 200 and revoked.json()["data"]["status"] == "revoked"
    assert api.get(base, headers=api.bearer(new_key_value)).status_code == 401
    assert (
        api.post(f"{base}/keys", headers=api.bearer(tenant.secret_key), json={"type": "sk"}).status_code
        == 401
    )
    assert api.post(f"{base}/keys", headers=owner, json={"type": "xx"}).status_code == 400


def test_theme_custom_ids_and_mau(api: Api, stack: LocalStack) -> None:
    tenant = new_tenant(api, "Looks")
    base = f"/api/entities/{tenant.entity_id}"

    put = api.request(
        "PUT", f"{base}/theme", headers=api.bearer(tenant.secret_key), json={"primaryColor": "#abcdef"}
    )
    public = api.get(f"{base}/theme")
    bad = api.request("PUT", f"{base}/theme", headers=tenant.owner.headers, json={"primaryColor": "blue"})
    lookup = api.get(
        "/api/entities/by-custom-id",
        headers=tenant.admin.headers,
        params={"platform": "DISCORD", "customEntityId": tenant.custom_id},
    )
    mau = api.get(f"{base}/mau", headers=api.bearer(tenant.secret_key), params={"month": "2026-11"})
    bad_month = api.get(f"{base}/mau", headers=api.bearer(tenant.secret_key), params={"month": "11-2026"})

    assert put.status_code == 200 and public.json()["data"]["primaryColor"] == "#abcdef"
    assert bad.status_code == 400 and bad.json()["error"].startswith("primaryColor:")
    assert lookup.json() == {"success": True, "data": tenant.entity_id}
    assert mau.json()["data"] == {"entityId": tenant.entity_id, "month": "2026-11", "count": 0}
    assert bad_month.status_code == 400 and bad_month.json()["error"].startswith("month:")
    # the custom id's token is stored, never answered
    table = stack.client("dynamodb")
    item = table.get_item(
        TableName=stack.state["table_name"],
        Key={"PK": {"S": f"ENT#{tenant.entity_id}"}, "SK": {"S": f"CID#DISCORD#{tenant.custom_id}"}},
    )["Item"]
    assert item["access_token"]["S"].startswith("Looks-discord-token-")


def test_social_connections_through_the_fake_provider(api: Api, oauth_provider: FakeOAuthProvider) -> None:
    tenant = new_tenant(api, "Social")
    base = f"/api/entities/{tenant.entity_id}"
    owner = tenant.owner.headers

    twitter = api.post(
        f"{base}/twitter/connect",
        headers=owner,
        json={
            "code": "good-it-twitter",
            "redirectUri": "https://app.example/cb",
            "codeVerifier": "challenge",
        },
    )
    discord = api.post(
        f"{base}/discord/connect",
        headers=owner,
        json={"code": "good-it-discord", "redirectUri": "https://app.example/cb"},
    )
    slack = api.post(
        f"{base}/slack/connect", headers=api.bearer(tenant.secret_key), json={"code": "good-it-slack"}
    )
    refused = api.post(
        f"{base}/discord/connect", headers=owner, json={"code": "bad", "redirectUri": "https://x"}
    )
    status = api.get(f"{base}/integrations", headers=owner)
    tokens = api.get(f"{base}/social-tokens", headers=owner, params={"type": "TWITTER"})
    disconnected = api.post(f"{base}/twitter/disconnect", headers=owner)
    after = api.get(f"{base}/integrations", headers=owner)

    assert twitter.status_code == 200 and twitter.json()["data"]["username"] == "questline_dev"
    assert discord.status_code == 200 and discord.json()["data"]["username"] == "questline"
    assert slack.status_code == 200 and slack.json()["data"]["teamId"] == "T9TK3CUKW"
    assert refused.status_code == 400 and refused.json()["error"].startswith("code: discord refused")
    assert {name: s["connected"] for name, s in status.json()["data"].items()} == {
        "twitter": True,
        "discord": True,
        "slack": True,
        "instagram": False,
    }
    assert tokens.json()["data"]["accessToken"] in oauth_provider.issued
    assert disconnected.status_code == 200 and after.json()["data"]["twitter"]["connected"] is False
    for answer in (twitter, discord, slack, status, after):
        assert not any(token in answer.text for token in oauth_provider.issued)

    manual = api.post(
        f"{base}/social-tokens",
        headers=owner,
        json={"type": "INSTAGRAM", "accessToken": "ig-integration-token"},
    )
    read = api.get(
        f"{base}/social-tokens", headers=api.bearer(tenant.secret_key), params={"type": "INSTAGRAM"}
    )
    assert manual.status_code == 200 and "ig-integration-token" not in manual.text
    assert read.json()["data"]["accessToken"] == "ig-integration-token"


def test_secrets_never_reach_the_logs(api: Api, stack: LocalStack, oauth_provider: FakeOAuthProvider) -> None:
    tenant = new_tenant(api, "Quiet")
    api.post(
        f"/api/entities/{tenant.entity_id}/twitter/connect",
        headers=tenant.owner.headers,
        json={"code": "good-quiet", "redirectUri": "https://x", "codeVerifier": "v"},
    )
    logs = "\n".join(stack.logs)  # type: ignore[attr-defined]

    secrets_seen = [
        tenant.secret_key,
        tenant.public_key,
        tenant.owner.token,
        api.state["operator_key"],
        secret_hash(tenant.secret_key),
        *oauth_provider.issued,
    ]
    assert "POST /api/entities" in logs
    assert [secret for secret in secrets_seen if secret in logs] == []


def test_a_refused_transaction_does_not_stall_the_stream(api: Api, stack: LocalStack) -> None:
    """moto rolls a cancelled transaction back by replacing the table, stream included: the local stack's
    stream poller must keep delivering afterwards. A refused PATCH is such a transaction (its entity update
    is applied, then the membership check fails); the hook and the activity belong to this test's entity,
    so no other test's hooks see them."""
    from tests.integration.test_event_sources import put_items
    from tests.support import Receiver, eventually

    tenant = new_tenant(api, "Stream")
    stranger = new_user(api, "Stranger")
    refused = api.request(
        "PATCH", f"/api/entities/{tenant.entity_id}", headers=stranger.headers, json={"description": "x"}
    )
    assert refused.status_code == 403
    receiver = Receiver()
    try:
        hook = {
            "PK": f"ENT#{tenant.entity_id}",
            "SK": "HOOK#user_reward#after-refusal",
            "type": "webhook",
            "hook_id": "after-refusal",
            "scope": "user_reward",
            "uri": receiver.url,
            "secret": "s3cret-after-refusal",
            "pids": [],
        }
        activity = {"PK": "LEDGER#it", "SK": f"after-refusal-{tenant.entity_id}", "type": "ledger_entry"}
        put_items(stack, hook, {**activity, "entity_id": tenant.entity_id, "pid": "p1", "xp": 5})
        eventually(lambda: receiver.requests)
    finally:
        receiver.stop()
