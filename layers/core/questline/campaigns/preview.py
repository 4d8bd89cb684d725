"""Previews (`env=dev`): a draft campaign tried out without touching anything live.

A preview keeps its participants' state (progress, balances, ledger entries, completions, referrals, ref
ids, event logs sent with `env=dev`) under its own storage campaign id, `{pid}~preview{generation}`: the
task engine, the ledger and referrals run on it unchanged, and live data is never addressed. `~` is not
allowed in a client's pid, so no campaign can name a preview's partition. Publishing the draft counts its
`preview_generation` up, so every publish starts the preview afresh; every preview item carries a `ttl`
(`PREVIEW_TTL_SECONDS` after its last write), so old previews leave the table by themselves.

What the table's stream does with an item depends on this id too: preview items feed no leaderboard and no
campaign statistics, fire no webhook and count no monthly active user (`questline.stream`).
"""

from __future__ import annotations

from typing import Any

from questline import clock

MARK = "~preview"
PREVIEW_TTL_SECONDS = 30 * 24 * 3600


def storage_pid(pid: str, generation: int) -> str:
    return f"{pid}{MARK}{generation}"


def is_preview(storage_pid: object) -> bool:
    """Whether an item's `pid` is a preview's storage campaign id."""
    return isinstance(storage_pid, str) and MARK in storage_pid


def campaign_pid(storage_pid: str) -> tuple[str, int | None]:
    """The campaign a storage campaign id belongs to, and its preview generation (None when live)."""
    pid, mark, generation = storage_pid.partition(MARK)
    return pid, int(generation) if mark and generation.isdigit() else None


def expiry(storage_pid: str) -> dict[str, Any]:
    """The `ttl` every item written under a preview carries (nothing for live data)."""
    return {"ttl": int(clock.now()) + PREVIEW_TTL_SECONDS} if is_preview(storage_pid) else {}
