"""Event-driven tasks: every event log, from any surface, against the entity's published campaigns (an
event sent with `env=dev` against its campaign's preview only).

This runs from the table's stream, not in the request that ingested the event: ingestion stays one write
and fast, a failure is retried by the stream (and bisected, and finally parked on the on-failure queue)
instead of being lost with a request, and applying the same log twice changes nothing (the participant
state remembers the logs it applied, and every completion is a conditional write).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from questline import clock
from questline.campaigns import engine, participants, store
from questline.campaigns.definition import Campaign
from questline.campaigns.preview import is_preview
from questline.errors import NotFound
from questline.identity.graph import read_identity


def _interested(campaign: Campaign, name: str, category: str | None) -> bool:
    for action in campaign.actions:
        wanted = action.event if action.type in ("events_count", "events_value") else None
        if (
            wanted is not None
            and wanted.name == name
            and (wanted.category is None or wanted.category == category)
        ):
            return True
    wanted_by_others = [m for streak in campaign.streaks for m in streak.events] + [
        condition.event
        for achievement in campaign.achievements
        for _, condition in engine.conditions_of(achievement.rule)
        if condition.event is not None
    ]
    return any(m.name == name and (m.category is None or m.category == category) for m in wanted_by_others)


def _campaigns_for(entity_id: str, log: Mapping[str, Any]) -> list[tuple[str, Campaign]]:
    """(storage campaign id, definition) of every campaign the log may move: a claimr event names its
    campaign; an event sent with `env=dev` moves only that campaign's preview (by its draft); any other
    log is matched against every published campaign."""
    pid = log.get("pid")
    if is_preview(pid):
        scope = store.scope_of(entity_id, str(pid))  # None once a publish restarted the preview
        return [(scope.storage_pid, scope.campaign)] if scope is not None else []
    published = store.published(entity_id)
    return [(p, c) for p, c in published if not pid or p == pid]


def on_event_log(log: Mapping[str, Any]) -> int:
    """Apply one event log; returns the number of completions it earned."""
    entity_id = str(log["entity_id"])
    name, category = str(log.get("name") or ""), log.get("category")
    campaigns = [(pid, c) for pid, c in _campaigns_for(entity_id, log) if _interested(c, name, category)]
    if not campaigns:
        return 0
    try:
        identity_id = str(read_identity(entity_id, str(log["identity_id"]))["identity_id"])  # the survivor
    except NotFound:
        return 0  # a log that landed while its person was being erased earns nothing (the erase sweeps it)
    facts = engine.EventFacts(str(log["log_id"]), name, category, dict(log.get("data") or {}))
    now = clock.now()
    earned = 0
    for pid, campaign in campaigns:

        def compute(state: dict[str, Any], campaign: Campaign = campaign) -> engine.Outcome:
            return engine.apply_event(campaign, state, facts, now)

        earned += len(participants.run(entity_id, pid, identity_id, campaign, compute).completions)
    return earned
