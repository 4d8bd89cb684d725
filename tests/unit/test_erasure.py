"""Export and erase (`GET /v1/identities/{identityId}/export`, `DELETE /v1/identities/{identityId}`): a
person seen through every surface is exported as one paged document, and erased so that a scan of the whole
table finds nothing of them; erasing twice changes nothing, writes racing the erase leave nothing personal."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from local.esm import sqs_record
from questline.events import logs as event_logs
from questline.identity import devices
from questline.storage import get_table, keys
from tests.support import api_event
from tests.unit.conftest import Aws
from tests.unit.test_claimr import call, live_campaign

__all__ = ["live_campaign"]  # the fixture, shared with the claimr tests

HEYMINT, CLIENT, INGEST, ERASURE = "HeyMintFunction", "ClientFunction", "IngestFunction", "ErasureFunction"
P = "campaign_abc123"
USER_ID = "ada-user-1"
PERSONAL = (
    USER_ID,
    "ada@example.com",
    "ada-trait-chess",
    "ada-diary-entry",
    "ada-push-token",
    "ada-phone-1",
    "ada-fingerprint",
    "ada-item-777",
    "ada-anon-1",
    "ada-event-id",
)


def hm(aws: Aws, method: str, route: str, *, key: str | None = None, **kwargs: Any) -> tuple[int, Any]:
    return aws.call(
        HEYMINT, api_event(method, route, headers={"x-api-key": key or aws.values["SECRET_KEY"]}, **kwargs)
    )


def hp(
    aws: Aws, method: str, identity_id: str, tail: str = "", *, key: str | None = None, query: str = ""
) -> tuple[int, Any]:
    """A route of one person: `/v1/identities/{identityId}` + `tail`."""
    route = "/v1/identities/{identityId}" + tail
    headers = {"x-api-key": key or aws.values["SECRET_KEY"]}
    path = route.replace("{identityId}", identity_id)
    event = api_event(
        method, route, path=path, params={"identityId": identity_id}, query=query, headers=headers
    )
    return aws.call(HEYMINT, event)


def pv(aws: Aws, route: str, body: Any) -> None:
    headers = {"authorization": f"Bearer {aws.values['PUBLIC_KEY']}"}
    assert aws.call(CLIENT, api_event("POST", route, body=body, headers=headers))[0] == 204


def endu(aws: Aws, **fields: Any) -> None:
    body = {
        "property_id": "p",
        "organization_id": aws.values["ENTITY_ID"],
        "timestamp": "1672536219",
        "event_type": "ITEM_PURCHASED",
        "event_data": {"item_id": "ada-item-777"},
        **fields,
    }
    headers = {"authorization": f"Bearer {aws.values['SECRET_KEY']}"}
    assert aws.call(INGEST, api_event("POST", "/api/events/record", body=body, headers=headers))[0] == 200


def pump_erasures(aws: Aws, *, rounds: int = 50) -> int:
    """Feed the erasure queue to its function as the SQS event source mapping would, until it is empty."""
    sqs = boto3.client("sqs")
    url = aws.queue_url("ErasureQueue")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    delivered = 0
    for _ in range(rounds):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages", []
        )
        if not messages:
            return delivered
        result = aws.invoke(ERASURE, {"Records": [sqs_record(m, arn) for m in messages]})
        assert result == {"batchItemFailures": []}, result
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        delivered += len(messages)
    raise AssertionError("the erasure did not finish")


def ada(aws: Aws) -> str:
    """One person through every surface: HeyMint (identity + log), Parcelvoy (an anonymous visit merged by
    alias, identify with email and traits, a device), claimr (a reward, a referral), Endu (an event)."""
    status, made = hm(aws, "POST", "/v1/identities", body={"uniqueIdentifier": USER_ID})
    assert status == 200
    identity_id = str(made["id"])
    assert hm(aws, "POST", "/v1/events", body={"name": "Diary", "slug": "diary"})[0] == 200
    logged = {"slug": "diary", "identityId": identity_id, "data": {"note": "ada-diary-entry"}}
    assert hm(aws, "POST", "/v1/events/logs", body=logged)[0] == 200
    pv(
        aws,
        "/api/client/events",
        [{"anonymous_id": "ada-anon-1", "name": "visit", "data": {"p": "ada-item-777"}}],
    )
    pv(aws, "/api/client/alias", {"anonymous_id": "ada-anon-1", "external_id": USER_ID})
    pv(
        aws,
        "/api/client/identify",
        {
            "external_id": USER_ID,
            "email": "ada@example.com",
            "phone": "ada-phone-1",
            "data": {"hobby": "ada-trait-chess"},
        },
    )
    pv(
        aws,
        "/api/client/devices",
        {
            "external_id": USER_ID,
            "device_id": "dev-1",
            "token": "ada-push-token",
            "os": "iOS",
            "model": "x",
            "app_build": "1",
            "app_version": "1.0",
        },
    )
    reward = {"account": USER_ID, "platform": "internal", "pid": P, "id": "r-ada", "xp": 40}
    assert call(aws, "POST", "/user/reward", body=reward)[0] == 200
    bob = {"account": "bob", "platform": "discord", "pid": P, "id": "r-bob", "xp": 10}
    assert call(aws, "POST", "/user/reward", body=bob)[0] == 200
    ref = call(aws, "GET", "/user/ref_id", query=f"account=bob&platform=discord&pid={P}")[1]["data"]["ref_id"]
    referred = {"account": USER_ID, "platform": "internal", "pid": P, "ref_id": ref}
    assert call(aws, "POST", "/user/ref_id", body=referred)[0] == 200, referred
    endu(aws, c_user_id=identity_id, fingerprint="ada-fingerprint")
    for env in ("", "dev"):  # a live event and a preview's (`env=dev`), each with an idempotency id
        event = {
            "account": USER_ID,
            "platform": "internal",
            "pid": P,
            "name": "level_completed",
            "category": "gameplay",
            "id": f"ada-event-id{env}",
            "data": {"level": "ada-item-777"},
        }
        assert call(aws, "POST", "/event", body={**event, **({"env": env} if env else {})})[0] == 200
    aws.pump_stream()
    return identity_id


def mentions(items: list[dict[str, Any]], *needles: str) -> list[dict[str, Any]]:
    return [i for i in items if any(n in json.dumps(i, default=str) for n in needles)]


def test_a_publishable_key_can_neither_export_nor_erase(aws: Aws, live_campaign: dict[str, Any]) -> None:
    identity_id = ada(aws)
    before = aws.table_items()

    for method, tail in (("GET", "/export"), ("DELETE", ""), ("GET", "/erasure")):
        status, _ = hp(aws, method, identity_id, tail, key=aws.values["PUBLIC_KEY"])
        assert status in (401, 403)
    assert aws.table_items() == before


def hook(aws: Aws, scope: str) -> None:
    """A hook of `scope` (as `POST /hook` stores it; written directly: its address check resolves DNS)."""
    entity_id = aws.values["ENTITY_ID"]
    get_table().put(
        {
            **keys.webhook(entity_id, scope, f"h-{scope}"),
            "type": "webhook",
            "entity_id": entity_id,
            "scope": scope,
            "hook_id": f"h-{scope}",
            "uri": "https://hooks.example.com/x",
            "secret": "s" * 24,
            "pids": [],
        }
    )


def test_export_answers_everything_stored_about_the_person(aws: Aws, live_campaign: dict[str, Any]) -> None:
    hook(aws, "user_reward")
    identity_id = ada(aws)

    status, doc = hp(aws, "GET", identity_id, "/export")

    assert status == 200, doc
    assert doc["identityId"] == identity_id and len(doc["mergedIds"]) == 1  # the anonymous visit, merged
    assert {(i["kind"], i["value"]) for i in doc["identifiers"]} >= {("uid", USER_ID), ("anon", "ada-anon-1")}
    assert (
        doc["profile"]["email"] == "ada@example.com" and doc["profile"]["data"]["hobby"] == "ada-trait-chess"
    )
    assert [d["device_id"] for d in doc["devices"]] == ["dev-1"]
    assert "ada-push-token" not in json.dumps(doc["devices"])  # tokens are masked
    assert {log["name"] for log in doc["logs"]} >= {"diary", "visit", "ITEM_PURCHASED"}
    assert [(b["pid"], b["xp"]) for b in doc["balances"]] == [(P, 40)]
    assert any(e["entry_id"] == "r-ada" for e in doc["ledger"])
    assert doc["progress"] and doc["referrals"]
    assert doc["webhookDeliveries"] and all(
        d["payload"]["data"]["identity_id"] == identity_id for d in doc["webhookDeliveries"]
    )
    assert doc["nextCursor"] is None


def test_export_is_paged_when_a_person_has_more_than_a_page(aws: Aws, live_campaign: dict[str, Any]) -> None:
    identity_id = ada(aws)
    entity_id = aws.values["ENTITY_ID"]
    for n in range(25):
        event_logs.write_log(
            entity_id, identity_id, event_logs.LogInput("heymint", f"bulk-{n}", f"bulk-{n}", {"n": n})
        )

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = "limit=10" + (f"&cursor={cursor}" if cursor else "")
        status, doc = hp(aws, "GET", identity_id, "/export", query=query)
        assert status == 200, doc
        pages += 1
        seen += [log["log_id"] for log in doc["logs"]]
        assert (
            sum(len(v) for v in doc.values() if isinstance(v, list) and v is not doc["identifiers"])
            <= 10 + 10
        )
        cursor = doc["nextCursor"]
        if cursor is None:
            break
    assert pages > 3 and len(seen) == len(set(seen)) >= 28


def test_erase_leaves_nothing_of_the_person_in_the_whole_table(
    aws: Aws, live_campaign: dict[str, Any]
) -> None:
    identity_id = ada(aws)
    merged = hp(aws, "GET", identity_id, "/export")[1]["mergedIds"]
    hook(aws, "identity")
    assert mentions(aws.table_items(), *PERSONAL)
    stats_before = call(aws, "GET", "/campaign/stats", query=f"pid={P}")[1]["data"]

    status, answer = hp(aws, "DELETE", identity_id)
    assert status == 202 and answer["status"] in ("erasing", "erased"), answer
    pump_erasures(aws)
    aws.pump_stream()

    items = aws.table_items()
    assert mentions(items, *PERSONAL) == []
    ids = (identity_id, *merged)
    left = mentions(items, *ids)
    assert {i["type"] for i in left} <= {"identity", "stats_projection", "mau_marker", "webhook_delivery"}, (
        left
    )
    for item in left:
        assert item["type"] != "identity" or item["status"] == "erased"
        assert not {"email", "phone", "data", "name", "token"} & set(item)
    assert hp(aws, "GET", identity_id, "/export")[0] == 404
    assert hp(aws, "GET", identity_id, "/erasure")[1]["status"] == "erased"
    board = call(aws, "GET", "/leaderboard", query=f"pid={P}")[1]["data"]
    entries = board if isinstance(board, list) else board.get("entries") or board.get("leaderboard")
    assert [e.get("rank") for e in entries] == [1] and len(entries) == 1
    stats_after = call(aws, "GET", "/campaign/stats", query=f"pid={P}")[1]["data"]
    assert stats_after["total_points"] == stats_before["total_points"]  # aggregates are kept
    # the identity.erased webhook names nobody but the identity
    messages = [m for m in _queued(aws, "WebhookQueue") if m["scope"] == "identity"]
    assert [m["payload"]["type"] for m in messages] == ["identity.erased"]
    assert not mentions(messages, *PERSONAL) and messages[0]["payload"]["data"]["identity_id"] == identity_id
    # identifiers are released: the same user id makes a fresh person
    status, fresh = hm(aws, "POST", "/v1/identities", body={"uniqueIdentifier": USER_ID})
    assert status == 200 and fresh["id"] not in ids


def test_erasing_twice_changes_nothing(aws: Aws, live_campaign: dict[str, Any]) -> None:
    identity_id = ada(aws)
    first = hp(aws, "DELETE", identity_id)
    again = hp(aws, "DELETE", identity_id)
    assert first[0] == again[0] == 202 and first[1]["identityId"] == again[1]["identityId"] == identity_id
    pump_erasures(aws)
    after = aws.table_items()

    status, answer = hp(aws, "DELETE", identity_id)
    pump_erasures(aws)

    assert status == 200 and answer["status"] == "erased"
    assert aws.table_items() == after
    assert hp(aws, "DELETE", "00000000-0000-7000-8000-000000000000")[0] == 404


def test_writes_racing_the_erase_leave_nothing_personal_or_are_refused(
    aws: Aws, live_campaign: dict[str, Any]
) -> None:
    identity_id = ada(aws)
    entity_id = aws.values["ENTITY_ID"]
    assert hp(aws, "DELETE", identity_id)[0] == 202

    # a request naming the person by id after the erase began is refused
    logged = {"slug": "diary", "identityId": identity_id, "data": {"note": "ada-diary-entry"}}
    assert hm(aws, "POST", "/v1/events/logs", body=logged)[0] == 404
    # one that resolved the person just before lands its writes; the sweep still finds them
    event_logs.write_log(
        entity_id, identity_id, event_logs.LogInput("heymint", "late", "late", {"x": "ada-item-777"})
    )
    devices.upsert_device(entity_id, identity_id, "dev-late", "ada-push-token", {})
    # the user id is released at once: a new identify is a fresh person
    pv(aws, "/api/client/identify", {"external_id": "someone-else", "email": "other@example.com"})
    aws.pump_stream()  # the late log reaches the task engine: it earns the erased person nothing
    pump_erasures(aws)
    aws.pump_stream()

    items = aws.table_items()
    assert mentions(items, *PERSONAL) == []
    assert not [
        i for i in mentions(items, identity_id) if i["type"] in ("participant", "balance", "event_log")
    ]


def _queued(aws: Aws, queue: str) -> list[dict[str, Any]]:
    messages = (
        boto3.client("sqs")
        .receive_message(QueueUrl=aws.queue_url(queue), MaxNumberOfMessages=10, VisibilityTimeout=0)
        .get("Messages", [])
    )
    return [json.loads(m["Body"]) for m in messages]


@pytest.mark.parametrize("tail", ["/export", "/erasure"])
def test_an_unknown_person_is_404(aws: Aws, entity: dict[str, str], tail: str) -> None:
    status, body = hp(aws, "GET", "00000000-0000-7000-8000-000000000000", tail)
    assert status == 404 and set(body) == {"message", "code"}


def test_an_erase_is_bounded_per_invocation_and_carries_on(aws: Aws, live_campaign: dict[str, Any]) -> None:
    from questline.identity import erasure

    identity_id = ada(aws)
    entity_id = aws.values["ENTITY_ID"]
    for n in range(100):
        event_logs.write_log(entity_id, identity_id, event_logs.LogInput("heymint", "bulk", "bulk", {"n": n}))
    assert hp(aws, "DELETE", identity_id)[0] == 202

    rounds = [erasure.sweep(entity_id, identity_id, budget_items=25) for _ in range(3)]
    assert rounds == [False, False, False]  # over 100 items, 25 at a time: still going, and saying so
    assert hp(aws, "GET", identity_id, "/erasure")[1]["status"] == "erasing"
    while not erasure.sweep(entity_id, identity_id, budget_items=25):
        pass
    status = hp(aws, "GET", identity_id, "/erasure")[1]
    assert status["status"] == "erased" and status["removedItems"] >= 100
    assert mentions(aws.table_items(), *PERSONAL) == []


def test_credentials_and_late_stream_records_of_an_erased_person_do_nothing(
    aws: Aws, live_campaign: dict[str, Any]
) -> None:
    from questline.campaigns import leaderboard
    from questline.campaigns.projection import apply_balance

    identity_id = ada(aws)
    entity_id = aws.values["ENTITY_ID"]
    token = call(aws, "GET", "/token", query=f"account={USER_ID}&platform=internal")[1]["data"]["token"]
    assert call(aws, "GET", "/user/balance", key=token, query=f"pid={P}")[0] == 200
    balance = get_table().get(keys.balance(entity_id, P, identity_id))
    assert balance is not None and leaderboard.size_of(entity_id, P) == 2

    assert hp(aws, "DELETE", identity_id)[0] == 202
    assert call(aws, "GET", "/user/balance", key=token, query=f"pid={P}")[0] == 401  # at once
    pump_erasures(aws)
    late = {**balance, "rev": int(balance.get("rev", 0)) + 5, "total": 999, "xp": 999}

    assert apply_balance(late) is False  # a balance change still in flight: never back on the board
    assert leaderboard.size_of(entity_id, P) == 1
    assert mentions(aws.table_items(), *PERSONAL) == []


def test_the_other_side_of_a_refused_merge_forgets_the_person(
    aws: Aws, live_campaign: dict[str, Any]
) -> None:
    from questline.identity import identifiers as ids
    from questline.identity.authority import Authority, LinkConflict, record_conflicts
    from questline.identity.graph import resolve

    identity_id = ada(aws)
    entity_id = aws.values["ENTITY_ID"]
    carol = resolve(entity_id, [ids.unique_identifier("carol")]).identity_id
    refused = LinkConflict(carol, identity_id, "both_known", ids.unique_identifier(USER_ID))
    record_conflicts(entity_id, [refused], Authority.PUBLIC)
    assert mentions([i for i in aws.table_items() if i.get("identity_id") == carol], USER_ID)

    assert hp(aws, "DELETE", identity_id)[0] == 202
    pump_erasures(aws)

    items = aws.table_items()
    assert mentions(items, *PERSONAL) == []
    assert [i for i in mentions(items, identity_id) if i["type"] == "identity_conflict"] == []
