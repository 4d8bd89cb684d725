"""Shared devices (VENDOR-NOTES): both mobile SDKs keep the stored anonymous id when another user logs in
without `reset()`, and the JS SDK keeps its cookie; so `identify`, `devices` and `events` arrive with one
person's anonymous id and another's external id. Parcelvoy acts on the external id's user and leaves the
other alone (`getUserFromClientId`); so does Questline: nothing merges, whether the second user is new or
known. An `alias` still merges an anonymous-only identity into the known one."""

from __future__ import annotations

import pytest

from tests.replay.conftest import Replay

# Each SDK's request shapes (see the SDK modules beside this one): the JS SDK omits absent fields and posts
# alias to identify; the iOS SDK omits them; the Android SDK sends explicit nulls and `properties`.
SHAPES = {
    "js": {
        "identify": b'{"external_id":"%(ext)s","anonymous_id":"%(anon)s","data":{"who":"%(ext)s"}}',
        "events": b'[{"name":"Opened","anonymous_id":"%(anon)s","external_id":"%(ext)s","data":{"n":1}}]',
        "devices": None,
    },
    "ios": {
        "identify": b'{"anonymous_id":"%(anon)s","external_id":"%(ext)s","data":{"who":"%(ext)s"}}',
        "events": b'[{"name":"Opened","anonymous_id":"%(anon)s","external_id":"%(ext)s","data":{"n":1}}]',
        "devices": b'{"anonymous_id":"%(anon)s","external_id":"%(ext)s","device_id":"%(anon)s-dev",'
        b'"token":"tok-%(anon)s-%(ext)s","os":"iOS","os_version":"17.4","model":"iPhone15,2",'
        b'"app_build":"1","app_version":"465"}',
    },
    "android": {
        "identify": b'{"anonymous_id":"%(anon)s","external_id":"%(ext)s","phone":null,"email":null,'
        b'"data":{"who":"%(ext)s"}}',
        "events": b'[{"name":"Opened","anonymous_id":"%(anon)s","external_id":"%(ext)s",'
        b'"properties":{"n":1},"user":null}]',
        "devices": b'{"anonymous_id":"%(anon)s","external_id":"%(ext)s","device_id":"%(anon)s-dev",'
        b'"token":"tok-%(anon)s-%(ext)s","os":"Android","os_version":"14","model":"Pixel 8",'
        b'"app_build":"42","app_version":"1.4.0","sdk_version":"1.0.0"}',
    },
}


def headers(replay: Replay) -> dict[str, str]:
    return replay.mobile_headers("Replay")


def send_as(replay: Replay, sdk: str, anon: str, ext: str) -> None:
    for route in ("identify", "devices", "events"):
        shape = SHAPES[sdk][route]
        if shape is None:
            continue
        body = shape % {b"anon": anon.encode(), b"ext": ext.encode()}
        reply = replay.send("POST", f"/api/client/{route}", headers(replay), body)
        assert (reply.status_code, reply.content) == (204, b""), (route, reply.text)


@pytest.mark.parametrize("sdk", sorted(SHAPES))
@pytest.mark.parametrize("bob_known_before", [False, True], ids=["bob-new", "bob-known"])
def test_a_second_user_on_the_same_device_is_acted_on_and_nobody_merges(
    replay: Replay, sdk: str, bob_known_before: bool
) -> None:
    phone = f"shared-{sdk}-{bob_known_before}"
    alice_id, bob_id = f"alice-{phone}", f"bob-{phone}"
    send_as(replay, sdk, phone, alice_id)  # Alice logs in on the phone
    if bob_known_before:
        send_as(replay, sdk, f"bob-laptop-{phone}", bob_id)  # Bob was seen elsewhere first
    alice = replay.owner_of("uid", alice_id)
    alice_before = replay.identity(str(alice))

    send_as(replay, sdk, phone, bob_id)  # Bob logs in on Alice's phone without reset()

    bob = replay.owner_of("uid", bob_id)
    assert alice is not None and bob is not None and bob != alice
    assert replay.owner_of("anon", phone) == alice  # the device's anonymous id stays Alice's
    for person in (alice, bob):
        stored = replay.identity(person)
        assert stored["status"] == "active" and not stored.get("merged_ids"), stored
    assert replay.identity(alice)["data"] == alice_before["data"] == {"who": alice_id}
    assert replay.identity(bob)["data"] == {"who": bob_id}
    assert len(replay.logs_of(alice)) == 1  # Bob's events are Bob's
    assert len(replay.logs_of(bob)) == (2 if bob_known_before else 1)


@pytest.mark.parametrize("sdk", ["ios", "android"])
def test_alias_still_merges_an_anonymous_only_identity_into_the_known_one(replay: Replay, sdk: str) -> None:
    anon, ext = f"anon-only-{sdk}", f"known-{sdk}"
    opened = b'[{"name":"Opened","anonymous_id":"%s"}]' % anon.encode()
    assert replay.send("POST", "/api/client/events", headers(replay), opened).status_code == 204
    identify = b'{"external_id":"%s"}' % ext.encode()
    assert replay.send("POST", "/api/client/identify", headers(replay), identify).status_code == 204
    anonymous, known = replay.owner_of("anon", anon), replay.owner_of("uid", ext)
    assert anonymous != known

    alias = b'{"anonymous_id":"%s","external_id":"%s"}' % (anon.encode(), ext.encode())
    assert replay.send("POST", "/api/client/alias", headers(replay), alias).status_code == 204

    assert replay.owner_of("anon", anon) == replay.owner_of("uid", ext) == min(str(anonymous), str(known))
