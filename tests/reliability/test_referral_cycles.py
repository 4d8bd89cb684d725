"""Referral cycles under real concurrency (DynamoDB Local): with y referred by x, `z→y` (z referred by y) and
`x→z` (x referred by z) sent at the same moment must never both succeed, which would close x→z→y→x.
Sequentially the second is a 422; concurrently the invariant holds inside the write (the referrer chain
the request read is part of its transaction), trial after trial."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from questline.campaigns import claimr, store
from questline.campaigns.definition import Campaign, check_campaign
from questline.errors import Retryable, RuleViolation
from questline.storage import get_table, keys

E, P = "e-" + "6" * 32, "campaign_refs"
TRIALS = 30


@pytest.fixture
def campaign(table_env: str) -> None:
    definition = Campaign.model_validate(
        {
            "name": "Referrals",
            "actions": [{"id": "hello", "name": "Hello", "type": "api_call", "recurrence": "once", "xp": 1}],
        }
    )
    store.save_draft(E, P, check_campaign(definition, P))
    store.publish(E, P)


def _refer(account: str, referrer: str) -> str:
    try:
        claimr.set_referrer(E, P, account, "discord", referrer, "discord", None)
    except RuleViolation as refused:
        return refused.code
    except Retryable:
        return "busy"
    return "ok"


def _chain_returns(start: str) -> bool:
    """Whether following referrers from `start` (read consistently) comes back to it."""
    table = get_table()
    identity = claimr.find_user(E, start, "discord", create=False).identity_id
    current, seen = identity, set()
    while current not in seen:
        seen.add(current)
        state = table.get(keys.participant(E, P, current), consistent=True) or {}
        if not state.get("referrer"):
            return False
        current = str(state["referrer"])
    return current == identity


def test_concurrent_referrals_never_close_a_cycle(campaign: None) -> None:
    cycles, both = [], []
    for trial in range(TRIALS):
        x, y, z = f"x{trial}", f"y{trial}", f"z{trial}"
        for account in (x, z):
            claimr.find_user(E, account, "discord", create=True)
        assert _refer(y, x) == "ok"
        start = threading.Barrier(2)

        def at_once(pair: tuple[str, str], start: threading.Barrier = start) -> str:
            start.wait()
            return _refer(*pair)

        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = list(pool.map(at_once, [(z, y), (x, z)]))

        if _chain_returns(x):
            cycles.append((trial, outcomes))
        if outcomes == ["ok", "ok"]:
            both.append(trial)
        assert "ok" in outcomes or "busy" in outcomes, outcomes
        assert set(outcomes) <= {"ok", "referral_cycle", "busy"}, outcomes

    assert cycles == [] and both == [], (cycles, both)


def test_sequentially_the_second_is_refused(campaign: None) -> None:
    claimr.find_user(E, "x", "discord", create=True)
    assert _refer("y", "x") == "ok"
    assert _refer("z", "y") == "ok"
    assert _refer("x", "z") == "referral_cycle"
    assert not _chain_returns("x")
