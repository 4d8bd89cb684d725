"""Issue 13 over real HTTP through the local stack (the table's stream and the webhook queue running):
previews never touch live data, HeyMint logs complete slug tasks, a widget token dies with its entity,
`Idempotency-Key` replays are said and reuse refused, admins are invited rather than annexed, and bodies
holding numbers JSON has not are refused."""

from __future__ import annotations

import json
import uuid
from typing import Any

import requests

from local.stack import DEMO_CAMPAIGN
from tests.integration.conftest import Api, new_tenant
from tests.support import eventually


def _fresh(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def _campaign() -> dict[str, Any]:
    return dict(json.loads(json.loads(DEMO_CAMPAIGN.read_text(encoding="utf-8"))["body"]))


def _ok(response: requests.Response) -> Any:
    assert response.status_code == 200, (response.status_code, response.text)
    return response.json()


def test_a_preview_never_touches_live_data(api: Api) -> None:
    sk = api.bearer(api.state["secret_key"])
    pid = _fresh("preview_campaign").replace("-", "_")
    base = f"/api/entities/{api.state['entity_id']}/campaigns/{pid}"
    _ok(api.request("PUT", base, headers=sk, json=_campaign()))
    _ok(api.post(f"{base}/publish", headers=sk, json={}))
    draft = _campaign()
    draft["actions"] += [
        {"id": "draftonly", "name": "Draft only", "type": "api_call", "recurrence": "once", "xp": 777},
        {
            "id": "draft_event",
            "name": "Open the shop",
            "type": "events_count",
            "xp": 11,
            "meta": {"event": {"name": "shop_opened"}, "target": 1},
        },
    ]
    _ok(api.request("PUT", base, headers=sk, json=draft))
    who = {"account": _fresh("previewer"), "platform": "discord", "pid": pid}

    reported = _ok(
        api.post(
            "/action/value",
            headers=sk,
            json={**who, "cid": pid, "aid": "draftonly", "value": 1, "env": "dev"},
        )
    )
    _ok(api.post("/event", headers=sk, json={**who, "name": "shop_opened", "id": _fresh("e"), "env": "dev"}))

    def preview_done() -> bool:
        actions = _ok(api.get("/user/progress", headers=sk, params={**who, "env": "dev"}))["data"]["actions"]
        return next(a for a in actions if a["id"] == "draft_event")["done"]

    eventually(preview_done)
    assert reported["data"]["completed"] == ["draftonly"] and reported["data"]["preview"] is True
    assert _ok(api.get("/user/balance", headers=sk, params={**who, "env": "dev"}))["data"]["xp"] == 788
    assert _ok(api.get("/user/balance", headers=sk, params=who))["data"] == {
        "xp": 0,
        "ref_xp": 0,
        "ugc_xp": 0,
        "rank": None,
        "level": None,  # (the campaign has no levels)
    }
    board = _ok(api.get("/leaderboard", headers=sk, params={"pid": pid}))["data"]
    assert board["leaderboard"] == [] and board["total"] == 0
    assert _ok(api.get("/campaign/stats", headers=sk, params={"pid": pid}))["data"]["total_points"] == 0
    assert _ok(api.get("/events", headers=sk, params=who))["events"] == []


def test_a_heymint_log_completes_the_task_named_by_its_slug(api: Api) -> None:
    tenant = new_tenant(api.stack, "Slugs")
    sk, heymint = api.bearer(tenant["secret_key"]), {"x-api-key": tenant["secret_key"]}
    slug = _fresh("level_up").replace("-", "_")
    campaign = _campaign()
    campaign["actions"].append(
        {
            "id": "levelled",
            "name": "Level up",
            "type": "events_count",
            "xp": 70,
            "meta": {"event": {"name": slug}, "target": 1},
        }
    )
    base = f"/api/entities/{tenant['entity_id']}/campaigns/slugs"
    _ok(api.request("PUT", base, headers=sk, json=campaign))
    _ok(api.post(f"{base}/publish", headers=sk, json={}))
    event_id = _ok(api.post("/v1/events", headers=heymint, json={"name": "Level Up", "slug": slug}))["id"]
    identity = _ok(api.post("/v1/identities", headers=heymint, json={"uniqueIdentifier": _fresh("gamer")}))[
        "id"
    ]
    other = _ok(api.post("/v1/events", headers=heymint, json={"name": "Other", "slug": _fresh("other")}))

    _ok(api.post("/v1/events/logs", headers=heymint, json={"eventSlug": slug, "identityId": identity}))
    both = api.post(
        "/v1/events/logs",
        headers=heymint,
        json={"eventSlug": other["slug"], "eventId": event_id, "identityId": identity},
    )

    assert both.status_code == 400 and both.json()["message"].startswith("eventSlug"), both.text

    def completed() -> bool:
        listing = api.stack.client("dynamodb").query(
            TableName=api.stack.state["table_name"],
            KeyConditionExpression="PK = :p AND begins_with(SK, :d)",
            ExpressionAttributeValues={
                ":p": {"S": f"ENT#{tenant['entity_id']}#PRT#slugs#{identity}"},
                ":d": {"S": "DONE#levelled#"},
            },
        )
        return bool(listing["Items"])

    eventually(completed)


def test_a_widget_token_dies_with_its_entity(api: Api) -> None:
    tenant = new_tenant(api.stack, "Doomed")
    sk = api.bearer(tenant["secret_key"])
    base = f"/api/entities/{tenant['entity_id']}"
    _ok(api.request("PUT", f"{base}/campaigns/doomed", headers=sk, json=_campaign()))
    _ok(api.post(f"{base}/campaigns/doomed/publish", headers=sk, json={}))
    token = _ok(api.get("/token", headers=sk, params={"account": "u1", "platform": "discord"}))["data"][
        "token"
    ]
    owner = {"userid": tenant["user_id"], "token": tenant["user_token"]}
    assert api.request("DELETE", base, headers=owner).status_code == 200

    reads = [
        api.get(route, headers=api.bearer(token), params={"pid": "doomed"})
        for route in ("/user/balance", "/user/ref_id", "/leaderboard")
    ]

    assert [r.status_code for r in reads] == [401, 401, 401], [r.text for r in reads]


def test_idempotency_keys_say_replays_and_refuse_reuse(api: Api) -> None:
    pk = {**api.bearer(api.state["public_key"]), "Idempotency-Key": _fresh("batch")}
    batch = [{"external_id": _fresh("buyer"), "name": "Product Purchased"}]

    first = api.post("/api/client/events", headers=pk, json=batch)
    retry = api.post("/api/client/events", headers=pk, json=batch)
    reused = api.post("/api/client/events", headers=pk, json=[*batch, {**batch[0], "name": "Refund"}])

    assert first.status_code == 204 and "Idempotent-Replayed" not in first.headers
    assert retry.status_code == 204 and retry.headers["Idempotent-Replayed"] == "true"
    assert reused.status_code == 422 and reused.json()["error"].startswith("Idempotency-Key")


def test_admins_are_invited_not_annexed(api: Api) -> None:
    operator = api.bearer(api.state["operator_key"])

    def user(name: str) -> dict[str, str]:
        email = f"{_fresh(name)}@example.com"
        data = _ok_created(api.post("/api/users", headers=operator, json={"email": email, "name": name}))
        return {"userid": data["userId"], "token": data["token"], "email": email}

    alice, bob = user("alice"), user("bob")
    b = _ok_created(
        api.post("/api/entities", headers=_as(bob), json={"name": "B", "chainSource": "OFF_CHAIN"})
    )["entityId"]

    known = _ok(api.post(f"/api/entities/{b}/admins", headers=_as(bob), json={"email": alice["email"]}))
    unknown = _ok(
        api.post(f"/api/entities/{b}/admins", headers=_as(bob), json={"email": "no-one@example.com"})
    )
    admins = _ok(api.get(f"/api/entities/{b}/admins", headers=_as(bob)))["data"]

    assert known["message"] == unknown["message"] == "Admin added to entity"
    assert set(known["data"]) == set(unknown["data"]) and known["data"]["status"] == "pending"
    assert [a["role"] for a in admins] == ["OWNER"]
    accept = f"/api/entities/{b}/invitations/{known['data']['invitationId']}/accept"
    assert api.post(accept, headers=_as(bob)).status_code == 404
    assert _ok(api.post(accept, headers=_as(alice)))["data"]["role"] == "ADMIN"
    assert (
        api.request("DELETE", f"/api/entities/{b}/admins/{alice['userid']}", headers=_as(alice)).status_code
        == 200
    )


def _as(user: dict[str, str]) -> dict[str, str]:
    return {"userid": user["userid"], "token": user["token"]}


def _ok_created(response: requests.Response) -> Any:
    assert response.status_code == 201, response.text
    return response.json()["data"]


def test_a_body_with_nan_anywhere_is_refused(api: Api) -> None:
    body = '{"account": "n", "platform": "discord", "pid": "campaign_abc123", "id": "nan", "xp": 1, "x": NaN}'

    reply = api.post(
        "/user/reward",
        headers={**api.bearer(api.state["secret_key"]), "content-type": "application/json"},
        data=body,
    )

    assert reply.status_code == 400 and reply.json()["error"].startswith("the body holds NaN"), reply.text
