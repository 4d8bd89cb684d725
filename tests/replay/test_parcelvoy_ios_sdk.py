"""The Parcelvoy iOS SDK (`parcelvoy/ios-sdk`): `{urlEndpoint}/api/client/{path}`, `Content-Type` and
`Accept: application/json` on every request (GET too), `Authorization: Bearer <key>`, bodies from
`JSONEncoder` with `.convertToSnakeCase` (optional fields left out; `/` written as `\\/`, Foundation's
default). `identify` with a first external id fires `alias` and `identify` at once; a relaunch brings a new
`device_id` with the same push token; on start (auto-show) it reads `GET notifications` with
`x-anonymous-id` / `x-external-id`, decodes the page with `.convertFromSnakeCase` and a
`yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` date formatter, and consumes one with `PUT notifications/{id}`."""

from __future__ import annotations

import threading

import requests

from tests.replay.conftest import NOTIFYING_CAMPAIGN, Replay
from tests.support import eventually

ANONYMOUS_ID = "E621E1F8-C36C-495A-93FC-0C247A3E6E5F"  # UUID().uuidString
TOKEN = "45d2e0c7bbb649679723a96d92d0fa305e356e6603aa4926a322d7f5c89"


def headers(replay: Replay, **extra: str) -> dict[str, str]:
    return replay.mobile_headers("Replay/465 CFNetwork/1494.0.7 Darwin/23.4.0", **extra)


def test_alias_and_identify_at_once_then_devices_and_events(replay: Replay) -> None:
    replay.publish_campaign("ios_season", NOTIFYING_CAMPAIGN)
    alias = b'{"anonymous_id":"' + ANONYMOUS_ID.encode() + b'","external_id":"ios-user-1"}'
    identify = (
        b'{"anonymous_id":"' + ANONYMOUS_ID.encode() + b'","external_id":"ios-user-1",'
        b'"email":"ios@example.com","data":{"avatar":"https:\\/\\/cdn.example\\/a.png","pro":true}}'
    )
    replies: dict[str, requests.Response] = {}

    def post(name: str, path: str, body: bytes) -> None:
        replies[name] = replay.send("POST", path, headers(replay), body)

    fired = [
        threading.Thread(target=post, args=("alias", "/api/client/alias", alias)),
        threading.Thread(target=post, args=("identify", "/api/client/identify", identify)),
    ]
    for thread in fired:
        thread.start()
    for thread in fired:
        thread.join()
    assert {name: r.status_code for name, r in replies.items()} == {"alias": 204, "identify": 204}

    device = (
        b'{"anonymous_id":"' + ANONYMOUS_ID.encode() + b'","external_id":"ios-user-1","device_id":"%s",'
        b'"token":"' + TOKEN.encode() + b'","os":"iOS","os_version":"17.4","model":"iPhone15,2",'
        b'"app_build":"1.2.4","app_version":"465"}'
    )
    for device_id in (b"7D2A1C0E-0000-4000-8000-000000000001", b"7D2A1C0E-0000-4000-8000-000000000002"):
        reply = replay.send("POST", "/api/client/devices", headers(replay), device.replace(b"%s", device_id))
        assert reply.status_code == 204, reply.text  # a relaunch: a new device_id, the same push token
    event = (
        b'[{"name":"level_completed","anonymous_id":"' + ANONYMOUS_ID.encode() + b'",'
        b'"external_id":"ios-user-1","data":{"level":1}}]'
    )
    assert replay.send("POST", "/api/client/events", headers(replay), event).status_code == 204

    person = replay.owner_of("uid", "ios-user-1")
    assert person is not None and replay.owner_of("anon", ANONYMOUS_ID) == person
    stored = replay.identity(person)
    assert stored["email"] == "ios@example.com"
    assert stored["data"] == {"avatar": "https://cdn.example/a.png", "pro": True}
    (phone,) = replay.devices_of(person)  # one device: matched by its push token
    assert (phone["token"], phone["model"], phone["os"]) == (TOKEN, "iPhone15,2", "iOS")
    assert [log["name"] for log in replay.logs_of(person)] == ["level_completed"]
    eventually(lambda: replay.notifications_of(person))  # the stream completed the task


def test_auto_show_reads_the_page_and_consumes_one(replay: Replay) -> None:
    notification, stored = replay.show_and_consume(
        lambda **user: headers(replay, **user), ANONYMOUS_ID, "ios-user-1"
    )

    assert notification["content"]["title"] == "Level up!"
    assert notification["content"]["body"] == "Finish a level: +100 XP"
    assert stored["notification_id"] == notification["id"]
    assert stored["read_at"] and "GSI1PK" not in stored  # read, and out of the unread index
