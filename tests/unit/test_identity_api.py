"""The identity API (HeyMint family, ours, `sk_` only): read a person, look one up by any identifier, link
and unlink identifiers under the merge-authority rules, and the `identity` webhook scope. Each test asserts
on what the caller sees and on what is stored."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from questline.identity import identifiers as ids
from questline.identity.authority import MAX_IDENTIFIERS, MAX_MERGED
from questline.identity.devices import upsert_device
from questline.identity.graph import resolve
from questline.identity.profiles import update_profile
from questline.storage import capacity, get_table, keys
from tests.support import api_event
from tests.unit.conftest import Aws

F = "HeyMintFunction"
ONE = "/v1/identities/{identityId}"
LINKS = "/v1/identities/{identityId}/identifiers"


def hm(
    aws: Aws,
    method: str,
    route: str,
    *,
    identity: str | None = None,
    key: str | None = None,
    prefix: str = "",
    **kwargs: Any,
) -> tuple[int, Any]:
    headers = {"x-api-key": key or aws.values["SECRET_KEY"]}
    params = {"identityId": identity} if identity is not None else None
    path = (prefix + route).replace("{identityId}", identity or "")
    return aws.call(F, api_event(method, prefix + route, path=path, params=params, headers=headers, **kwargs))


def endu(aws: Aws, **identity: Any) -> int:
    body = {
        "property_id": "p",
        "organization_id": aws.values["ENTITY_ID"],
        "timestamp": "1672536219",
        "event_type": "LINK",
        "event_data": {},
        **identity,
    }
    headers = {"authorization": f"Bearer {aws.values['SECRET_KEY']}"}
    return int(
        aws.call("IngestFunction", api_event("POST", "/api/events/record", body=body, headers=headers))[0]
    )


def created(aws: Aws, unique: str) -> str:
    status, body = hm(aws, "POST", "/v1/identities", body={"uniqueIdentifier": unique})
    assert status == 200
    return str(body["id"])


def stored_identifier(aws: Aws, identifier: ids.Identifier) -> dict[str, Any] | None:
    return get_table().get(keys.identifier(aws.values["ENTITY_ID"], identifier.key))


def conflict_items(aws: Aws) -> list[dict[str, Any]]:
    return [i for i in aws.table_items() if i["type"] == "identity_conflict"]


def named(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(i["kind"], i["value"]) for i in document["identifiers"]}


# --- read ------------------------------------------------------------------------------------------------


def test_a_person_reads_with_identifiers_profile_devices_and_claim_state(
    aws: Aws, entity: dict[str, str]
) -> None:
    eid = entity["ENTITY_ID"]
    person = created(aws, "user-1")
    assert endu(aws, c_user_id=person, fingerprint="fp-1", p_user_id="42", platform_type="Discord") == 200
    update_profile(
        eid, person, fields={"email": "a@example.com", "timezone": "Europe/Paris"}, traits={"v": 1}
    )
    upsert_device(eid, person, "dev-1", "push-token-secret", {"os": "ios", "model": "iPhone"})

    status, body = hm(aws, "GET", ONE, identity=person)

    assert status == 200, body
    assert body["id"] == person and body["redirectedFrom"] is None and body["status"] == "active"
    assert body["claimed"] is False and body["mergedIds"] == []
    by_kind = {i["kind"]: i for i in body["identifiers"]}
    assert set(by_kind) == {"user_id", "fingerprint", "account"}
    assert by_kind["user_id"]["value"] == "user-1" and by_kind["user_id"]["surface"] == "heymint"
    assert by_kind["account"] == {
        **by_kind["account"],
        "platform": "discord",
        "value": "42",
        "surface": "endu",
    }
    assert all(i["linkedAt"] for i in body["identifiers"])
    assert body["profile"]["email"] == "a@example.com" and body["profile"]["data"] == {"v": 1}
    (device,) = body["devices"]
    assert device["deviceId"] == "dev-1" and device["os"] == "ios" and device["pushToken"] is True
    assert "push-token-secret" not in json.dumps(body)  # a push token is never answered
    assert body["conflicts"] == [] and body["moreConflicts"] is False and body["moreDevices"] is False


def test_a_merged_id_answers_the_survivors_document(aws: Aws, entity: dict[str, str]) -> None:
    eid = entity["ENTITY_ID"]
    older = resolve(eid, [ids.fingerprint("fp-a")]).identity_id
    younger = resolve(eid, [ids.anonymous_id("anon-b")]).identity_id
    resolve(eid, [ids.fingerprint("fp-a"), ids.anonymous_id("anon-b")])

    status, body = hm(aws, "GET", ONE, identity=younger)
    direct = hm(aws, "GET", ONE, identity=older)[1]

    assert status == 200
    assert body["id"] == older and body["redirectedFrom"] == younger and body["mergedIds"] == [younger]
    assert named(body) == {("fingerprint", "fp-a"), ("anonymous_id", "anon-b")}
    assert direct["redirectedFrom"] is None and {**direct, "redirectedFrom": younger} == body


def test_an_unknown_identity_is_a_404_in_heymints_envelope(aws: Aws, entity: dict[str, str]) -> None:
    status, body = hm(aws, "GET", ONE, identity="0190d000-0000-7000-8000-000000000000")

    assert status == 404 and set(body) == {"message", "code"}


# --- lookup ----------------------------------------------------------------------------------------------


def test_lookup_by_any_identifier_answers_the_person(aws: Aws, entity: dict[str, str]) -> None:
    person = created(aws, "user-7")
    wallet = "0x" + "Ab" * 20
    assert (
        endu(
            aws,
            c_user_id=person,
            fingerprint="fp-7",
            p_user_id="77",
            platform_type="Telegram",
            blockchain={"chain_type": "evm", "chain_account": wallet},
        )
        == 200
    )

    queries = [
        "kind=user_id&value=user-7",
        "kind=fingerprint&value=fp-7",
        "kind=account&platform=Telegram&value=77",
        f"kind=wallet&value={wallet.upper().replace('0X', '0x')}",  # EVM addresses: any casing
    ]
    answers = [hm(aws, "GET", "/v1/identities", query=q) for q in queries]

    assert [s for s, _ in answers] == [200] * 4, answers
    assert {b["id"] for _, b in answers} == {person}
    assert hm(aws, "GET", "/api/v1/identities", query=queries[0])[1]["id"] == person  # HeyMint's real base


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("kind=user_id&value=nobody", 404, "no identity"),
        ("kind=account&value=77", 400, "platform"),
        ("kind=email&value=x", 400, "kind"),
        ("kind=user_id", 400, "value"),
        ("value=user-7", 400, "kind"),
    ],
)
def test_a_lookup_that_finds_nobody_or_is_malformed(
    aws: Aws, entity: dict[str, str], query: str, status: int, words: str
) -> None:
    created(aws, "user-7")

    got, body = hm(aws, "GET", "/v1/identities", query=query)

    assert got == status and words in body["message"] and set(body) == {"message", "code"}


# --- link --------------------------------------------------------------------------------------------------


def test_linking_a_new_identifier_answers_the_person_with_it(aws: Aws, entity: dict[str, str]) -> None:
    person = created(aws, "user-2")

    status, body = hm(aws, "POST", LINKS, identity=person, body={"kind": "wallet", "value": "0x" + "C" * 40})
    again = hm(aws, "POST", LINKS, identity=person, body={"kind": "wallet", "value": "0x" + "c" * 40})

    assert status == 200 and body["id"] == person
    assert ("wallet", "0x" + "c" * 40) in named(body)
    assert again == (200, body)  # linked already: nothing changes
    stored = stored_identifier(aws, ids.wallet("0x" + "c" * 40))
    assert stored is not None and stored["identity_id"] == person and stored["surface"] == "heymint"


def test_linking_another_persons_identifier_merges_them_under_the_secret_keys_rules(
    aws: Aws, entity: dict[str, str]
) -> None:
    alice = created(aws, "alice")  # the older
    assert endu(aws, p_user_id="bob", platform_type="Discord") == 200
    bob = str((stored_identifier(aws, ids.account("discord", "bob")) or {})["identity_id"])

    status, body = hm(
        aws, "POST", LINKS, identity=bob, body={"kind": "account", "platform": "discord", "value": "bob"}
    )
    linked = hm(
        aws, "POST", LINKS, identity=alice, body={"kind": "account", "platform": "discord", "value": "bob"}
    )

    assert status == 200 and body["id"] == bob  # bob already holds it: nothing to do
    assert linked[0] == 200 and linked[1]["id"] == alice and linked[1]["mergedIds"] == [bob]
    assert named(linked[1]) == {("user_id", "alice"), ("account", "bob")}
    assert hm(aws, "GET", ONE, identity=bob)[1]["id"] == alice
    assert conflict_items(aws) == []


def test_a_refused_link_is_a_409_and_a_conflict_on_both_people(aws: Aws, entity: dict[str, str]) -> None:
    alice, bob = created(aws, "alice"), created(aws, "bob")
    before = [i for i in aws.table_items() if i["type"] != "identity_conflict"]

    status, body = hm(aws, "POST", LINKS, identity=alice, body={"kind": "user_id", "value": "bob"})

    assert status == 409, body
    assert body["code"] == "identity_conflict" and set(body) == {"message", "code"}
    assert "two_user_ids" in body["message"] and bob in body["message"]
    assert [i for i in aws.table_items() if i["type"] != "identity_conflict"] == before  # nothing linked
    on_alice = hm(aws, "GET", ONE, identity=alice)[1]["conflicts"]
    on_bob = hm(aws, "GET", ONE, identity=bob)[1]["conflicts"]
    assert [(c["otherIdentityId"], c["reason"], c["count"]) for c in on_alice] == [(bob, "two_user_ids", 1)]
    assert [(c["otherIdentityId"], c["reason"]) for c in on_bob] == [(alice, "two_user_ids")]
    assert on_alice[0]["identifier"] == {"kind": "user_id", "value": "bob", "platform": None}
    assert on_alice[0]["authority"] == "secret" and on_alice[0]["resolved"] is False
    assert hm(aws, "POST", LINKS, identity=alice, body={"kind": "user_id", "value": "bob"})[0] == 409
    assert sorted(c["count"] for c in conflict_items(aws)) == [2, 2]  # counted, not repeated


def test_a_link_beyond_the_identifier_limit_is_refused(aws: Aws, entity: dict[str, str]) -> None:
    eid = entity["ENTITY_ID"]
    person = resolve(eid, [ids.fingerprint(f"fp-{n}") for n in range(MAX_IDENTIFIERS)]).identity_id

    status, body = hm(aws, "POST", LINKS, identity=person, body={"kind": "fingerprint", "value": "one-more"})

    assert status == 409 and "identifier_limit" in body["message"]
    assert stored_identifier(aws, ids.fingerprint("one-more")) is None


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "account", "value": "x"},
        {"kind": "nickname", "value": "x"},
        {"kind": "fingerprint", "value": ""},
        {"kind": "fingerprint", "value": "a\nb"},
        {"value": "x"},
    ],
)
def test_a_malformed_link_is_a_400_and_writes_nothing(
    aws: Aws, entity: dict[str, str], body: dict[str, Any]
) -> None:
    person = created(aws, "user-3")
    before = aws.table_items()

    status, answer = hm(aws, "POST", LINKS, identity=person, body=body)

    assert status == 400 and set(answer) == {"message", "code"}
    assert aws.table_items() == before


# --- unlink ------------------------------------------------------------------------------------------------


def test_unlinking_an_identifier_releases_it(aws: Aws, entity: dict[str, str]) -> None:
    person = created(aws, "user-4")
    assert endu(aws, c_user_id=person, fingerprint="fp-4") == 200

    status, body = hm(aws, "DELETE", LINKS, identity=person, query="kind=fingerprint&value=fp-4")

    assert status == 200 and named(body) == {("user_id", "user-4")}
    assert stored_identifier(aws, ids.fingerprint("fp-4")) is None
    assert hm(aws, "GET", "/v1/identities", query="kind=fingerprint&value=fp-4")[0] == 404
    # released: a later request with it makes a person of its own
    assert endu(aws, fingerprint="fp-4") == 200
    assert (stored_identifier(aws, ids.fingerprint("fp-4")) or {})["identity_id"] != person


def test_unlink_rules_the_user_id_stays_the_last_identifier_may_go(aws: Aws, entity: dict[str, str]) -> None:
    person = created(aws, "user-5")
    eid = entity["ENTITY_ID"]
    anonymous = resolve(eid, [ids.anonymous_id("only-one")]).identity_id
    before = aws.table_items()

    kept = hm(aws, "DELETE", LINKS, identity=person, query="kind=user_id&value=user-5")
    absent = hm(aws, "DELETE", LINKS, identity=person, query="kind=fingerprint&value=never-linked")
    other = hm(aws, "DELETE", LINKS, identity=anonymous, query="kind=user_id&value=user-5")

    assert kept[0] == 409 and kept[1]["code"] == "user_id_kept"
    assert absent[0] == 404 and absent[1]["code"] == "identifier_not_linked"
    assert other[0] == 404
    assert aws.table_items() == before
    last = hm(aws, "DELETE", LINKS, identity=anonymous, query="kind=anonymous_id&value=only-one")
    assert last[0] == 200 and last[1]["identifiers"] == []  # the person stays, reachable by id
    assert hm(aws, "GET", ONE, identity=anonymous)[0] == 200


# --- credentials -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "route", "extra"),
    [
        ("GET", ONE, {}),
        ("GET", "/v1/identities", {"query": "kind=user_id&value=user-6"}),
        ("POST", LINKS, {"body": {"kind": "fingerprint", "value": "attacker"}}),
        ("DELETE", LINKS, {"query": "kind=user_id&value=user-6"}),
    ],
)
@pytest.mark.parametrize("how", ["x-api-key", "bearer"])
def test_a_publishable_key_reaches_no_identity_and_writes_nothing(
    aws: Aws, entity: dict[str, str], method: str, route: str, extra: dict[str, Any], how: str
) -> None:
    person = created(aws, "user-6")
    before = aws.table_items()
    pk = entity["PUBLIC_KEY"]
    headers = {"x-api-key": pk} if how == "x-api-key" else {"authorization": f"Bearer {pk}"}
    path = route.replace("{identityId}", person)

    status, body = aws.call(
        F, api_event(method, route, path=path, params={"identityId": person}, headers=headers, **extra)
    )

    assert status in (401, 403) and set(body) == {"message", "code"}
    assert person not in json.dumps(body) and "user-6" not in json.dumps(body)
    assert aws.table_items() == before


# --- bounded work ----------------------------------------------------------------------------------------


def test_reads_and_links_cost_a_bounded_number_of_storage_calls(aws: Aws, entity: dict[str, str]) -> None:
    """The largest person there can be: MAX_MERGED identities holding MAX_IDENTIFIERS identifiers."""
    eid = entity["ENTITY_ID"]
    per = MAX_IDENTIFIERS // MAX_MERGED
    for n in range(MAX_MERGED):
        resolve(eid, [ids.fingerprint(f"p{n}-{k}") for k in range(per)])
    person = resolve(eid, [ids.fingerprint(f"p{n}-0") for n in range(MAX_MERGED)]).identity_id
    loser = hm(aws, "GET", ONE, identity=person)[1]["mergedIds"][-1]

    def calls(*args: Any, **kwargs: Any) -> tuple[int, int]:
        status, _ = hm(aws, *args, **kwargs)
        return status, capacity.current().calls

    read = calls("GET", ONE, identity=person)
    redirected = calls("GET", ONE, identity=loser)
    found = calls("GET", "/v1/identities", query="kind=fingerprint&value=p3-1")
    linked = calls("POST", LINKS, identity=person, body={"kind": "fingerprint", "value": "new"})
    unlinked = calls("DELETE", LINKS, identity=person, query="kind=fingerprint&value=new")

    # auth (2 reads: each invocation here starts with cold caches) + the identity (+1 per redirect) +
    # identifiers + devices + one conflict Query per identity the person is made of (measured: 21, 22, 22,
    # 23, 23 for this person of 16 identities and 48 identifiers); a link or an unlink is a write request,
    # counted once for the plan's rate limit
    assert read[0] == redirected[0] == found[0] == linked[0] == unlinked[0] == 200
    assert read[1] <= 2 + 3 + MAX_MERGED
    assert redirected[1] <= read[1] + 1 and found[1] <= read[1] + 1
    assert linked[1] <= read[1] + 3 and unlinked[1] <= read[1] + 3


# --- the identity webhook scope ------------------------------------------------------------------------


def register(aws: Aws, body: dict[str, Any]) -> tuple[int, Any]:
    headers = {"authorization": f"Bearer {aws.values['SECRET_KEY']}"}
    return aws.call("ClaimrHooksFunction", api_event("POST", "/hook", body=body, headers=headers))


def queued(aws: Aws) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    found: list[dict[str, Any]] = []
    for _ in range(5):
        messages = sqs.receive_message(
            QueueUrl=aws.queue_url("WebhookQueue"), MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages", [])
        for message in messages:
            body = json.loads(message["Body"])
            if body["message_id"] not in {f["message_id"] for f in found}:
                found.append(body)
    return found


HOOK = {
    "scope": "identity",
    "uri": "https://93.184.216.34/identity",
    "secret": "my-secret-key",
    "hook_id": "id",
}


def test_the_identity_scope_takes_hooks_without_campaigns(aws: Aws, entity: dict[str, str]) -> None:
    assert register(aws, HOOK) == (200, {"success": True})
    status, body = register(aws, {**HOOK, "pids": ["campaign_abc123"]})

    assert status == 400 and "pids" in body["error"]
    hooks = [i for i in aws.table_items() if i["type"] == "webhook"]
    assert [(h["scope"], h["pids"]) for h in hooks] == [("identity", [])]


def test_merges_and_conflicts_fan_out_once_per_stream_record(aws: Aws, entity: dict[str, str]) -> None:
    eid = entity["ENTITY_ID"]
    assert register(aws, HOOK)[0] == 200
    assert register(aws, {**HOOK, "scope": "user_reward", "hook_id": "rewards"})[0] == 200
    alice, bob = created(aws, "alice"), created(aws, "bob")
    assert endu(aws, fingerprint="fp-c") == 200
    carol = str((stored_identifier(aws, ids.fingerprint("fp-c")) or {})["identity_id"])
    assert hm(aws, "POST", LINKS, identity=alice, body={"kind": "fingerprint", "value": "fp-c"})[0] == 200
    assert hm(aws, "POST", LINKS, identity=alice, body={"kind": "user_id", "value": "bob"})[0] == 409
    assert hm(aws, "POST", LINKS, identity=alice, body={"kind": "user_id", "value": "bob"})[0] == 409

    aws.pump_stream()
    first = queued(aws)
    for batch in list(aws.stream_batches):  # the stream delivers every batch again
        assert aws.invoke("StreamFunction", {"Records": batch}) == {"batchItemFailures": []}
    again = queued(aws)

    events = sorted((m["payload"]["type"], m["hook_id"]) for m in first)
    assert events == [("identity.conflict", "id"), ("identity.conflict", "id"), ("identity.merged", "id")]
    assert {m["message_id"] for m in again} == {m["message_id"] for m in first}
    (merged,) = [m["payload"]["data"] for m in first if m["payload"]["type"] == "identity.merged"]
    assert merged == {**merged, "entity_id": eid, "identity_id": alice, "merged_identity_id": carol}
    sides = {
        (m["payload"]["data"]["identity_id"], m["payload"]["data"]["other_identity_id"])
        for m in first
        if m["payload"]["type"] == "identity.conflict"
    }
    assert sides == {(alice, bob), (bob, alice)}
    conflict = next(m["payload"]["data"] for m in first if m["payload"]["type"] == "identity.conflict")
    assert conflict["reason"] == "two_user_ids" and conflict["identifier"] == {
        "kind": "user_id",
        "value": "bob",
    }


def test_the_sample_events_answer_as_documented(aws: Aws, entity: dict[str, str]) -> None:
    assert aws.call(F, "heymint_create_identity")[0] == 200
    person = created(aws, "sample-person")

    read = aws.call(F, "heymint_read_identity", IDENTITY_ID=person)
    found = aws.call(F, "heymint_find_identity")
    linked = aws.call(F, "heymint_link_identifier", IDENTITY_ID=person)
    unlinked = aws.call(F, "heymint_unlink_identifier", IDENTITY_ID=person)
    again = aws.call(F, "heymint_unlink_identifier", IDENTITY_ID=person)

    assert read[0] == 200 and read[1]["id"] == person
    assert found[0] == 200 and ("user_id", "abcd1234") in named(found[1])
    assert linked[0] == 200 and ("fingerprint", "sample-fingerprint") in named(linked[1])
    assert unlinked[0] == 200 and ("fingerprint", "sample-fingerprint") not in named(unlinked[1])
    assert again[0] == 404 and again[1]["code"] == "identifier_not_linked"
