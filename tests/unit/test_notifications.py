"""In-app notifications made by the engine: a person's completions, quests, rewards and referrals become the
notifications the Parcelvoy SDKs show (`GET /api/client/notifications`), by the campaign's templates,
once however often the stream is replayed, for the person the SDK names, and marked read with `PUT`."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from questline import clock
from questline.campaigns import store
from questline.campaigns.definition import Campaign
from questline.notifications import inbox
from tests.support import api_event
from tests.unit.conftest import Aws

PID = "quests"
SDK_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")  # yyyy-MM-dd'T'HH:mm:ss.SSS'Z'


def campaign(notifications: dict[str, Any] | None) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "name": "Summer <Games>",
        "actions": [
            {"id": "first_level", "name": "Complete a level", "type": "events_count", "xp": 100,
             "meta": {"event": {"name": "level_completed"}, "target": 1}},
            {"id": "daily_login", "name": "Daily Login", "type": "api_call", "recurrence": "daily", "xp": 50},
        ],
        "quests": [{"id": "starter", "name": "Starter", "actions": ["first_level"], "xp": 25}],
        "referral": {"min_points": 0, "tasks": []},
    }  # fmt: skip
    if notifications is not None:
        definition["notifications"] = notifications
    return definition


def publish(aws: Aws, definition: dict[str, Any]) -> None:
    entity_id = aws.values["ENTITY_ID"]
    store.save_draft(entity_id, PID, Campaign.model_validate(definition))
    store.publish(entity_id, PID)


def client(aws: Aws, method: str, route: str, *, key: str, **kwargs: Any) -> tuple[int, Any]:
    headers = {"authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
    return aws.call("ClientFunction", api_event(method, route, headers=headers, **kwargs))


def inbox_of(aws: Aws, key: str, query: str = "", **ids: str) -> tuple[int, Any]:
    headers = {f"x-{name.replace('_', '-')}": value for name, value in ids.items()}
    return client(aws, "GET", "/api/client/notifications", key=key, headers=headers, query=query)


def mark_read(aws: Aws, key: str, notification_id: int, who: dict[str, Any]) -> tuple[int, Any]:
    return client(
        aws,
        "PUT",
        "/api/client/notifications/{notificationId}",
        key=key,
        path=f"/api/client/notifications/{notification_id}",
        params={"notificationId": str(notification_id)},
        body=who,
    )


def level_up(aws: Aws, external_id: str = "player-1", anonymous_id: str = "anon-1") -> None:
    key = aws.values["PUBLIC_KEY"]
    body = {"external_id": external_id, "anonymous_id": anonymous_id}
    assert client(aws, "POST", "/api/client/identify", key=key, body=body)[0] == 204
    events = [{**body, "name": "level_completed", "data": {"level": 1}}]
    assert client(aws, "POST", "/api/client/events", key=key, body=events)[0] == 204
    aws.pump_stream()


def claimr(aws: Aws, method: str, route: str, **kwargs: Any) -> tuple[int, Any]:
    function = "ClaimrTasksFunction" if route.startswith("/action") else "ClaimrUsersFunction"
    headers = {"authorization": f"Bearer {kwargs.pop('key', aws.values['SECRET_KEY'])}"}
    return aws.call(function, api_event(method, route, headers=headers, **kwargs))


def log_in(aws: Aws, account: str) -> None:
    """The campaign's daily_login api_call task, reported done for a claimr account."""
    done = {
        "account": account,
        "platform": "discord",
        "pid": PID,
        "cid": PID,
        "aid": "daily_login",
        "value": 1,
    }
    assert claimr(aws, "POST", "/action/value", body=done)[0] == 200


def widget_token(aws: Aws, account: str) -> str:
    status, answer = claimr(aws, "GET", "/token", query=f"account={account}&platform=discord")
    assert status == 200, answer
    return str(answer["data"]["token"])


def notifications(aws: Aws) -> list[dict[str, Any]]:
    return [item for item in aws.table_items() if item["type"] == "notification"]


def test_a_completed_task_and_quest_become_notifications_the_sdks_decode(
    aws: Aws, entity: dict[str, str]
) -> None:
    publish(aws, campaign({}))

    level_up(aws)
    status, page = inbox_of(aws, entity["PUBLIC_KEY"], external_id="player-1", anonymous_id="anon-1")

    assert status == 200
    assert set(page) == {"results", "next_cursor", "limit"} and page["next_cursor"] is None
    # the quest's bonus came with the task, in the same second: their order within it is the ids' order
    assert [n["id"] for n in page["results"]] == sorted((n["id"] for n in page["results"]), reverse=True)
    by_title = {n["content"]["title"]: n for n in page["results"]}
    task, quest = by_title["Task completed"], by_title["Quest completed"]
    assert task["content_type"] == "banner" and task["read_at"] is None
    assert task["content"]["body"] == "Complete a level: +100 XP"
    assert quest["content"]["body"] == "Starter: +25 XP"
    assert task["content"]["read_on_show"] is False
    assert task["content"]["custom"] == {
        "context": {"kind": "task", "pid": PID, "action_id": "first_level", "window": 0, "xp": 100}
    }
    for notification in (task, quest):
        assert isinstance(notification["id"], int) and 0 < notification["id"] < 2**53
        assert SDK_DATE.match(notification["expires_at"]) and SDK_DATE.match(notification["created_at"])
        days = (
            clock.epoch_of(notification["expires_at"]) - clock.epoch_of(notification["created_at"])
        ) / 86400
        assert days == 30
    # the anonymous id alone names the same person
    assert inbox_of(aws, entity["PUBLIC_KEY"], anonymous_id="anon-1")[1]["results"] == page["results"]


def test_replayed_stream_records_deliver_nothing_twice(aws: Aws, entity: dict[str, str]) -> None:
    publish(aws, campaign({}))
    level_up(aws)
    before = notifications(aws)

    for batch in list(aws.stream_batches):
        assert aws.invoke("StreamFunction", {"Records": batch}) == {"batchItemFailures": []}

    assert len(before) == 2 and notifications(aws) == before


def test_reading_one_marks_it_and_unread_is_the_default(aws: Aws, entity: dict[str, str]) -> None:
    publish(aws, campaign({"quest": False}))
    level_up(aws)
    key = entity["PUBLIC_KEY"]
    (task,) = inbox_of(aws, key, external_id="player-1")[1]["results"]
    who = {"anonymous_id": "anon-1", "external_id": None}  # as Android's Gson sends it

    read = mark_read(aws, key, task["id"], who)
    again = mark_read(aws, key, task["id"], who)
    unread = inbox_of(aws, key, external_id="player-1")[1]
    everything = inbox_of(aws, key, "include_read=true", external_id="player-1")[1]
    missing = mark_read(aws, key, 12345, who)

    assert read == (204, None) and again == (204, None)
    assert unread["results"] == []
    (stored,) = everything["results"]
    assert SDK_DATE.match(stored["read_at"]) and stored["id"] == task["id"]
    assert missing == (404, {"status": "error", "error": "notification 12345 not found", "code": 404})


def test_looking_a_person_up_never_creates_or_links_anyone(aws: Aws, entity: dict[str, str]) -> None:
    publish(aws, campaign({}))
    level_up(aws)
    before = aws.table_items()

    unknown = inbox_of(aws, entity["PUBLIC_KEY"], external_id="nobody", anonymous_id="nobody-anon")
    mixed = inbox_of(aws, entity["PUBLIC_KEY"], external_id="somebody-else", anonymous_id="anon-1")
    missing = inbox_of(aws, entity["PUBLIC_KEY"])

    assert unknown == (200, {"results": [], "next_cursor": None, "limit": 25})
    assert len(mixed[1]["results"]) == 2  # an unknown external id: the anonymous id's person
    assert missing[0] == 422 and "x-external-id" in missing[1]["error"]
    assert aws.table_items() == before


def test_templates_decide_each_kind_with_placeholders_and_escaping(aws: Aws, entity: dict[str, str]) -> None:
    publish(
        aws,
        campaign(
            {
                "expires_in_days": 7,
                "task": False,
                "quest": {"content_type": "alert", "title": "Quest {{quest.name}} done",
                          "image": "https://cdn.example/{{quest.id}}.png", "read_on_show": True},
                "reward": {"content_type": "html", "title": "+{{xp}}", "body": "in {{campaign.name}}",
                           "html": "<p>{{campaign.name}}: +{{xp}} XP</p>", "custom": {"screen": "wallet"},
                           "expires_in_days": 1},
            }
        ),
    )  # fmt: skip
    token = widget_token(aws, "alice")
    reward = {"account": "alice", "platform": "discord", "pid": PID, "id": "r-1", "xp": 40}
    assert claimr(aws, "POST", "/user/reward", body=reward)[0] == 200
    withdrawal = {**reward, "id": "w-1", "xp": 10}
    assert claimr(aws, "POST", "/user/withdraw", body=withdrawal)[0] == 200
    log_in(aws, "alice")
    aws.pump_stream()

    status, page = inbox_of(aws, token)  # the widget token names its person: no headers

    assert status == 200
    (reward_note,) = page["results"]  # task notifications are off, a withdrawal makes none
    assert reward_note["content_type"] == "html"
    assert reward_note["content"]["title"] == "+40" and reward_note["content"]["body"] == "in Summer <Games>"
    assert reward_note["content"]["html"] == "<p>Summer &lt;Games&gt;: +40 XP</p>"
    assert reward_note["content"]["custom"] == {
        "screen": "wallet",
        "context": {"kind": "reward", "pid": PID, "reward_id": "r-1", "bucket": "xp", "xp": 40},
    }
    days = (clock.epoch_of(reward_note["expires_at"]) - clock.epoch_of(reward_note["created_at"])) / 86400
    assert days == 1


def test_a_valid_referral_notifies_the_referrer(aws: Aws, entity: dict[str, str]) -> None:
    publish(aws, campaign({"task": False, "quest": False, "reward": False}))
    referrer_token = widget_token(aws, "ref")
    status, answer = claimr(aws, "GET", "/user/ref_id", query=f"account=ref&platform=discord&pid={PID}")
    assert status == 200, answer
    link = {"account": "friend", "platform": "discord", "pid": PID, "ref_id": answer["data"]["ref_id"]}
    assert claimr(aws, "POST", "/user/ref_id", body=link)[0] == 200
    log_in(aws, "friend")
    aws.pump_stream()

    (note,) = inbox_of(aws, referrer_token)[1]["results"]
    assert note["content"]["title"] == "Referral confirmed"
    assert note["content"]["body"] == "A friend you invited qualified in Summer <Games>."
    assert inbox_of(aws, widget_token(aws, "friend"))[1]["results"] == []


def test_require_user_token_keeps_a_campaigns_notifications_from_publishable_keys(
    aws: Aws, entity: dict[str, str]
) -> None:
    publish(aws, campaign({"require_user_token": True, "quest": False}))
    level_up(aws)
    (stored,) = notifications(aws)

    public = inbox_of(aws, entity["PUBLIC_KEY"], external_id="player-1")
    public_read = mark_read(aws, entity["PUBLIC_KEY"], stored["notification_id"], {"external_id": "player-1"})
    secret = inbox_of(aws, entity["SECRET_KEY"], external_id="player-1")

    assert public == (200, {"results": [], "next_cursor": None, "limit": 25})
    assert public_read[0] == 404
    assert [n["id"] for n in secret[1]["results"]] == [stored["notification_id"]]


def test_pages_follow_next_cursor_newest_first(aws: Aws, entity: dict[str, str]) -> None:
    publish(aws, campaign({}))
    token = widget_token(aws, "collector")
    for n in range(5):
        reward = {"account": "collector", "platform": "discord", "pid": PID, "id": f"r-{n}", "xp": n + 1}
        assert claimr(aws, "POST", "/user/reward", body=reward)[0] == 200
    aws.pump_stream()

    seen: list[int] = []
    cursor, pages = None, 0
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        status, page = inbox_of(aws, token, query)
        assert status == 200 and len(page["results"]) <= 2
        seen += [n["id"] for n in page["results"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == 5 and seen == sorted(seen, reverse=True) and pages <= 4
    assert inbox_of(aws, token, "cursor=not-a-cursor")[0] == 422


def test_unknown_placeholders_are_refused_naming_the_field(aws: Aws, entity: dict[str, str]) -> None:
    entity_id = entity["ENTITY_ID"]
    before = aws.table_items()
    body = campaign({"task": {"title": "Hi {{user.email}}"}})

    status, answer = aws.call(
        "CampaignAdminFunction",
        api_event(
            "PUT",
            "/api/entities/{entityId}/campaigns/{pid}",
            path=f"/api/entities/{entity_id}/campaigns/{PID}",
            params={"entityId": entity_id, "pid": PID},
            body=body,
            headers={"authorization": f"Bearer {entity['SECRET_KEY']}"},
        ),
    )

    assert status == 400 and answer["error"].startswith("notifications.task.title: unknown placeholder")
    assert aws.table_items() == before


@pytest.mark.parametrize("seconds", [0, 1, 86_400 * 365 * 60])
def test_ids_grow_with_time_and_stay_below_2_53(seconds: int) -> None:
    at = clock.iso(inbox.ID_EPOCH + seconds)
    later = clock.iso(inbox.ID_EPOCH + seconds + 1)

    first = inbox.notification_id("PK|SK", "identity", at)

    assert first == inbox.notification_id("PK|SK", "identity", at)  # a replay: the same id
    assert 0 <= first < inbox.notification_id("PK|SK", "identity", later) < 2**53


def test_expired_notifications_are_not_listed(aws: Aws, entity: dict[str, str]) -> None:
    delivery = inbox.Delivery("reward", PID, "PK|SK", clock.iso(clock.now() - 3 * 86400), "banner",
                              {"title": "old", "body": ""}, expires_in_days=1)  # fmt: skip
    inbox.deliver(entity["ENTITY_ID"], "someone", delivery)

    page = inbox.page(entity["ENTITY_ID"], "someone", unread_only=True, public=False, cursor=None, limit=25)

    assert page.items == [] and json.dumps(notifications(aws)[0]["ttl"]).isdigit()


def test_the_sample_events_list_and_read(aws: Aws, entity: dict[str, str]) -> None:
    publish(aws, campaign({"quest": False}))
    level_up(aws, external_id="EXTERNAL_ID", anonymous_id="ANONYMOUS_ID")

    status, page = aws.call("ClientFunction", "client_notifications")
    (note,) = page["results"]
    read = aws.call("ClientFunction", "client_read_notification", NOTIFICATION_ID=str(note["id"]))

    assert status == 200 and read == (204, None)
    assert aws.call("ClientFunction", "client_notifications")[1]["results"] == []


def test_a_widget_token_reads_only_its_own_person(aws: Aws, entity: dict[str, str]) -> None:
    publish(aws, campaign({}))
    level_up(aws)
    token = widget_token(aws, "alice")

    status, answer = inbox_of(aws, token, external_id="player-1")

    assert status == 403 and answer["error"] == "a widget token reads only its own user's notifications"
