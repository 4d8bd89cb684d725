"""The Parcelvoy JS SDK (`parcelvoy/js-sdk`, `BrowserClient`) in a browser: `fetch` to
`{urlEndpoint}/client/{path}` with `Content-Type: application/json` and `Authorization: Bearer <key>`, bodies
from `JSON.stringify` with top-level keys snake_cased (`#mapKeys`), `undefined` fields left out. `alias()`
posts to `client/identify` with both ids; `track()` posts to `client/track`, a route Parcelvoy's server never
had (an SDK bug: use `events()`), which API Gateway answers with its own 404. A cross-origin `fetch` with
these headers is preflighted."""

from __future__ import annotations

from tests.replay.conftest import Replay

ORIGIN = "https://shop.example"
ANONYMOUS_ID = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"  # the SDK's crypto.getRandomValues uuid()


def headers(replay: Replay) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {replay.tenant['public_key']}",
        "Origin": ORIGIN,
        "User-Agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15",
    }


def test_the_browser_preflight_allows_the_sdks_headers(replay: Replay) -> None:
    allowed = replay.preflight("/api/client/identify", ORIGIN, "POST", "authorization,content-type")

    assert {"authorization", "content-type"} <= allowed


def test_identify_alias_and_events_as_the_sdk_sends_them(replay: Replay) -> None:
    sent = [
        # Parcelvoy.identify({externalId, email, traits}): {...props, anonymousId, externalId} then data
        (
            "/api/client/identify",
            b'{"external_id":"js-user-1","email":"js@example.com","anonymous_id":"'
            + ANONYMOUS_ID.encode()
            + b'","data":{"plan":"pro","seats":3}}',
        ),
        # Parcelvoy.alias({anonymousId, externalId}): to client/identify, as the SDK does
        (
            "/api/client/identify",
            b'{"anonymous_id":"' + ANONYMOUS_ID.encode() + b'","external_id":"js-user-1"}',
        ),
        # Parcelvoy.events([{name, properties}]): properties become data
        (
            "/api/client/events",
            b'[{"name":"Checkout","anonymous_id":"'
            + ANONYMOUS_ID.encode()
            + b'","external_id":"js-user-1","data":{"total":12.5,"items":["a","b"]}}]',
        ),
    ]
    for path, body in sent:
        reply = replay.send("POST", path, headers(replay), body)
        assert (reply.status_code, reply.content) == (204, b""), (path, reply.text)
        assert reply.headers["access-control-allow-origin"] == "*"

    person = replay.owner_of("uid", "js-user-1")
    assert person is not None and replay.owner_of("anon", ANONYMOUS_ID) == person
    stored = replay.identity(person)
    assert stored["email"] == "js@example.com" and stored["data"] == {"plan": "pro", "seats": 3}
    (log,) = replay.logs_of(person)
    assert (log["name"], log["source"], log["data"]) == (
        "Checkout",
        "parcelvoy",
        {"total": 12.5, "items": ["a", "b"]},
    )


def test_track_reaches_a_route_parcelvoy_never_had(replay: Replay) -> None:
    body = b'{"event":"Opened","anonymous_id":"' + ANONYMOUS_ID.encode() + b'","data":{}}'

    reply = replay.send("POST", "/api/client/track", headers(replay), body)

    assert (reply.status_code, reply.json()) == (404, {"message": "Not Found"})
