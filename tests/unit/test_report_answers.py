"""Answers say what happened: a value reported again inside a task's window answers that it did not count,
and why (`done` for a finished once task, `window_not_open` with when the next window opens for a
recurring one, `locked` for a task waiting on a dependency); `progress` shows a finished task's count and
value beside `done: true`, not zero."""

from __future__ import annotations

from typing import Any

from tests.unit.conftest import Aws
from tests.unit.test_claimr import P, call, live_campaign, q

__all__ = ["live_campaign"]  # a fixture these tests use


def report(aws: Aws, path: str, **body: Any) -> dict[str, Any]:
    status, answer = call(aws, "POST", path, body={"account": "r1", "platform": "discord", "pid": P, **body})
    assert status == 200 and answer["success"] is True, answer
    return dict(answer["data"])


def progress_of(aws: Aws, action_id: str) -> dict[str, Any]:
    actions = call(aws, "GET", "/user/progress", query=q("r1"))[1]["data"]["actions"]
    return dict(next(a for a in actions if a["id"] == action_id))


def test_a_daily_task_reported_again_says_it_did_not_count(aws: Aws, live_campaign: dict[str, Any]) -> None:
    first = report(aws, "/action/value", cid="quest_xyz789", aid="daily_login", value=1)
    again = report(aws, "/action/value", cid="quest_xyz789", aid="daily_login", value=1)

    assert first["counted"] is True and first["completed"] == ["daily_login"] and first["skipped"] == []
    assert again["counted"] is False and again["completed"] == []
    (skipped,) = again["skipped"]
    assert skipped["id"] == "daily_login" and skipped["reason"] == "window_not_open"
    opens = progress_of(aws, "daily_login")["next_available_at"]
    assert skipped["next_available_at"] == opens and opens is not None


def test_a_finished_once_task_says_done_and_shows_its_count(aws: Aws, live_campaign: dict[str, Any]) -> None:
    report(aws, "/action/value", cid="quest_xyz789", aid="daily_login", value=1)  # score_update's dependency
    first = report(aws, "/action/value", cid="quest_xyz789", aid="score_update", value=150)
    again = report(aws, "/action/value", cid="quest_xyz789", aid="score_update", value=400)
    for n in range(3):
        event = {"account": "r1", "platform": "discord", "pid": P, "name": "level_completed", "id": f"l{n}"}
        assert call(aws, "POST", "/event", body={**event, "category": "gameplay"})[0] == 200
    aws.pump_stream()

    assert first["completed"] == ["score_update"]
    assert again["counted"] is False and again["skipped"] == [
        {"id": "score_update", "reason": "done", "next_available_at": None}
    ]
    levels = progress_of(aws, "three_levels")
    assert levels["done"] is True and levels["progress"] == {"count": 3, "value": 0, "target": 3}
    score = progress_of(aws, "score_update")
    assert score["done"] is True and score["progress"] == {"count": 0, "value": 150, "target": 150}
    login = progress_of(aws, "daily_login")
    assert login["done"] is True and login["progress"]["count"] == 1


def test_a_stream_value_says_which_tasks_it_skipped(aws: Aws, live_campaign: dict[str, Any]) -> None:
    first = report(aws, "/stream/value", stream="player_score", value=1200)
    again = report(aws, "/stream/value", stream="player_score", value=5)

    assert first["counted"] is True and first["completed"] == ["score_stream"]
    assert again == {
        "counted": False,
        "completed": [],
        "awarded": [],
        "quests_completed": [],
        "skipped": [{"id": "score_stream", "reason": "done", "next_available_at": None}],
        "preview": False,
    }
    assert progress_of(aws, "score_stream")["progress"] == {"count": 0, "value": 1200, "target": 1000}
