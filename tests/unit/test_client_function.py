"""Parcelvoy's client API through its sample events: alias, identify, devices, events."""

from __future__ import annotations

from typing import Any

import pytest

from questline import clock
from questline.identity import identifiers as ids
from questline.identity.graph import read_identity, resolve
from questline.identity.profiles import MAX_TRAITS_BYTES, traits_size
from questline.tenancy.mau import monthly_active
from tests.support import api_event
from tests.unit.conftest import Aws

F = "ClientFunction"


def pv(aws: Aws, route: str, body: Any, *, key: str | None = None) -> tuple[int, Any]:
    return aws.call(
        F,
        api_event(
            "POST", route, body=body, headers={"authorization": f"Bearer {key or aws.values['PUBLIC_KEY']}"}
        ),
    )


def identity_of(aws: Aws, identifier: ids.Identifier) -> dict[str, Any]:
    return read_identity(
        aws.values["ENTITY_ID"], resolve(aws.values["ENTITY_ID"], [identifier], create=False).identity_id
    )


def test_the_seed_examples_succeed_as_written(aws: Aws, entity: dict[str, str]) -> None:
    for name in ("client_identify", "client_devices", "client_events", "client_alias"):
        assert aws.call(F, name) == (204, None), name
    person = identity_of(aws, ids.external_id("EXTERNAL_ID"))
    assert (
        person["email"] == "test@test.com"
        and person["timezone"] == "America/Chicago"
        and person["locale"] == "en"
    )
    assert person["data"] == {"first_name": "John", "last_name": "Smith", "has_completed_onboarding": True}
    assert identity_of(aws, ids.anonymous_id("ANONYMOUS_ID"))["identity_id"] == person["identity_id"]
    logs = [i for i in aws.table_items() if i["type"] == "event_log"]
    assert [(log["name"], log["data"]["price"], log["source"]) for log in logs] == [
        ("Product Purchased", 49.99, "parcelvoy")
    ]
    assert monthly_active(entity["ENTITY_ID"], clock.month_of()) == 1


def test_sk_keys_work_too_and_bad_keys_get_parcelvoys_errors(aws: Aws, entity: dict[str, str]) -> None:
    body = {"external_id": "x"}

    assert pv(aws, "/api/client/identify", body, key=entity["SECRET_KEY"]) == (204, None)
    assert pv(aws, "/api/client/identify", body, key="pk_unknown") == (
        404,
        {"status": "error", "error": "The requested project does not exist.", "code": 6000},
    )
    assert aws.call(F, api_event("POST", "/api/client/identify", body=body)) == (
        401,
        {"status": "error", "error": "Authorization error.", "code": 1000},
    )
    assert (
        aws.call(
            F, api_event("POST", "/api/client/identify", body=body, headers={"authorization": "pk_no_bearer"})
        )[0]
        == 401
    )


def test_alias_merges_the_anonymous_identity_into_the_known_one_once(
    aws: Aws, entity: dict[str, str]
) -> None:
    pv(aws, "/api/client/events", [{"anonymous_id": "anon", "name": "Opened app"}])
    pv(aws, "/api/client/identify", {"external_id": "user-1", "email": "a@example.com"})
    anonymous = identity_of(aws, ids.anonymous_id("anon"))["identity_id"]

    assert pv(aws, "/api/client/alias", {"anonymous_id": "anon", "external_id": "user-1"}) == (204, None)
    merged = identity_of(aws, ids.external_id("user-1"))
    before = aws.table_items()
    assert pv(aws, "/api/client/alias", {"anonymous_id": "anon", "external_id": "someone-else"}) == (
        204,
        None,
    )

    assert merged["identity_id"] == anonymous  # the anonymous identity was first: it survives
    assert merged["email"] == "a@example.com"
    assert aws.table_items() == before  # a second alias of the same anonymous id changes nothing


def test_identify_merges_traits_shallowly_and_replaces_arrays(aws: Aws, entity: dict[str, str]) -> None:
    pv(
        aws,
        "/api/client/identify",
        {"external_id": "u", "data": {"a": 1, "tags": ["x", "y"], "nested": {"k": 1}}},
    )
    pv(
        aws,
        "/api/client/identify",
        {"external_id": "u", "email": None, "data": {"tags": ["z"], "nested": {"j": 2}, "b": None}},
    )

    person = identity_of(aws, ids.external_id("u"))
    assert person["data"] == {"a": 1, "tags": ["z"], "nested": {"j": 2}, "b": None}
    assert "email" not in person  # explicit nulls (as the real SDKs send) change nothing


@pytest.mark.parametrize(
    ("route", "body", "message"),
    [
        (
            "/api/client/identify",
            {"external_id": "u", "timezone": "Mars/Base"},
            "The timezone value must be in the IANA format.",
        ),
        ("/api/client/identify", {"email": "a@b.c"}, "anonymous_id or external_id is required"),
        ("/api/client/identify", {"external_id": ""}, "external_id: String should have at least 1 character"),
        (
            "/api/client/identify",
            {"external_id": "u", "data": "text"},
            "data: Input should be a valid dictionary",
        ),
        ("/api/client/alias", {"anonymous_id": "a"}, "external_id: is required"),
        (
            "/api/client/devices",
            {"external_id": "u", "device_id": "d", "model": "m", "app_build": "1", "app_version": "1"},
            "os: is required",
        ),
        ("/api/client/events", [], "send an array of at least one event"),
        ("/api/client/events", [{"external_id": "u"}], "0.name: is required"),
        (
            "/api/client/events",
            [{"name": "ok", "external_id": "u"}, {"name": "no id"}],
            "anonymous_id or external_id is required",
        ),
        ("/api/client/events", [{"name": "e", "external_id": "u"}] * 101, "at most 100 events"),
        ("/api/client/events", {"name": "not an array"}, "body:"),
        ("/api/client/events", [{"name": "e", "external_id": "u", "user": {"timezone": "Nowhere"}}], "IANA"),
    ],
)
def test_validation_failures_are_422_with_the_first_error_and_write_nothing(
    aws: Aws, entity: dict[str, str], route: str, body: Any, message: str
) -> None:
    before = aws.table_items()

    status, answer = pv(aws, route, body)

    assert status == 422 and set(answer) == {"status", "error"} and answer["status"] == "error"
    assert message in answer["error"]
    assert aws.table_items() == before


def test_events_create_users_apply_user_traits_and_take_properties(aws: Aws, entity: dict[str, str]) -> None:
    status, _ = pv(
        aws,
        "/api/client/events",
        [
            {
                "anonymous_id": "new",
                "name": "Signed up",
                "properties": {"plan": "pro"},
                "data": None,
                "external_id": None,
            },
            {
                "external_id": "known",
                "name": "Bought",
                "data": {"sku": "A"},
                "user": {"email": "k@example.com", "data": {"vip": True}},
            },
        ],
    )

    assert status == 204
    logs = sorted((i["name"], i["data"]) for i in aws.table_items() if i["type"] == "event_log")
    assert logs == [("Bought", {"sku": "A"}), ("Signed up", {"plan": "pro"})]
    known = identity_of(aws, ids.external_id("known"))
    assert known["email"] == "k@example.com" and known["data"] == {"vip": True}


def test_a_batch_of_events_for_one_user_resolves_once_and_writes_in_batches(
    aws: Aws, entity: dict[str, str]
) -> None:
    pv(aws, "/api/client/identify", {"external_id": "busy"})
    response = aws.invoke(
        F,
        api_event(
            "POST",
            "/api/client/events",
            body=[{"external_id": "busy", "name": f"e{n}"} for n in range(100)],
            headers={"authorization": f"Bearer {entity['PUBLIC_KEY']}"},
        ),
    )

    calls = int(response["headers"]["x-questline-capacity"].split(";")[0].split("=")[1])
    assert response["statusCode"] == 204
    # each invoke here is a cold container: the key lookup and its entity's, the request's count for the
    # plan's rate limit (the whole batch is one write request), one identifier read for the whole batch,
    # four batch writes of 25 logs, and the month's MAU marker (already there: refused, once)
    assert calls == 2 + 1 + 1 + 4 + 1
    assert len([i for i in aws.table_items() if i["type"] == "event_log"]) == 100


def test_a_batch_with_an_idempotency_key_is_recorded_once_however_often_it_is_sent(
    aws: Aws, entity: dict[str, str]
) -> None:
    def send(key: str, names: list[str]) -> int:
        response = aws.invoke(
            F,
            api_event(
                "POST",
                "/api/client/events",
                body=[{"external_id": "retrier", "name": name} for name in names],
                headers={"authorization": f"Bearer {entity['PUBLIC_KEY']}", "idempotency-key": key},
            ),
        )
        return int(response["statusCode"])

    def logs() -> list[str]:
        return sorted(str(i["name"]) for i in aws.table_items() if i["type"] == "event_log")

    assert send("batch-1", ["a", "b", "a"]) == 204
    assert send("batch-1", ["a", "b", "a"]) == 204  # the client's retry
    assert logs() == ["a", "a", "b"]
    assert send("batch-2", ["a", "b", "a"]) == 204  # another batch, the same events: counted again
    assert logs() == ["a", "a", "a", "a", "b", "b"]
    bad = aws.invoke(
        F,
        api_event(
            "POST",
            "/api/client/events",
            body=[{"external_id": "retrier", "name": "c"}],
            headers={"authorization": f"Bearer {entity['PUBLIC_KEY']}", "idempotency-key": "x" * 129},
        ),
    )
    assert bad["statusCode"] == 422 and "idempotency-key" in bad["body"]  # Parcelvoy's validation status
    assert logs() == ["a", "a", "a", "a", "b", "b"]


def test_devices_are_matched_by_id_or_by_their_token(aws: Aws, entity: dict[str, str]) -> None:
    base = {"external_id": "u", "os": "iOS", "model": "iPhone", "app_build": "1", "app_version": "1.0"}
    pv(aws, "/api/client/devices", {**base, "device_id": "d1", "token": "tok"})
    pv(aws, "/api/client/devices", {**base, "device_id": "d1", "token": "tok", "app_version": "1.1"})
    pv(aws, "/api/client/devices", {**base, "device_id": "d2", "token": "tok", "os_version": "17"})

    devices = [i for i in aws.table_items() if i["type"] == "device"]
    assert [(d["device_id"], d["app_version"], d["os_version"]) for d in devices] == [("d1", "1.0", "17")]
    assert devices[0]["token"] == "tok"


def _traits(prefix: str, count: int, size: int) -> dict[str, str]:
    return {f"{prefix}{n}": "x" * size for n in range(count)}


def test_a_persons_traits_are_capped_in_total_and_an_overflow_is_a_422_that_writes_nothing(
    aws: Aws, entity: dict[str, str]
) -> None:
    assert pv(aws, "/api/client/identify", {"external_id": "u", "data": _traits("a", 4, 10_000)})[0] == 204
    stored = identity_of(aws, ids.external_id("u"))
    before = aws.table_items()

    # 40 KB stored; 40 KB more under other names would make 80 KB: refused, as is one call of 200 KB
    grow = pv(aws, "/api/client/identify", {"external_id": "u", "data": _traits("b", 4, 10_000)})
    huge = pv(aws, "/api/client/identify", {"external_id": "u", "data": {"blob": "x" * 200_000}})
    batch = pv(
        aws,
        "/api/client/events",
        [{"name": "e", "external_id": "u", "data": {}, "user": {"data": {"blob": "x" * 70_000}}}],
    )

    for status, answer in (grow, huge, batch):
        assert status == 422 and answer["status"] == "error"
        assert "data" in answer["error"] and "65,536 bytes" in answer["error"]
    assert aws.table_items() == before
    # replacing what is stored counts the result, not the sum: the same names with new values fit
    assert pv(aws, "/api/client/identify", {"external_id": "u", "data": _traits("a", 4, 12_000)})[0] == 204
    assert identity_of(aws, ids.external_id("u"))["data"] == {**stored["data"], **_traits("a", 4, 12_000)}


def test_a_merge_folds_only_the_traits_that_fit_beside_the_survivors_own(
    aws: Aws, entity: dict[str, str]
) -> None:
    pv(aws, "/api/client/identify", {"anonymous_id": "anon", "data": _traits("a", 4, 10_000)})
    pv(aws, "/api/client/identify", {"external_id": "user-1", "data": _traits("b", 4, 10_000)})

    assert pv(aws, "/api/client/alias", {"anonymous_id": "anon", "external_id": "user-1"}) == (204, None)

    person = identity_of(aws, ids.external_id("user-1"))
    assert identity_of(aws, ids.anonymous_id("anon"))["identity_id"] == person["identity_id"]
    assert set(person["data"]) == {"a0", "a1", "a2", "a3", "b0", "b1"}  # the survivor's own, then what fits
    assert traits_size(person["data"]) <= MAX_TRAITS_BYTES
