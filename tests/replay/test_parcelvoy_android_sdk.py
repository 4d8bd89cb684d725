"""The Parcelvoy Android SDK (`parcelvoy/android-sdk`): OkHttp to `{urlEndpoint}/api/client/{path}` with
`Content-Type`/`Accept: application/json` and `Authorization: Bearer <key>`; bodies from Gson with
`serializeNulls()` (absent fields as explicit nulls) and `LOWER_CASE_WITH_UNDERSCORES`, HTML-safe escaping
(`=` as `\\u003d`, `&` as `\\u0026`, `<` as `\\u003c`, `'` as `\\u0027`); events carry `properties`, and
numbers such as `1.0E300` and `4.9E-324` as JSON numbers (a refused batch is retried three times, then
dropped); devices carry `sdk_version`. `alias` comes before `identify`. In-app: `GET notifications` with
`x-anonymous-id` / `x-external-id`, decoded by Gson with a `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` date adapter, and
`PUT notifications/{id}` with `{"anonymous_id", "external_id"}`."""

from __future__ import annotations

import json

from tests.replay.conftest import NOTIFYING_CAMPAIGN, Replay

ANONYMOUS_ID = "3f2c9c1e-5b7a-4d8e-9f10-6a7b8c9d0e1f"


def headers(replay: Replay, **extra: str) -> dict[str, str]:
    return replay.mobile_headers("okhttp/4.12.0", **extra)


def test_alias_identify_devices_and_a_batch_with_numbers_dynamodb_cannot_store(replay: Replay) -> None:
    replay.publish_campaign("android_season", NOTIFYING_CAMPAIGN)
    anonymous = ANONYMOUS_ID.encode()
    sent = [
        ("/api/client/alias", b'{"anonymous_id":"' + anonymous + b'","external_id":"droid-1"}'),
        (
            "/api/client/identify",
            b'{"anonymous_id":"' + anonymous + b'","external_id":"droid-1","phone":null,"email":null,'
            b'"data":{"campaign":"utm_source\\u003dplay\\u0026utm_medium\\u003dads","nick":"\\u003cD\\u0027roid\\u003e"}}',
        ),
        (
            "/api/client/devices",
            b'{"anonymous_id":"'
            + anonymous
            + b'","external_id":"droid-1","device_id":"b5b6c8a2-1c1f-4f7e-9d1a-'
            b'2f3e4d5c6b7a","token":"fcm:APA91bH-token","os":"Android","os_version":"14","model":"Pixel 8",'
            b'"app_build":"42","app_version":"1.4.0","sdk_version":"1.0.0"}',
        ),
        (
            "/api/client/events",
            b'[{"name":"purchase","anonymous_id":"' + anonymous + b'","external_id":"droid-1",'
            b'"properties":{"huge":1.0E300,"tiny":4.9E-324,"price":49.99,"sku":"a\\u003db"}},'
            b'{"name":"level_completed","anonymous_id":"' + anonymous + b'","external_id":"droid-1",'
            b'"properties":{"level":7}}]',
        ),
    ]
    for path, body in sent:
        reply = replay.send("POST", path, headers(replay), body)
        assert (reply.status_code, reply.content) == (204, b""), (path, reply.text)

    person = replay.owner_of("uid", "droid-1")
    assert person is not None and replay.owner_of("anon", ANONYMOUS_ID) == person
    stored = replay.identity(person)
    assert stored["data"] == {"campaign": "utm_source=play&utm_medium=ads", "nick": "<D'roid>"}
    assert stored.get("email") is None and stored.get("phone") is None
    (device,) = replay.devices_of(person)
    assert (device["model"], device["os_version"], device["app_build"]) == ("Pixel 8", "14", "42")
    logs = {log["name"]: log for log in replay.logs_of(person)}
    purchase = logs["purchase"]["data"]
    assert purchase["huge"] == {"1.0E300"} and purchase["tiny"] == {"4.9E-324"}  # kept as the text sent
    assert (purchase["price"], purchase["sku"]) == (49.99, "a=b")
    assert logs["level_completed"]["data"] == {"level": 7}
    # answered back as sent, wherever the logs are read (here HeyMint's listing of the entity's logs)
    listed = replay.send("GET", "/v1/events/logs", {"x-api-key": replay.tenant["secret_key"]})
    assert '"huge":1.0E300' in listed.text and '"tiny":4.9E-324' in listed.text
    assert json.loads(listed.text)["logs"]


def test_in_app_messages_are_read_and_consumed(replay: Replay) -> None:
    notification, stored = replay.show_and_consume(
        lambda **user: headers(replay, **user), ANONYMOUS_ID, "droid-1"
    )

    assert notification["content"]["title"] == "Level up!"
    assert notification["content"]["body"] == "Finish a level: +100 XP"
    assert stored["notification_id"] == notification["id"]
    assert stored["read_at"] and "GSI1PK" not in stored  # read, and out of the unread index
