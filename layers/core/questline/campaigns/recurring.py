"""Recurring leaderboards (decision 10): boards that start again every local day, ISO week or month in the
campaign's timezone, and one per season, beside the all-time board.

A board is named by its id: `day#2026-12-04`, `week#2026-W49`, `month#2026-12` (the period's key in the
campaign's timezone, `campaigns.localtime`) or `season#0` (the season's index, as `/user/progress` counts
it). A recurring board scores what a participant earned while it was current: the board's score minus the
score the participant had when the period began (its *base*). The projection item keeps, per kind of
board, the id of the board the participant last stood on, the base and the entry's listing key, so a
change moves the participant on each board the campaign keeps in the same transaction as the all-time
board, and the previous periods' entries stay as they finished.

A season is a stretch of points, not of dates: a change counts on the board of the season the balance's
total is in after it (the change that crosses into the next season counts there), and a participant never
goes back to an earlier season's board.

A recurring board ranks by score alone (ties share a rank, listed in the order they reached it): its count
tree has the score's 5 levels, which the changes of a stream batch mostly share, so it adds about one item
(the participant's entry) to a change, not a second all-time tree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from questline import clock
from questline.campaigns import localtime, store
from questline.campaigns.definition import Campaign
from questline.errors import BadRequest, NotFound
from questline.storage.keys import ALL_TIME_BOARD

PERIODS = {"daily": "day", "weekly": "week", "monthly": "month"}  # the campaign's names -> board kinds
SEASON = "season"
RANK_DIGITS = 10  # a recurring board's rank key: the score's digits of the listing key


class Rules(NamedTuple):
    """What the stream needs of a campaign to keep its boards."""

    tasks: Sequence[str] = ()
    kinds: Sequence[str] = ()  # "day", "week", "month", "season"
    seasons: Sequence[int] = ()  # each season's max_xp, when the campaign keeps season boards
    tz: ZoneInfo = ZoneInfo("UTC")
    max_entries: int = 150


def rules_of_campaign(campaign: Campaign) -> Rules:
    rules = campaign.leaderboard
    kinds = [PERIODS[p] for p in rules.periods]
    caps = [s.max_xp for s in campaign.seasons] if rules.seasons else []
    if caps:
        kinds.append(SEASON)
    return Rules(rules.tasks, tuple(kinds), tuple(caps), localtime.zone(campaign.timezone), rules.max_entries)


def rules_of(entity_id: str, pid: str) -> Rules:
    """The campaign's board rules (a campaign tried only as a draft, `env=dev`, by its draft; none known:
    the all-time board of every change)."""
    for draft in (False, True):
        try:
            return rules_of_campaign(store.load(entity_id, pid, draft=draft).campaign)
        except NotFound:
            continue
    return Rules()


def season_index(total: int, caps: Sequence[int]) -> int:
    """The season a balance's total is in (the last one has no end), as `claimr.season_of` counts it."""
    remaining = total
    for index, cap in enumerate(caps):
        if remaining < cap or index == len(caps) - 1:
            return index
        remaining -= cap
    return 0


def _order(kind: str, period: str) -> Any:
    return int(period) if kind == SEASON else period


def period_of(kind: str, at_ms: int, total: int, rules: Rules) -> str:
    if kind == SEASON:
        return str(season_index(total, rules.seasons))
    return localtime.period_key(kind, at_ms / 1000, rules.tz)


def board_id(kind: str, period: str) -> str:
    return f"{kind}#{period}"


def rank_key(listing_key: str | None) -> str | None:
    """What a board's listing key ranks by, on every board: the score's digits (a participant ranks after
    those with a higher score, beside those with the same)."""
    return listing_key[:RANK_DIGITS] if listing_key else None


class Move(NamedTuple):
    """A participant's entry on one recurring board: from the listing key it had to the one it takes
    (either None: off that board), with its score there."""

    board: str
    old: str | None
    new: str | None
    score: int


def advance(
    periods: Mapping[str, Any] | None,
    old_score: int,
    new_score: int,
    total: int,
    at_ms: int,
    merged: bool,
    rules: Rules,
    board_key: Any,
) -> tuple[dict[str, Any], list[Move]]:
    """The per-kind state (`{kind: {"id", "base", "key"}}`) after one counted change of the board's score
    from `old_score` to `new_score`, and the entries it moves. `board_key(score, reached_ms)` is the
    leaderboard's key function."""
    state = {kind: dict(value) for kind, value in (periods or {}).items()}
    moves: list[Move] = []
    for kind in rules.kinds:
        mine = state.get(kind)
        period = period_of(kind, at_ms, total, rules)
        if mine is not None and _order(kind, str(mine["id"])) >= _order(kind, period):
            period = str(mine["id"])  # never back to an earlier period (a late timestamp, a lower total)
        if mine is None or str(mine["id"]) != period:
            if merged:
                continue  # a merged participant joins no new board
            mine = {"id": period, "base": old_score, "key": None}
        base, old_key = int(mine["base"]), mine.get("key")
        if merged:
            new_key = None
        elif old_key is not None and _score_of(old_key) == new_score - base:
            new_key = old_key  # the same score there: the entry keeps the moment it reached it
        else:
            new_key = board_key(new_score - base, at_ms)
        state[kind] = {"id": period, "base": base, "key": new_key}
        if new_key != old_key:
            moves.append(Move(board_id(kind, period), old_key, new_key, max(new_score - base, 0)))
    return state, moves


def _score_of(listing_key: str) -> int:
    return int("9" * RANK_DIGITS) - int(listing_key[:RANK_DIGITS])  # the key holds the score's complement


# --- reads ------------------------------------------------------------------------------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def board_of(campaign: Campaign, period: str | None, at: str | None, season: int | None) -> str:
    """The board `GET /leaderboard` reads: the all-time board by default; `period` (daily, weekly,
    monthly) the current one in the campaign's timezone, or the one holding the local date `at`;
    `season` the season's board (its index, from 0)."""
    rules = rules_of_campaign(campaign)
    if period is not None and season is not None:
        raise BadRequest("season: ask for a period or a season, not both", field="season")
    if at is not None and period is None:
        raise BadRequest("at: names a day of a period; give the period too", field="at")
    if season is not None:
        if SEASON not in rules.kinds:
            raise BadRequest("season: this campaign keeps no season leaderboards", field="season")
        if not 0 <= season < len(rules.seasons):
            raise BadRequest(
                f"season: the campaign's seasons are 0 to {len(rules.seasons) - 1}", field="season"
            )
        return board_id(SEASON, str(season))
    if period is None:
        return ALL_TIME_BOARD
    kind = PERIODS.get(period)
    if kind is None or kind not in rules.kinds:
        raise BadRequest(f"period: this campaign keeps no {period} leaderboard", field="period")
    if at is None:
        return board_id(kind, period_of(kind, int(clock.now() * 1000), 0, rules))
    try:
        day = date.fromisoformat(at) if _DATE.match(at) else None
    except ValueError:
        day = None
    if day is None:
        raise BadRequest("at: a local date, YYYY-MM-DD", field="at")
    return board_id(kind, localtime.key_of_date(kind, day))
