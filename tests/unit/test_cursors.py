"""Cursors are ours or refused: a `next` cursor is signed, so a forged or edited one (another key, a number
where a string goes, a negative position) is a 400 naming `after`, never a 500 or a wrong rank; log listings
take only a log id as `after`."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.support import api_event
from tests.unit.conftest import Aws
from tests.unit.test_claimr import P, call, live_campaign
from tests.unit.test_heymint_function import hm, new_event, new_identity
from tests.unit.test_leaderboard import board

__all__ = ["board", "live_campaign"]  # fixtures these tests use


def _decoded(cursor: str) -> dict[str, Any]:
    body = cursor.split(".", 1)[0]
    return dict(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))


def _encoded(key: dict[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _forgeries(cursor: str) -> list[str]:
    key = _decoded(cursor)
    forged = [
        {**key, "PK": 5},  # a number where DynamoDB wants a string: was a 500
        {**key, "n": -5},  # a position before the top: was rank -4
        {**key, "r": 0},
        {**key, "SK": "#STATS"},
    ]
    texts = [_encoded(k) for k in forged]
    signature = cursor.split(".", 1)[1] if "." in cursor else "x"
    return texts + [f"{text}.{signature}" for text in texts] + [cursor + "x", cursor[:-2]]


def test_forged_leaderboard_cursors_are_400_naming_after(aws: Aws, board: list[str]) -> None:
    first = call(aws, "GET", "/leaderboard", query=f"pid={P}&limit=2")[1]["data"]
    assert first["next"]

    answers = [
        call(aws, "GET", "/leaderboard", query=f"pid={P}&limit=2&after={forged}")
        for forged in _forgeries(first["next"])
    ]

    assert all(status == 400 for status, _ in answers), answers
    assert all(body["error"] == "after is not a valid cursor" for _, body in answers), answers
    genuine = call(aws, "GET", "/leaderboard", query=f"pid={P}&limit=2&after={first['next']}")[1]["data"]
    assert [e["rank"] for e in genuine["leaderboard"]] == [3, 4]


def test_forged_delivery_cursors_are_400_naming_after(aws: Aws, entity: dict[str, str]) -> None:
    from questline.storage import keys

    key = {
        "PK": 5,
        "SK": "#WHMSG",
        "GSI1PK": keys.webhook_deliveries_of(entity["ENTITY_ID"], "user_activity", "prod"),
        "GSI1SK": "x",
    }
    query = f"scope=user_activity&hook_id=prod&after={_encoded(key)}"

    request = api_event(
        "GET", "/hook/deliveries", query=query, headers={"authorization": f"Bearer {entity['SECRET_KEY']}"}
    )

    status, body = aws.call("ClaimrHooksFunction", request)

    assert status == 400 and body["error"] == "after is not a valid cursor", body


@pytest.mark.parametrize("after", ["not-a-uuid", "01234567-89ab-cdef-0123-456789abcdeg", "%25", "LOG%23"])
def test_log_listings_take_only_a_log_id_as_after(aws: Aws, entity: dict[str, str], after: str) -> None:
    identity = new_identity(aws)
    event = new_event(aws)
    assert hm(aws, "POST", "/v1/events/logs", body={"identityId": identity, "eventId": event})[0] == 200

    status, body = hm(aws, "GET", "/v1/events/logs", query=f"after={after}")

    assert status == 400 and body["message"].startswith("after"), body
