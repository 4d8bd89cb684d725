"""claimr's hook routes (`functions/claimr_hooks/`): register, list, delete, deliveries and redelivery,
through API Gateway events, with what they store; bad input is a 400 naming the field and writes nothing;
unsafe URIs are refused without a single connection; one tenant never reaches another's hooks."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from questline.storage import get_table, keys
from questline.tenancy.entities import create_enabled_entity
from tests.support import api_event
from tests.unit.conftest import Aws

HOOKS = "ClaimrHooksFunction"
# claimr's own example (seed 002), with a public address instead of a host name: unit tests resolve no DNS.
SEED_HOOK = {
    "scope": "user_activity",
    "uri": "https://93.184.216.34/webhook",
    "secret": "my-secret-key",
    "hook_id": "prod",
    "pids": [],
}
WHSEC = "whsec_" + base64.b64encode(bytes(range(32))).decode()


def call(
    aws: Aws, method: str, route: str, *, body: Any = None, query: str = "", key: str | None = None
) -> tuple[int, Any]:
    headers = {"authorization": f"Bearer {key or aws.values['SECRET_KEY']}"}
    return aws.call(HOOKS, api_event(method, route, body=body, query=query, headers=headers))


def stored_hooks(aws: Aws) -> list[dict[str, Any]]:
    return [item for item in aws.table_items() if item["type"] == "webhook"]


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test (moto answers in-process, without sockets)."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        pytest.fail(f"a connection was attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


# --- register --------------------------------------------------------------------------------------------


def test_the_seed_example_registers_a_hook(aws: Aws, entity: dict[str, str], no_connections: None) -> None:
    assert call(aws, "POST", "/hook", body=SEED_HOOK) == (200, {"success": True})

    (hook,) = stored_hooks(aws)
    assert hook["PK"] == f"ENT#{entity['ENTITY_ID']}" and hook["SK"] == "HOOK#user_activity#prod"
    assert {k: hook[k] for k in SEED_HOOK} == SEED_HOOK
    assert hook["created_at"] == hook["updated_at"]


def test_registering_again_replaces_the_hook_and_keeps_its_creation_time(
    aws: Aws, entity: dict[str, str], no_connections: None
) -> None:
    call(aws, "POST", "/hook", body=SEED_HOOK)
    first = stored_hooks(aws)[0]
    change = {
        "uri": "https://93.184.216.35/v2",
        "secret": WHSEC,
        "pids": ["campaign_abc123", "campaign_abc123"],
    }

    assert call(aws, "POST", "/hook", body={**SEED_HOOK, **change}) == (200, {"success": True})
    (hook,) = stored_hooks(aws)
    assert (hook["uri"], hook["secret"], hook["pids"]) == (change["uri"], WHSEC, ["campaign_abc123"])
    assert hook["created_at"] == first["created_at"]
    # another hook id or scope is another hook
    call(aws, "POST", "/hook", body={**SEED_HOOK, "hook_id": "staging"})
    call(aws, "POST", "/hook", body={**SEED_HOOK, "scope": "user_reward"})
    assert len(stored_hooks(aws)) == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scope": "user_deposit"}, "scope"),
        ({"scope": None}, "scope"),
        ({"uri": "http://93.184.216.34/hook"}, "uri"),
        ({"uri": "not a url"}, "uri"),
        ({"uri": "https://" + "a" * 2100 + ".com/"}, "uri"),
        ({"uri": 7}, "uri"),
        ({"secret": "short"}, "secret"),
        ({"secret": "x" * 257}, "secret"),
        ({"secret": "line\nbreak-secret"}, "secret"),
        ({"secret": "whsec_not*base64!"}, "secret"),
        ({"secret": "whsec_" + base64.b64encode(b"too short").decode()}, "secret"),
        ({"secret": "whsec_" + base64.b64encode(bytes(65)).decode()}, "secret"),
        ({"hook_id": ""}, "hook_id"),
        ({"hook_id": "has space"}, "hook_id"),
        ({"hook_id": "a#b"}, "hook_id"),
        ({"hook_id": "x" * 65}, "hook_id"),
        ({"pids": "campaign_abc123"}, "pids"),
        ({"pids": ["ok", "not ok"]}, "pids.1"),
        ({"pids": [f"p{i}" for i in range(101)]}, "pids"),
    ],
)
def test_bad_fields_are_400_naming_the_field_and_write_nothing(
    aws: Aws, entity: dict[str, str], no_connections: None, change: dict[str, Any], field: str
) -> None:
    before = aws.table_items()

    status, body = call(aws, "POST", "/hook", body={**SEED_HOOK, **change})

    assert status == 400, body
    assert body["success"] is False and body["error"].startswith(field), body
    assert aws.table_items() == before


@pytest.mark.parametrize("missing", ["scope", "uri", "secret", "hook_id"])
def test_missing_fields_are_400_naming_them(aws: Aws, entity: dict[str, str], missing: str) -> None:
    body = {k: v for k, v in SEED_HOOK.items() if k != missing}
    before = aws.table_items()

    assert call(aws, "POST", "/hook", body=body) == (
        400,
        {"success": False, "error": f"{missing}: is required", "code": "bad_request"},
    )
    assert aws.table_items() == before


def test_pids_may_be_left_out(aws: Aws, entity: dict[str, str], no_connections: None) -> None:
    body = {k: v for k, v in SEED_HOOK.items() if k != "pids"}

    assert call(aws, "POST", "/hook", body=body) == (200, {"success": True})
    assert stored_hooks(aws)[0]["pids"] == []


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("https://127.0.0.1/hook", "loopback"),
        ("https://[::1]:8443/hook", "loopback"),
        ("https://10.0.0.1/", "private"),
        ("https://172.16.5.4/", "private"),
        ("https://192.168.0.10/hook", "private"),
        ("https://169.254.169.254/latest/meta-data/", "metadata"),
        ("https://[fd00:ec2::254]/", "metadata"),
        ("https://169.254.1.1/", "link-local"),
        ("https://[::ffff:169.254.169.254]/", "metadata"),
        ("https://0.0.0.0/", "private"),
        ("https://224.0.0.251/", "non-public"),
        ("https://240.0.0.1/", "private"),
        ("http://93.184.216.34/hook", "https"),
        ("http://127.0.0.1/hook", "https"),
    ],
)
def test_unsafe_uris_are_refused_outside_local_mode_without_connecting(
    aws: Aws, entity: dict[str, str], no_connections: None, uri: str, words: str
) -> None:
    aws.template.set_parameters({"Stage": "prod"})
    before = aws.table_items()

    status, body = call(aws, "POST", "/hook", body={**SEED_HOOK, "uri": uri})

    assert status == 400 and body["error"].startswith("uri") and words in body["error"], body
    assert aws.table_items() == before


def test_the_local_stage_allows_loopback_and_plain_http_to_it_only(
    aws: Aws, entity: dict[str, str], no_connections: None
) -> None:
    for uri in ("http://127.0.0.1:9000/hook", "https://127.0.0.1/hook", "http://localhost:9000/hook"):
        assert call(aws, "POST", "/hook", body={**SEED_HOOK, "uri": uri}) == (200, {"success": True})
    for uri in ("http://10.0.0.1/hook", "https://169.254.169.254/"):
        assert call(aws, "POST", "/hook", body={**SEED_HOOK, "uri": uri})[0] == 400


def test_hook_routes_need_a_secret_key(aws: Aws, entity: dict[str, str]) -> None:
    assert call(aws, "POST", "/hook", body=SEED_HOOK, key=entity["PUBLIC_KEY"])[0] == 401
    assert call(aws, "GET", "/hook", key="sk_" + "x" * 40)[0] == 401
    assert aws.call(HOOKS, api_event("GET", "/hook"))[0] == 401


# --- list and delete -------------------------------------------------------------------------------------


def test_the_list_masks_every_secret(
    aws: Aws, entity: dict[str, str], no_connections: None, capsys: pytest.CaptureFixture[str]
) -> None:
    call(aws, "POST", "/hook", body=SEED_HOOK)
    call(aws, "POST", "/hook", body={**SEED_HOOK, "scope": "referral", "hook_id": "ref", "secret": WHSEC})

    status, every = call(aws, "GET", "/hook")
    _, referral = call(aws, "GET", "/hook", query="scope=referral")

    assert status == 200
    assert [(h["scope"], h["hook_id"], h["secret"]) for h in every["data"]["hooks"]] == [
        ("referral", "ref", "whsec_********"),
        ("user_activity", "prod", "********"),
    ]
    assert set(every["data"]["hooks"][1]) == {
        "scope",
        "hook_id",
        "uri",
        "pids",
        "secret",
        "top",  # null: only a `leaderboard` hook watches a number of places
        "created_at",
        "updated_at",
    }
    assert every["data"]["hooks"][1]["top"] is None
    assert [h["hook_id"] for h in referral["data"]["hooks"]] == ["ref"]
    seen = json.dumps(every) + capsys.readouterr().out
    assert "my-secret-key" not in seen and WHSEC[6:] not in seen
    assert call(aws, "GET", "/hook", query="scope=deposits")[0] == 400


def test_delete_removes_the_hook_and_an_unknown_one_is_404(
    aws: Aws, entity: dict[str, str], no_connections: None
) -> None:
    call(aws, "POST", "/hook", body=SEED_HOOK)
    ref = {"scope": "user_activity", "hook_id": "prod"}

    assert call(aws, "DELETE", "/hook", body=ref) == (200, {"success": True})
    assert stored_hooks(aws) == []
    assert call(aws, "DELETE", "/hook", body=ref) == (
        404,
        {"success": False, "error": "no hook 'prod' in scope user_activity", "code": "hook_not_found"},
    )
    before = aws.table_items()
    assert call(aws, "DELETE", "/hook", body={"scope": "nope", "hook_id": "prod"})[1]["error"].startswith(
        "scope"
    )
    assert call(aws, "DELETE", "/hook", body={"scope": "user_activity"})[1]["error"] == "hook_id: is required"
    assert aws.table_items() == before


# --- deliveries ------------------------------------------------------------------------------------------


def put_delivery(entity_id: str, n: int, *, status: str = "delivered", hook_id: str = "prod") -> str:
    from questline.webhooks import records

    message = {
        "message_id": f"msg_{n:032x}",
        "entity_id": entity_id,
        "scope": "user_activity",
        "hook_id": hook_id,
        "generation": 1,
        "created_at": f"2026-11-22T07:00:{n:02d}.000Z",
        "payload": {"type": "user_activity", "timestamp": "2026-11-22T07:00:00.000Z", "data": {"n": n}},
    }
    get_table().put({**records.queued_item(message), "status": status})
    return str(message["message_id"])


def test_deliveries_are_listed_newest_first_in_pages(
    aws: Aws, entity: dict[str, str], no_connections: None
) -> None:
    eid = entity["ENTITY_ID"]
    ids = [put_delivery(eid, n, status="dead" if n % 2 else "delivered") for n in range(5)]
    put_delivery(eid, 9, hook_id="other")
    base = "scope=user_activity&hook_id=prod"

    status, first = call(aws, "GET", "/hook/deliveries", query=f"{base}&limit=2")
    _, second = call(aws, "GET", "/hook/deliveries", query=f"{base}&limit=2&after={first['data']['next']}")
    _, dead = call(aws, "GET", "/hook/deliveries", query=f"{base}&status=dead")

    assert status == 200
    assert [d["message_id"] for d in first["data"]["deliveries"]] == [ids[4], ids[3]]
    assert [d["message_id"] for d in second["data"]["deliveries"]] == [ids[2], ids[1]]
    assert [d["message_id"] for d in dead["data"]["deliveries"]] == [ids[3], ids[1]]
    assert dead["data"]["next"] is None
    assert set(first["data"]["deliveries"][0]) == {
        "message_id", "scope", "hook_id", "status", "generation", "attempts", "payload", "created_at",
        "updated_at",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("hook_id=prod", "scope"),
        ("scope=user_activity", "hook_id"),
        ("scope=user_activity&hook_id=prod&limit=0", "limit"),
        ("scope=user_activity&hook_id=prod&limit=101", "limit"),
        ("scope=user_activity&hook_id=prod&status=sent", "status"),
        ("scope=user_activity&hook_id=prod&after=not-a-cursor", "after"),
    ],
)
def test_bad_delivery_queries_are_400_naming_the_parameter(
    aws: Aws, entity: dict[str, str], query: str, field: str
) -> None:
    status, body = call(aws, "GET", "/hook/deliveries", query=query)

    assert status == 400 and body["error"].startswith(field), body


def test_a_cursor_of_another_hook_is_refused(aws: Aws, entity: dict[str, str]) -> None:
    for n in range(3):
        put_delivery(entity["ENTITY_ID"], n, hook_id="other")
    _, page = call(aws, "GET", "/hook/deliveries", query="scope=user_activity&hook_id=other&limit=1")

    status, body = call(
        aws, "GET", "/hook/deliveries", query=f"scope=user_activity&hook_id=prod&after={page['data']['next']}"
    )

    assert status == 400 and body["error"] == "after is not a valid cursor"


def test_redeliver_refuses_unknown_messages_and_deleted_hooks(
    aws: Aws, entity: dict[str, str], no_connections: None
) -> None:
    message_id = put_delivery(entity["ENTITY_ID"], 1)
    before = aws.table_items()

    assert call(aws, "POST", "/hook/redeliver", body={"message_id": "msg_ffff"})[0] == 404
    assert call(aws, "POST", "/hook/redeliver", body={"message_id": "nope"})[1]["error"].startswith(
        "message_id"
    )
    status, body = call(aws, "POST", "/hook/redeliver", body={"message_id": message_id})
    assert (status, body["code"]) == (422, "hook_deleted")
    assert aws.table_items() == before


# --- tenants ---------------------------------------------------------------------------------------------


@pytest.fixture
def other_key(aws: Aws) -> Iterator[str]:
    yield create_enabled_entity("Other tenant").secret_key.plain


def test_another_entitys_key_never_sees_or_changes_these_hooks(
    aws: Aws, entity: dict[str, str], other_key: str, no_connections: None
) -> None:
    call(aws, "POST", "/hook", body=SEED_HOOK)
    message_id = put_delivery(entity["ENTITY_ID"], 1)
    before = aws.table_items()
    ref = {"scope": "user_activity", "hook_id": "prod"}

    assert call(aws, "GET", "/hook", key=other_key) == (200, {"success": True, "data": {"hooks": []}})
    assert call(aws, "DELETE", "/hook", body=ref, key=other_key)[0] == 404
    assert call(aws, "GET", "/hook/deliveries", query="scope=user_activity&hook_id=prod", key=other_key) == (
        200,
        {"success": True, "data": {"deliveries": [], "next": None}},
    )
    assert call(aws, "POST", "/hook/redeliver", body={"message_id": message_id}, key=other_key)[0] == 404
    assert aws.table_items() == before
    # the other entity's hook of the same scope and id is its own
    assert call(aws, "POST", "/hook", body=SEED_HOOK, key=other_key)[0] == 200
    assert [h["uri"] for h in call(aws, "GET", "/hook")[1]["data"]["hooks"]] == [SEED_HOOK["uri"]]
    assert len(stored_hooks(aws)) == 2


def test_sample_events_answer(aws: Aws, entity: dict[str, str], no_connections: None) -> None:
    assert aws.call(HOOKS, "claimr_hooks_register") == (200, {"success": True})
    assert aws.call(HOOKS, "claimr_hooks_list")[1]["data"]["hooks"][0]["hook_id"] == "prod"
    assert aws.call(HOOKS, "claimr_hooks_deliveries")[0] == 200
    assert aws.call(HOOKS, "claimr_hooks_redeliver")[0] == 404
    assert aws.call(HOOKS, "claimr_hooks_delete") == (200, {"success": True})
    assert keys.webhook(entity["ENTITY_ID"], "user_activity", "prod")["SK"] not in {
        i["SK"] for i in aws.table_items()
    }
