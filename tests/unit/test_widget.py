"""The claimr widget as the platform function serves it (`/widget.js`, `/widget.css`, `/widget`), and what
it reads with a person's widget token: ETags on the polled answers (304 when nothing changed), why an
action is locked, the season. The script's theme sanitiser runs under Node, as the browser runs it."""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support import api_event
from tests.unit.conftest import Aws
from tests.unit.test_claimr import USERS, P, call, design, live_campaign

__all__ = ["live_campaign"]  # the fixture these tests use
from tests.unit.test_platform_function import _event

WIDGET = Path(__file__).resolve().parents[2] / "functions" / "platform" / "widget"
BUDGET_BYTES = 50 * 1024  # JS + CSS, gzipped, as a browser receives them


def _served(aws: Aws, path: str, query: str = "", **headers: str) -> dict[str, Any]:
    event: dict[str, Any] = _event(path)
    event["headers"] = {**event.get("headers", {}), **headers}
    if query:
        event["rawQueryString"] = query
        event["queryStringParameters"] = dict(part.split("=", 1) for part in query.split("&"))
    return aws.invoke("PlatformFunction", event)  # type: ignore[no-any-return]


def _headers(response: dict[str, Any]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (response.get("headers") or {}).items()}


def test_the_script_and_stylesheet_weigh_at_most_50_kb_gzipped_as_served(aws: Aws) -> None:
    weights = {}
    for path, kind in (("/widget.js", "text/javascript"), ("/widget.css", "text/css")):
        response = _served(aws, path, **{"accept-encoding": "gzip"})
        assert response["statusCode"] == 200
        headers = _headers(response)
        assert headers["content-type"].startswith(kind)
        assert headers["content-encoding"] == "gzip" and response["isBase64Encoded"] is True
        served = base64.b64decode(response["body"])
        assert gzip.decompress(served).decode() == (WIDGET / path.lstrip("/")).read_text(encoding="utf-8")
        weights[path] = len(served)
    print(f"widget weight, gzipped as served: {weights} = {sum(weights.values())} bytes")
    assert sum(weights.values()) <= BUDGET_BYTES


def test_the_preview_page_has_a_strict_content_security_policy_and_sends_no_referer(aws: Aws) -> None:
    response = _served(aws, "/widget", "pid=campaign_abc123&user_token=wt_x")

    assert response["statusCode"] == 200
    headers = _headers(response)
    assert headers["content-type"].startswith("text/html")
    policy = dict(
        (part.split()[0], part.split()[1:]) for part in headers["content-security-policy"].split("; ")
    )
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == policy["style-src"] == policy["connect-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "https:"]
    assert policy["frame-ancestors"] == policy["base-uri"] == policy["form-action"] == ["'none'"]
    assert "unsafe" not in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"  # the URL holds a widget token
    assert headers["x-content-type-options"] == "nosniff"
    page = str(response["body"])
    assert '<script src="widget.js" data-preview></script>' in page
    assert "<style" not in page and " style=" not in page and "onload" not in page  # nothing inline
    assert "wt_x" not in page  # the token stays in the URL, for the script to read


@pytest.mark.parametrize(
    ("query", "accept_language", "lang"),
    [
        ("lang=es", "en-US,en;q=0.9", "es"),
        ("", "es-MX,es;q=0.9", "es"),
        ("lang=fr", "fr-FR,de;q=0.8", "en"),
        ("lang=%22%3E%3Cscript%3E", "", "en"),
    ],
)
def test_the_preview_page_speaks_the_asked_or_the_browsers_language(
    aws: Aws, query: str, accept_language: str, lang: str
) -> None:
    response = _served(aws, "/widget", query, **{"accept-language": accept_language})

    assert response["statusCode"] == 200
    assert f'<html lang="{lang}">' in str(response["body"])


def test_the_assets_forbid_everything_but_being_loaded(aws: Aws) -> None:
    headers = _headers(_served(aws, "/widget.js"))

    assert headers["content-security-policy"].startswith("default-src 'none'")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "public, max-age=300"


NODE_SANITISER = """
require(process.argv[1]);
const w = globalThis.QuestlineWidget;
const cases = JSON.parse(process.argv[2]);
console.log(JSON.stringify(cases.map((theme) => w.sanitizeTheme(theme))));
"""


def _sanitised(*themes: dict[str, Any]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    assert node is not None, "the widget's sanitiser test needs Node.js (CI has it)"
    run = subprocess.run(
        [node, "-e", NODE_SANITISER, str(WIDGET / "widget.js"), json.dumps(themes)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return list(json.loads(run.stdout))


def test_theme_values_are_sanitised_before_they_reach_the_page() -> None:
    safe, hostile = _sanitised(
        {
            "mode": "dark",
            "primaryColor": "#1E40AF",
            "textColor": "#fff",
            "fontFamily": "Inter, sans-serif",
            "borderRadius": 12,
            "logoUrl": "https://cdn.example.com/logo.png",
        },
        {
            "mode": "neon",
            "primaryColor": "red;background:url(https://evil.example/x)",
            "backgroundColor": "expression(alert(1))",
            "accentColor": "#12345",
            "fontFamily": "x;}:host{display:none",
            "borderRadius": 1e9,
            "logoUrl": "javascript:alert(1)",
            "faviconUrl": "data:text/html,<script>alert(1)</script>",
        },
    )

    assert safe == {
        "vars": {
            "--ql-primary": "#1E40AF",
            "--ql-text": "#fff",
            "--ql-font": "Inter, sans-serif",
            "--ql-radius": "12px",
        },
        "logo": "https://cdn.example.com/logo.png",
        "mode": "dark",
    }
    assert hostile == {"vars": {}, "logo": None, "mode": None}
    for logo in ("http://plain.example/l.png", "//cdn.example.com/l.png", "https://u:p@x.example/l.png"):
        assert _sanitised({"logoUrl": logo}) == [{"vars": {}, "logo": None, "mode": None}], logo


# --- what the widget reads with the person's token ------------------------------------------------------


def _with_token(
    aws: Aws, route: str, token: str, query: str, **headers: str
) -> tuple[int, dict[str, str], Any]:
    function = "ClaimrCampaignsFunction" if route.startswith(("/campaign", "/leaderboard")) else USERS
    event = api_event("GET", route, query=query, headers={"authorization": f"Bearer {token}", **headers})
    response = aws.invoke(function, event)
    body = response.get("body")
    return int(response["statusCode"]), _headers(response), json.loads(body) if body else None


def _token(aws: Aws, account: str) -> str:
    status, body = call(aws, "GET", "/token", query=f"account={account}&platform=discord")
    assert status == 200
    return str(body["data"]["token"])


@pytest.mark.usefixtures("live_campaign")
def test_polled_answers_carry_an_etag_and_answer_304_until_they_change(aws: Aws) -> None:
    token = _token(aws, "poller")
    first = _with_token(aws, "/user/balance", token, f"pid={P}")
    tag = first[1]["etag"]
    same = _with_token(aws, "/user/balance", token, f"pid={P}", **{"if-none-match": tag})
    reward = call(
        aws,
        "POST",
        "/user/reward",
        body={"account": "poller", "platform": "discord", "pid": P, "id": "r1", "xp": 40},
    )
    changed = _with_token(aws, "/user/balance", token, f"pid={P}", **{"if-none-match": tag})

    assert first[0] == 200 and tag.startswith('W/"') and first[2]["data"]["xp"] == 0
    assert same[0] == 304 and same[2] is None and same[1]["etag"] == tag
    assert reward[0] == 200
    assert changed[0] == 200 and changed[2]["data"]["xp"] == 40 and changed[1]["etag"] != tag


@pytest.mark.usefixtures("live_campaign")
def test_progress_says_which_dependencies_lock_an_action(aws: Aws) -> None:
    token = _token(aws, "locked_out")

    def score_update() -> dict[str, Any]:
        status, _, body = _with_token(aws, "/user/progress", token, f"pid={P}")
        assert status == 200
        return next(a for a in body["data"]["actions"] if a["id"] == "score_update")

    before = score_update()
    login = call(
        aws,
        "POST",
        "/action/value",
        body={
            "account": "locked_out",
            "platform": "discord",
            "pid": P,
            "cid": P,
            "aid": "daily_login",
            "value": 1,
        },
    )
    after = score_update()

    assert before["locked"] is True and before["deps"] == ["daily_login"]
    assert before["locked_by"] == ["daily_login"]
    assert login[0] == 200
    assert after["locked"] is False and after["locked_by"] == []


@pytest.mark.usefixtures("live_campaign")
def test_a_widget_token_reads_the_campaigns_season(aws: Aws) -> None:
    token = _token(aws, "season_reader")

    status, headers, body = _with_token(aws, "/campaign/points", token, f"pid={P}")

    assert status == 200 and "etag" in headers
    assert body["data"]["name"] == design()["name"]
    assert body["data"]["season"] == design()["seasons"][0]
