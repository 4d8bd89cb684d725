"""A HeyMint log's name is its event's slug (DESIGN.md §4): a campaign task that waits for `level_up` is
completed by `POST /v1/events/logs` naming the event "Level Up" / `level_up`, whichever body names it; a
body whose `eventSlug` (or `slug`) and `eventId` name different events is refused, writing nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.conftest import Aws
from tests.unit.test_claimr import P, admin, design
from tests.unit.test_heymint_function import hm, new_event, new_identity


def _publish(aws: Aws, event_name: str) -> None:
    campaign = design()
    campaign["actions"].append(
        {
            "id": "levelled",
            "name": "Level up once",
            "type": "events_count",
            "recurrence": "once",
            "xp": 70,
            "meta": {"event": {"name": event_name}, "target": 1},
        }
    )
    assert admin(aws, "PUT", f"/{P}", campaign)[0] == 200
    assert admin(aws, "POST", f"/{P}/publish")[0] == 200


def _completions(aws: Aws, identity_id: str) -> list[str]:
    return [
        str(i["action_id"])
        for i in aws.table_items()
        if i["type"] == "completion" and i["identity_id"] == identity_id
    ]


@pytest.mark.parametrize(
    "body",
    [{"eventSlug": "level_up"}, {"slug": "level_up"}, {"eventId": "EVENT"}],
)
def test_a_log_completes_the_task_named_by_its_slug(
    aws: Aws, entity: dict[str, str], body: dict[str, Any]
) -> None:
    _publish(aws, "level_up")
    event_id = new_event(aws)  # name "Level Up", slug "level_up"
    identity = new_identity(aws, "gamer-1")

    status, answer = hm(
        aws,
        "POST",
        "/v1/events/logs",
        body={**{k: event_id if v == "EVENT" else v for k, v in body.items()}, "identityId": identity},
    )
    aws.pump_stream()

    assert status == 200, answer
    assert _completions(aws, identity) == ["levelled"]
    log = next(i for i in aws.table_items() if i["type"] == "event_log")
    assert (log["name"], log["event_key"], log["event_id"]) == ("level_up", "level_up", event_id)


def test_the_display_name_completes_nothing(aws: Aws, entity: dict[str, str]) -> None:
    _publish(aws, "Level Up")
    new_event(aws)
    identity = new_identity(aws, "gamer-2")

    assert (
        hm(aws, "POST", "/v1/events/logs", body={"eventSlug": "level_up", "identityId": identity})[0] == 200
    )
    aws.pump_stream()

    assert _completions(aws, identity) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"eventSlug": "other_event", "eventId": "EVENT"}, "eventSlug"),
        ({"slug": "other_event", "eventId": "EVENT"}, "slug"),
        ({"eventSlug": "level_up", "slug": "other_event"}, "slug"),
    ],
)
def test_two_names_for_two_events_are_refused(
    aws: Aws, entity: dict[str, str], body: dict[str, Any], field: str
) -> None:
    event_id = new_event(aws)
    new_event(aws, "other_event")
    identity = new_identity(aws, "gamer-3")
    before = aws.table_items()

    status, answer = hm(
        aws,
        "POST",
        "/v1/events/logs",
        body={**{k: event_id if v == "EVENT" else v for k, v in body.items()}, "identityId": identity},
    )

    assert status == 400 and answer["message"].startswith(field), answer
    assert answer["code"] == "bad_request"
    assert aws.table_items() == before


def test_the_same_event_named_twice_is_fine(aws: Aws, entity: dict[str, str]) -> None:
    event_id = new_event(aws)
    identity = new_identity(aws, "gamer-4")

    status, answer = hm(
        aws,
        "POST",
        "/v1/events/logs",
        body={"eventSlug": "level_up", "slug": "level_up", "eventId": event_id, "identityId": identity},
    )

    assert status == 200 and set(answer) == {"logId", "identityClaimed"}, answer
