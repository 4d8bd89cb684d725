"""The claimr widget in a real browser with no network: Debian's headless Chromium, driven by chromedriver
and Selenium, and the seeded local stack run together inside a network namespace that has loopback only
(a browser probes DNS and update hosts on its own; nothing of this test may leave the machine, and nothing
can). `widget_browser.py` drives the preview page and an integrator's page of another origin that embeds
the script; this test asserts what a person saw there. Screenshots are kept under
.questline/artifacts/widget-browser/ (the path is printed), and axe-core (npm) checks the pages."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.integration.cli_stack import ROOT

HELPER = ROOT / "tests" / "integration" / "widget_browser.py"
ARTIFACTS = ROOT / ".questline" / "artifacts" / "widget-browser"
AXE = ROOT / ".questline" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def _page_errors(entries: list[dict[str, Any]]) -> list[str]:
    """The console's errors, but for the favicon a browser asks every origin for (neither page has one)."""
    return [str(e["message"]) for e in entries if "/favicon.ico" not in str(e["message"])]


def _blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v.get("impact") in BLOCKING]


@pytest.fixture(scope="module")
def seen() -> dict[str, Any]:
    if not AXE.exists():  # `make test` installs it first; a single-file run installs it here
        subprocess.run(["make", "-s", "widget-test-deps"], cwd=ROOT, check=True, timeout=300)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(
        [
            "unshare",
            "--net",
            "sh",
            "-c",
            f'ip link set lo up && exec "{sys.executable}" "{HELPER}" "{ARTIFACTS}" "{AXE}"',
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    answer: dict[str, Any] = json.loads(run.stdout)
    print(f"widget screenshots: {ARTIFACTS}", *answer["screenshots"], sep="\n  ")
    return answer


def test_the_preview_page_shows_the_seeded_campaign_and_why_an_action_is_locked(seen: dict[str, Any]) -> None:
    assert seen["title"] == "Summer Gaming Challenge"  # the seeded campaign, by name (its season route)
    assert seen["actions"][:3] == ["daily_login", "score_update", "bring_friends"]  # the quest's, first
    assert set(seen["actions"]) == {
        "daily_login", "score_update", "bring_friends", "three_levels", "big_spender", "score_stream"
    }  # fmt: skip
    assert seen["locked_reason"] == "Locked: complete Daily Login first"
    assert _page_errors(seen["console"]) == []  # nothing refused by the page's CSP, no script error


def test_a_reward_made_through_the_api_appears_without_a_reload(seen: dict[str, Any]) -> None:
    assert (seen["total_before"], seen["total_after"]) == ("60", "100")
    assert seen["not_reloaded"] is True
    assert seen["reward_seen_after_s"] < 15  # polled every 2 s here
    assert seen["rank"] == "Rank 2 of 3"
    assert [row.split("\n") for row in seen["board"]] == [
        ["#1", "widget_neighbour_above", "200 XP"],
        ["#2", "widget_person (you)", "100 XP"],
        ["#3", "widget_neighbour_below", "10 XP"],
    ]


def test_the_referral_link_copies_by_keyboard_and_invite_codes_go_to_the_page(seen: dict[str, Any]) -> None:
    assert seen["tab_order"][-1] == "ql-copy"  # Tab reaches the copy button
    assert seen["copy_status"] == "Link copied"
    assert seen["clipboard"] == seen["link"]
    assert "?ref=" in seen["link"] and "user_token" not in seen["link"] and "wt_" not in seen["link"]
    assert seen["invite_status"] == "This page does not accept invite codes"  # the preview has no server


def test_no_serious_accessibility_violation_and_nothing_wider_than_320_px(seen: dict[str, Any]) -> None:
    assert _blocking(seen["axe"]) == [], seen["axe"]
    assert _blocking(seen["axe_320"]) == [], seen["axe_320"]
    assert _blocking(seen["embedded"]["axe"]) == [], seen["embedded"]["axe"]
    document_width, viewport_width, widget_width = seen["overflow_320"]
    assert document_width <= viewport_width and widget_width <= viewport_width


def test_the_page_chooses_spanish_and_env_dev_previews_the_draft(seen: dict[str, Any]) -> None:
    assert seen["es"] == {
        "balance": "Tus puntos",
        "quests": "Misiones",
        "locked_reason": "Bloqueada: completa antes Daily Login",
        "lang": "es",
    }
    assert seen["dev"]["preview"] == "Preview of the draft campaign: nothing here is live"
    assert seen["dev"]["total"] == "0"  # the draft's own state, not the person's live 100


def test_the_embed_script_on_another_origin_mounts_isolated_updates_and_hands_over_invite_codes(
    seen: dict[str, Any],
) -> None:
    embedded = seen["embedded"]
    assert embedded["mounted_before_script"] == "questline-widget"  # where the tag stands
    assert embedded["total_display"] == "block"  # the host's `.ql-total { display: none }` stays out
    assert embedded["heading_color"] == "rgb(17, 24, 39)"  # and so does its `h3 { color }`
    assert (
        embedded["outside_color"] == "rgb(153, 0, 0)" and embedded["outside_border"] == "none"
    )  # no leak out
    assert embedded["link"].startswith("https://game.example/join?code=")  # data-ref-url's template
    assert embedded["total_change"] == ["100", "105"]  # polled across origins (CORS, ETag exposed)
    assert embedded["invite_status"] == "Code sent" and embedded["code_received"] == "FRIEND-42"
    assert _page_errors(embedded["console"]) == []  # under the host page's own strict CSP


def test_screenshots_are_kept(seen: dict[str, Any]) -> None:
    shots = [*seen["screenshots"], *seen["embedded"]["screenshots"]]
    assert len(shots) == 6
    for shot in shots:
        with open(shot, "rb") as image:
            assert image.read(8) == b"\x89PNG\r\n\x1a\n"
