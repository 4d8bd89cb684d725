"""Points expiry (issue 18 item 1): a campaign's `expiry` policy (`days` after each credit, or at the end of
its season), first in, first out against withdrawals, so that spending and expiry never count the same
points twice; the ledger names the credit that expired; `points.will_expire` and `points.expired` webhooks
(scope `user_reward`), once each; strict balances never below zero; a scheduled sweep bounded per run."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from questline.campaigns import ledger, points_expiry
from questline.campaigns.definition import Campaign, check_campaign
from questline.errors import BadRequest
from questline.storage import get_table, keys
from tests.unit.conftest import Aws
from tests.unit.test_claimr import ADMIN, P, balance, call, design, q
from tests.unit.test_levels import publish
from tests.unit.test_webhooks import queued, register_hook

DAY = 24 * 3600
START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC).timestamp()


def expiring(**policy: Any) -> dict[str, Any]:
    raw = design()
    raw["expiry"] = policy or {"days": 10, "warn_days": 3}
    return raw


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = START
        monkeypatch.setattr("questline.clock.now", lambda: self.now)

    def day(self, n: float) -> None:
        """Move to day `n` of the test (day 1 is START)."""
        self.now = START + (n - 1) * DAY


def sweep(aws: Aws) -> dict[str, Any]:
    answer = aws.invoke("StreamFunction", {"source": "aws.events", "detail-type": "Scheduled Event"})
    return dict(answer["points"])


def sweep_daily(aws: Aws, clock: Clock, until: int, *, start: int = 1) -> list[dict[str, Any]]:
    """Run the schedule once a day, at 14:00 (each run reads the hours that ended since the one before:
    a credit due at 12:00 is read by that day's run); the clock stays at the last run."""
    runs = []
    for day in range(start, until + 1):
        clock.day(day + 2 / 24)
        runs.append(sweep(aws))
    return runs


def reward(aws: Aws, account: str, entry_id: str, xp: int) -> None:
    body = {"account": account, "platform": "discord", "pid": P, "id": entry_id, "xp": xp}
    assert call(aws, "POST", "/user/reward", body=body) == (200, {"success": True})


def withdraw(aws: Aws, account: str, entry_id: str, xp: int, *, strict: bool = True) -> None:
    body = {"account": account, "platform": "discord", "pid": P, "id": entry_id, "xp": xp, "strict": strict}
    assert call(aws, "POST", "/user/withdraw", body=body) == (200, {"success": True})


def rewards_of(aws: Aws, account: str) -> list[dict[str, Any]]:
    status, body = call(aws, "GET", "/user/activity", query=q(account))
    assert status == 200, body
    return list(body["data"]["rewards"])


def stored(aws: Aws, kind: str) -> list[dict[str, Any]]:
    return [i for i in aws.table_items() if i["type"] == kind]


def expiries(aws: Aws) -> list[dict[str, Any]]:
    return [i for i in stored(aws, "ledger_entry") if i["kind"] == "expiry"]


def points_hooks(aws: Aws) -> list[tuple[str, dict[str, Any]]]:
    aws.pump_stream()
    return sorted(
        (m["payload"]["type"], m["payload"]["data"])
        for m in queued(aws)
        if m["payload"]["type"].startswith("points.")
    )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def live(aws: Aws, entity: dict[str, str], clock: Clock) -> Aws:
    publish(aws, expiring())
    register_hook(aws.values["ENTITY_ID"], "https://93.184.216.34/hook", scope="user_reward", hook_id="rw")
    assert sweep(aws)["read"] == 0  # the first run starts the cursor
    return aws


def test_credits_expire_n_days_after_they_are_earned_with_a_warning_before(live: Aws, clock: Clock) -> None:
    aws = live
    reward(aws, "ann", "r1", 10)
    (credit,) = [e for e in stored(aws, "ledger_entry") if e["entry_id"] == "r1"]
    assert (credit["lot_from"], credit["lot_to"]) == (0, 10)
    assert credit["expires_at"] == "2026-12-11T12:00:00.000Z"
    dues = sorted((d["kind"], d["due_at"]) for d in stored(aws, "points_due"))
    assert dues == [("expire", int((START + 10 * DAY) * 1000)), ("warn", int((START + 7 * DAY) * 1000))]

    runs = sweep_daily(aws, clock, 8)  # day 8: the warning's hour has ended
    assert [r["warned"] for r in runs] == [0] * 7 + [1] and balance(aws, "ann")["xp"] == 10
    runs = sweep_daily(aws, clock, 12, start=9)
    assert [r["expired"] for r in runs] == [0, 0, 1, 0]  # day 11: the expiry's hour has ended

    assert balance(aws, "ann") == {"xp": 0, "ref_xp": 0, "ugc_xp": 0}
    shown = {e["id"]: e for e in rewards_of(aws, "ann")}
    assert shown["r1"]["expires_at"] == "2026-12-11T12:00:00.000Z"
    entry = shown["expiry:r1"]
    assert (entry["kind"], entry["xp"], entry["bucket"], entry["expires"]) == ("expiry", -10, "xp", "r1")
    info = call(aws, "GET", "/campaign/info", query=f"pid={P}")[1]["data"]
    assert info["expiry"] == {"days": 10, "warn_days": 3}
    (expired,) = expiries(aws)
    assert expired["expires"] == "r1" and expired["expired_xp"] == 10 and expired["credited_xp"] == 10
    assert expired["PK"] == keys.ledger_expiry(aws.values["ENTITY_ID"], P, "r1")["PK"]
    hooks = points_hooks(aws)
    assert [t for t, _ in hooks] == ["points.expired", "points.will_expire"]
    expired_hook, warning = hooks[0][1], hooks[1][1]
    assert (warning["entry_id"], warning["xp"], warning["expires_at"]) == (
        "r1",
        10,
        "2026-12-11T12:00:00.000Z",
    )
    assert (expired_hook["expires"], expired_hook["xp"], expired_hook["expired_xp"]) == ("r1", -10, 10)
    assert expired_hook["expires_at"] == "2026-12-11T12:00:00.000Z" and expired_hook["account"] == "ann"
    assert warning["account"] == "ann" and warning["platform"] == "discord"


def test_withdrawals_take_the_oldest_credits_first_and_expiry_takes_only_what_is_left(
    live: Aws, clock: Clock
) -> None:
    aws = live
    reward(aws, "ann", "r1", 10)  # day 1: expires day 11
    sweep_daily(aws, clock, 5)
    reward(aws, "ann", "r5", 10)  # day 5 (14:00): expires day 15 (warned day 12)
    withdraw(aws, "ann", "w1", 15)  # all of r1, 5 of r5

    runs = sweep_daily(aws, clock, 16, start=6)

    assert sum(r["warned"] for r in runs) == 1 and sum(r["expired"] for r in runs) == 1
    assert balance(aws, "ann")["xp"] == 0  # 20 - 15 - 5, never below zero
    (expired,) = expiries(aws)  # r1: nothing left, so no entry; r5: the 5 not spent
    assert (expired["expires"], expired["xp"], expired["expired_xp"]) == ("r5", -5, 5)
    hooks = points_hooks(aws)
    assert [(t, d.get("expires") or d["entry_id"], d.get("expired_xp", d["xp"])) for t, d in hooks] == [
        ("points.expired", "r5", 5),
        ("points.will_expire", "r5", 5),
    ]
    held = get_table().get(keys.balance(aws.values["ENTITY_ID"], P, str(expired["identity_id"])))
    assert held is not None and (held["lots_in"], held["lots_out"]) == (20, 20)


def test_spending_beyond_the_expiring_credits_uses_up_no_later_credit_and_expiry_stops_at_zero(
    live: Aws, clock: Clock
) -> None:
    aws = live
    reward(aws, "ann", "r1", 10)
    withdraw(aws, "ann", "w1", 30, strict=False)  # 20 more than there is (not strict): -20
    sweep_daily(aws, clock, 3)
    reward(aws, "ann", "r3", 25)  # its lot starts where the spending ended: all of it expires
    (later,) = [e for e in stored(aws, "ledger_entry") if e["entry_id"] == "r3"]
    assert (later["lot_from"], later["lot_to"]) == (30, 55)

    sweep_daily(aws, clock, 14, start=4)

    assert [(e["expires"], e["expired_xp"]) for e in expiries(aws)] == [("r3", 5)]  # the balance held 5
    assert balance(aws, "ann")["xp"] == 0


def test_a_sweep_run_again_changes_nothing(live: Aws, clock: Clock) -> None:
    aws = live
    reward(aws, "ann", "r1", 10)
    sweep_daily(aws, clock, 12)
    aws.pump_stream()
    before = [i for i in aws.table_items() if i["type"] != "points_sweep"]
    messages = len(queued(aws))

    cursor = {**keys.points_sweep_cursor(), "type": "points_sweep", "hour": "2026-12-08T00", "shard": 0}
    get_table().put(cursor)  # the cursor set back: the same hours are read again
    runs = [sweep(aws) for _ in range(4)]
    aws.pump_stream()

    assert sum(r["read"] for r in runs) == 2  # the warning's and the expiry's due items
    assert sum(r["expired"] + r["warned"] for r in runs) == 0
    assert [i for i in aws.table_items() if i["type"] != "points_sweep"] == before
    assert len(queued(aws)) == messages
    assert [d.get("expires") or d["entry_id"] for _, d in points_hooks(aws)] == ["r1", "r1"]


def test_a_withdrawal_between_the_sweeps_read_and_write_makes_it_read_again(
    live: Aws, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = live
    reward(aws, "ann", "r1", 10)
    sweep_daily(aws, clock, 10)
    read = points_expiry._read
    calls: list[int] = []

    def racing(item: Any) -> Any:
        found = read(item)
        if not calls and item["kind"] == "expire":
            identity_id = str(item["identity_id"])
            spend = ledger.Entry("w-race", identity_id, "xp", -7, "withdraw")
            ledger.change(aws.values["ENTITY_ID"], P, spend, strict=True, spends_lots=True)
        calls.append(1)
        return found

    monkeypatch.setattr(points_expiry, "_read", racing)
    clock.day(11 + 2 / 24)
    assert sweep(aws)["expired"] == 1

    assert balance(aws, "ann")["xp"] == 0  # 10 - 7 - 3: the expiry took only what was left
    assert [(e["expires"], e["expired_xp"]) for e in expiries(aws)] == [("r1", 3)]
    assert len(calls) == 2


def test_each_run_reads_at_most_a_page(live: Aws, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    aws = live
    publish(aws, expiring(days=2))
    for account in ("ann", "bob", "cat"):
        reward(aws, account, f"r-{account}", 10)
    sweep_daily(aws, clock, 2)
    monkeypatch.setattr(points_expiry, "MAX_ITEMS", 1)
    clock.day(3.5)

    runs = [sweep(aws) for _ in range(4)]

    assert [(r["read"], r["expired"]) for r in runs] == [(1, 1), (1, 1), (1, 1), (0, 0)]
    assert sorted(e["expires"] for e in expiries(aws)) == ["r-ann", "r-bob", "r-cat"]


def test_completions_are_lots_and_their_expiry_leaves_the_tasks_xp(live: Aws, clock: Clock) -> None:
    aws = live
    body = {"account": "ann", "platform": "discord", "pid": P, "cid": P, "aid": "daily_login", "value": 1}
    assert call(aws, "POST", "/action/value", body=body)[0] == 200
    reward(aws, "ann", "r1", 5)
    entries = {e["kind"]: e for e in stored(aws, "ledger_entry")}
    assert (entries["completion"]["lot_from"], entries["completion"]["lot_to"]) == (0, 50)
    assert (entries["reward"]["lot_from"], entries["reward"]["lot_to"]) == (50, 55)

    sweep_daily(aws, clock, 12)

    assert balance(aws, "ann")["xp"] == 0
    assert sorted((e["expired_kind"], e["expired_xp"]) for e in expiries(aws)) == [
        ("completion", 50),
        ("reward", 5),
    ]
    held = get_table().get(keys.balance(aws.values["ENTITY_ID"], P, str(entries["reward"]["identity_id"])))
    assert held is not None and int(held["task#daily_login"]) == 0


def test_season_ends_expire_what_each_season_earned(live: Aws, clock: Clock) -> None:
    aws = live
    first_end, second_end = int(START + 3 * DAY), int(START + 6 * DAY)
    publish(aws, expiring(season_ends=[first_end, second_end]))
    reward(aws, "ann", "s1", 10)
    sweep_daily(aws, clock, 5)
    reward(aws, "ann", "s2", 20)
    sweep_daily(aws, clock, 8, start=6)
    reward(aws, "ann", "after", 40)  # after the last season's end: never expires

    credits = {e["entry_id"]: e for e in stored(aws, "ledger_entry")}
    assert credits["s1"]["expires_at"] == "2026-12-04T12:00:00.000Z"
    assert credits["s2"]["expires_at"] == "2026-12-07T12:00:00.000Z"
    assert "lot_from" not in credits["after"]
    sweep_daily(aws, clock, 9, start=9)

    assert sorted((e["expires"], e["expired_xp"]) for e in expiries(aws)) == [("s1", 10), ("s2", 20)]
    assert balance(aws, "ann")["xp"] == 40


def test_a_campaign_without_expiry_keeps_its_balances_as_before(aws: Aws, entity: dict[str, str]) -> None:
    assert aws.call(ADMIN, "campaign_admin_put")[0] == 200
    assert aws.call(ADMIN, "campaign_admin_publish")[0] == 200
    reward(aws, "ann", "r1", 10)
    withdraw(aws, "ann", "w1", 5)

    (held,) = stored(aws, "balance")
    assert "lots_in" not in held and "lots_out" not in held
    assert stored(aws, "points_due") == [] and "lot_from" not in stored(aws, "ledger_entry")[0]


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ({"days": 5, "season_ends": [2_000_000_000]}, "expiry"),
        ({}, "expiry"),
        ({"days": 5, "warn_days": 5}, "expiry.warn_days"),
        ({"season_ends": [2_000_000_000, 1_900_000_000]}, "expiry.season_ends.1"),
    ],
)
def test_a_policy_that_cannot_work_is_refused(policy: dict[str, Any], field: str) -> None:
    raw = design()
    raw["expiry"] = policy
    with pytest.raises(BadRequest) as refused:
        check_campaign(Campaign.model_validate(raw), P)
    assert refused.value.field == field


def test_the_management_api_refuses_a_bad_policy_and_writes_nothing(aws: Aws, entity: dict[str, str]) -> None:
    entity_id = aws.values["ENTITY_ID"]
    before = aws.table_items()
    raw = design()
    raw["expiry"] = {"days": 0}
    path = f"/api/entities/{entity_id}/campaigns/{P}"
    status, body = call(
        aws, "PUT", "/api/entities/{entityId}/campaigns/{pid}", path=path,
        params={"entityId": entity_id, "pid": P}, body=raw,
    )  # fmt: skip
    assert status == 400, body
    assert "expiry" in body["error"]
    assert aws.table_items() == before


def test_an_erasure_takes_the_persons_due_items_and_notices_with_their_credits(
    live: Aws, clock: Clock
) -> None:
    from tests.unit.test_erasure import hp, pump_erasures

    aws = live
    reward(aws, "ann", "r1", 10)
    reward(aws, "bob", "r2", 10)
    sweep_daily(aws, clock, 8)  # ann's and bob's warnings
    (ann,) = [e["identity_id"] for e in stored(aws, "ledger_entry") if e["entry_id"] == "r1"]
    assert len(stored(aws, "points_notice")) == 2 and len(stored(aws, "points_due")) == 4

    status, _ = hp(aws, "DELETE", str(ann))
    assert status == 202
    pump_erasures(aws)

    assert [i for i in aws.table_items() if i["type"].startswith("points_") and ann in str(i)] == []
    assert len(stored(aws, "points_notice")) == 1 and len(stored(aws, "points_due")) == 2  # bob's
    sweep_daily(aws, clock, 12, start=9)
    assert [e["expires"] for e in expiries(aws)] == ["r2"]


def test_a_reward_racing_a_withdrawal_takes_its_place_after_it(
    live: Aws, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = live
    reward(aws, "ann", "r1", 10)
    read = ledger.balance_item
    calls: list[int] = []

    def racing(entity_id: str, pid: str, identity_id: str) -> dict[str, Any]:
        held = read(entity_id, pid, identity_id)
        if not calls:  # a withdrawal lands between the reward's read and its write
            spend = ledger.Entry("w-race", identity_id, "xp", -10, "withdraw")
            ledger.change(entity_id, pid, spend, strict=True, spends_lots=True)
        calls.append(1)
        return held

    monkeypatch.setattr(ledger, "balance_item", racing)
    reward(aws, "ann", "r2", 10)
    monkeypatch.setattr(ledger, "balance_item", read)

    assert len(calls) == 2  # read again
    (credit,) = [e for e in stored(aws, "ledger_entry") if e["entry_id"] == "r2"]
    assert (credit["lot_from"], credit["lot_to"]) == (10, 20)
    sweep_daily(aws, clock, 12)
    assert [(e["expires"], e["expired_xp"]) for e in expiries(aws)] == [("r2", 10)]
    assert balance(aws, "ann")["xp"] == 0


def test_a_preview_reward_never_expires(live: Aws) -> None:
    aws = live
    body = {"account": "ann", "platform": "discord", "pid": P, "id": "r1", "xp": 10, "env": "dev"}
    assert call(aws, "POST", "/user/reward", body=body) == (200, {"success": True})

    assert stored(aws, "points_due") == []
    assert all("lot_from" not in e for e in stored(aws, "ledger_entry"))
