"""Rank-change webhooks (scope `leaderboard`, ours): a hook names how many places it watches (`top`, 1-1000,
default 10) and hears `leaderboard.rank_changed` when a participant whose score changed enters that top,
leaves it, or moves inside it, with the old and the new rank; once per stream record, replays included."""

from __future__ import annotations

from typing import Any

from questline.storage import get_table, keys
from questline.storage.table import Update
from tests.unit.conftest import Aws
from tests.unit.test_claimr import P, design
from tests.unit.test_levels import publish, reward
from tests.unit.test_webhook_routes import SEED_HOOK, stored_hooks
from tests.unit.test_webhook_routes import call as hook_call
from tests.unit.test_webhooks import queued, register_hook


def watch(entity_id: str, hook_id: str, top: int, pids: list[str]) -> None:
    """A `leaderboard` hook stored as `POST /hook` stores it (the route is tested below)."""
    uri = f"https://93.184.216.34/{hook_id}"
    register_hook(entity_id, uri, scope="leaderboard", hook_id=hook_id, pids=pids)
    get_table().update(keys.webhook(entity_id, "leaderboard", hook_id), Update(set={"top": top}))


def moves(aws: Aws) -> list[tuple[str, str, str | None, int | None, int | None]]:
    """(hook, account, change, from_rank, to_rank) of every queued rank change, sorted."""
    found = []
    for message in queued(aws):
        if message["payload"]["type"] != "leaderboard.rank_changed":
            continue
        data = message["payload"]["data"]
        ranks = (data["from_rank"], data["to_rank"])
        found.append((message["hook_id"], data["account"], data["change"], *ranks))
    return sorted(found, key=str)


def replay(aws: Aws) -> None:
    for batch in list(aws.stream_batches):
        assert aws.invoke("StreamFunction", {"Records": batch}) == {"batchItemFailures": []}


def test_a_hook_hears_who_enters_leaves_and_moves_inside_its_top(aws: Aws, entity: dict[str, str]) -> None:
    entity_id = aws.values["ENTITY_ID"]
    watch(entity_id, "top2", 2, [P])
    watch(entity_id, "other", 10, ["other"])
    publish(aws, design())

    reward(aws, "alice", "a1", 100)
    reward(aws, "bob", "b1", 50)
    reward(aws, "carol", "c1", 10)
    aws.pump_stream()
    first = [("top2", "alice", "entered", None, 1), ("top2", "bob", "entered", None, 2)]
    assert moves(aws) == first

    reward(aws, "carol", "c2", 200)  # 210: from 3rd to 1st (bob, pushed out, did not move himself)
    aws.pump_stream()
    assert moves(aws) == sorted([*first, ("top2", "carol", "entered", 3, 1)], key=str)

    reward(aws, "alice", "a2", 5)  # 105: 2nd before, 2nd after - nothing to tell
    reward(aws, "alice", "a3", 200)  # 305: 2nd -> 1st
    aws.pump_stream()
    told = [*first, ("top2", "carol", "entered", 3, 1), ("top2", "alice", "moved", 2, 1)]
    assert moves(aws) == sorted(told, key=str)

    before = queued(aws)
    replay(aws)  # every record again: the same messages, none new
    assert len(queued(aws)) == len(before)

    message = next(m for m in queued(aws) if m["payload"]["data"]["account"] == "carol")
    data = message["payload"]["data"]
    assert message["scope"] == "leaderboard" and message["hook_id"] == "top2"
    assert (data["pid"], data["platform"], data["score"], data["top"]) == (P, "discord", 210, 2)


def test_a_participant_who_falls_out_of_the_top_is_told_they_left(aws: Aws, entity: dict[str, str]) -> None:
    entity_id = aws.values["ENTITY_ID"]
    watch(entity_id, "top1", 1, [])
    publish(aws, design())
    reward(aws, "alice", "a1", 100)
    reward(aws, "bob", "b1", 50)
    aws.pump_stream()
    body = {"account": "alice", "platform": "discord", "pid": P, "id": "w1", "xp": 80}
    from tests.unit.test_claimr import call

    assert call(aws, "POST", "/user/withdraw", body=body)[0] == 200  # 20: from 1st to 2nd
    aws.pump_stream()
    assert moves(aws) == [("top1", "alice", "entered", None, 1), ("top1", "alice", "left", 1, 2)]


def test_no_leaderboard_hook_costs_no_rank_reads(aws: Aws, entity: dict[str, str]) -> None:
    publish(aws, design())
    reward(aws, "alice", "a1", 100)
    aws.pump_stream()
    assert moves(aws) == []


def registered(aws: Aws, **changes: Any) -> tuple[int, Any]:
    return hook_call(aws, "POST", "/hook", body={**SEED_HOOK, **changes})


def test_the_hook_route_takes_top_for_the_leaderboard_scope_only(aws: Aws, entity: dict[str, str]) -> None:
    assert registered(aws, scope="leaderboard", hook_id="lb", top=3) == (200, {"success": True})
    assert registered(aws, scope="leaderboard", hook_id="lb10") == (200, {"success": True})
    stored = {h["hook_id"]: h for h in stored_hooks(aws)}
    assert stored["lb"]["top"] == 3 and stored["lb10"]["top"] == 10
    listed = hook_call(aws, "GET", "/hook", query="scope=leaderboard")[1]
    assert sorted((h["hook_id"], h["top"]) for h in listed["data"]["hooks"]) == [("lb", 3), ("lb10", 10)]

    for bad in ({"top": 0}, {"top": 1001}, {"scope": "user_reward", "top": 5}):
        status, body = registered(aws, **{"scope": "leaderboard", "hook_id": "bad", **bad})
        assert status == 400 and body["success"] is False and "top" in body["error"], body
    assert {h["hook_id"] for h in stored_hooks(aws)} == {"lb", "lb10"}
