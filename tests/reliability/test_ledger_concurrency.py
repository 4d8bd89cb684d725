"""The XP ledger and the task engine under real concurrency on DynamoDB Local (the issue's numbers)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from questline.campaigns import ledger, store, tasks
from questline.campaigns.definition import Campaign, check_campaign
from questline.campaigns.ledger import Entry
from questline.errors import Retryable, RuleViolation
from questline.events.logs import LogInput, log_item

E, P, WHO = "e-" + "5" * 32, "campaign_rel", "01a00000-0000-7000-8000-00000000c0de"


def test_sixty_four_strict_withdrawals_of_ten_from_three_hundred(table_env: str) -> None:
    ledger.change(E, P, Entry("seed", WHO, "xp", 300, "reward"))

    def withdraw(n: int) -> str:
        try:
            ledger.change(E, P, Entry(f"w{n}", WHO, "xp", -10, "withdraw"), strict=True)
            return "ok"
        except RuleViolation:
            return "insufficient"
        except Retryable:
            return "busy"

    with ThreadPoolExecutor(max_workers=64) as pool:
        results = list(pool.map(withdraw, range(64)))

    assert results.count("ok") == 30 and results.count("insufficient") == 34, results
    assert ledger.balance_of(E, P, WHO, consistent=True)["xp"] == 0


def test_fifty_concurrent_rewards_with_one_id_credit_once(table_env: str) -> None:
    def reward(_: int) -> bool:
        return ledger.change(E, P, Entry("the-one", WHO, "xp", 25, "reward"))

    with ThreadPoolExecutor(max_workers=50) as pool:
        applied = list(pool.map(reward, range(50)))

    assert applied.count(True) == 1
    assert ledger.balance_of(E, P, WHO, consistent=True)["xp"] == 25


@pytest.fixture
def campaign(table_env: str) -> Campaign:
    definition = check_campaign(
        Campaign.model_validate(
            {
                "name": "Reliability",
                "actions": [
                    {
                        "id": "ten_wins",
                        "name": "Win 10",
                        "type": "events_count",
                        "recurrence": "once",
                        "xp": 100,
                        "meta": {"event": {"name": "win"}, "target": 10},
                    }
                ],
            }
        ),
        P,
    )
    store.save_draft(E, P, definition)
    store.publish(E, P)
    return definition


def test_thirty_concurrent_events_complete_a_target_of_ten_once(campaign: Campaign) -> None:
    from questline.identity.graph import new_identity_item
    from questline.storage import get_table

    get_table().put(new_identity_item(E, WHO))
    logs = [log_item(E, WHO, LogInput("claimr", "win", "win", {})) for _ in range(30)]

    with ThreadPoolExecutor(max_workers=30) as pool:
        earned = list(pool.map(tasks.on_event_log, logs))

    assert sum(earned) == 1
    assert ledger.balance_of(E, P, WHO, consistent=True)["xp"] == 100
    with ThreadPoolExecutor(max_workers=30) as pool:  # the same logs again, as a replayed stream would
        assert sum(pool.map(tasks.on_event_log, logs)) == 0
    assert ledger.balance_of(E, P, WHO, consistent=True)["xp"] == 100
