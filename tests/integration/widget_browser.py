"""Run inside a network namespace that has loopback only (see test_widget_in_a_browser.py): start the local
stack (seeded: the demo entity and its published campaign), drive the widget's preview page in headless
Chromium through chromedriver and Selenium, and print what was seen as one JSON document.

    python widget_browser.py ARTIFACTS_DIR AXE_JS

What it does, as a person and an integrator would: issues a widget token (`GET /token`, secret key), puts
two other people on the board, opens `/widget?pid=…&user_token=wt_…`, reads the locked action's reason,
makes a reward through the API and waits for it to appear without a reload, copies the referral link with
the keyboard, sends an invite code, looks at the page at 320 px and in Spanish, and runs axe-core."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path[:0] = [
    str(Path(__file__).resolve().parents[2]),
    str(Path(__file__).resolve().parents[2] / "layers" / "core"),
]

import requests  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from local.stack import LocalStack  # noqa: E402

PERSON = ("widget_person", "discord")


def _api(state: dict[str, Any], method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {state['secret_key']}"}
    answer = requests.request(method, state["api_url"] + path, headers=headers, timeout=30, **kwargs)
    answer.raise_for_status()
    return dict(answer.json())


def _reward(state: dict[str, Any], account: str, entry_id: str, xp: int) -> None:
    body = {"account": account, "platform": "discord", "pid": state["campaign_id"], "id": entry_id, "xp": xp}
    _api(state, "POST", "/user/reward", json=body)


def _driver(profile: str) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = str(shutil.which("chromium"))
    for argument in (
        "--headless=new",
        "--no-sandbox",  # as root, in a container
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1024,1400",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver")))


# A poll that brings news re-renders the widget: an element read a moment ago may be gone (stale). Waits
# look again; reads retry on a fresh element.
RE_RENDERED = (StaleElementReferenceException,)


class Widget:
    def __init__(self, driver: webdriver.Chrome) -> None:
        self.driver = driver

    def root(self) -> Any:
        return self.driver.find_element(By.CSS_SELECTOR, "div.questline-widget").shadow_root

    def find(self, selector: str) -> WebElement:
        return self.root().find_element(By.CSS_SELECTOR, selector)  # type: ignore[no-any-return]

    def text(self, selector: str) -> str:
        return str(self.read(selector, lambda element: element.text))

    def attribute(self, selector: str, name: str) -> str | None:
        return self.read(selector, lambda element: element.get_attribute(name))

    def read(self, selector: str, what: Any) -> Any:
        for _ in range(20):
            try:
                return what(self.find(selector))
            except StaleElementReferenceException:
                time.sleep(0.05)
        return what(self.find(selector))

    def wait(self, selector: str, timeout: float = 30) -> WebElement:
        def found(_: Any) -> Any:
            try:
                return self.find(selector)
            except Exception:  # noqa: BLE001 - not mounted yet
                return False

        return WebDriverWait(self.driver, timeout, poll_frequency=0.2, ignored_exceptions=RE_RENDERED).until(
            found
        )  # type: ignore[no-any-return]

    def active_id(self) -> str:
        return str(
            self.driver.execute_script(
                "const h = document.querySelector('div.questline-widget');"
                "const a = h && h.shadowRoot.activeElement; return a ? (a.id || a.textContent) : '';"
            )
        )


HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>An integrator's page</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none';
 script-src {api} 'sha256-{listener_hash}'; style-src {api} 'sha256-{style_hash}';
 connect-src {api}; img-src https:">
<style>{style}</style></head>
<body><main><h1>My game</h1><p class="ql-card" id="outside">The host's own paragraph</p>
<script src="{api}/widget.js" data-pid="{pid}" data-user-token="{token}" data-entity-id="{entity}"
 data-poll="2" data-ref-url="https://game.example/join?code={{ref_id}}"></script>
<script>{listener}</script></main></body></html>"""
HOST_STYLE = "p, h3 { color: rgb(153, 0, 0); } .ql-total { display: none; }"  # must not reach inside
# What an integrator's page does with an invite code: hand it to its server (here: accept it).
HOST_LISTENER = (
    "document.addEventListener('questline:invite-code', function (e) {"
    " e.preventDefault(); window.__code = e.detail.code; e.detail.respond(true); });"
)


def _host_page(api: str, pid: str, token: str, entity: str) -> tuple[str, ThreadingHTTPServer]:
    """An integrator's page on another origin (another loopback port), embedding the script."""
    import base64
    import hashlib

    def sha(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    page = HOST_PAGE.format(
        api=api,
        pid=pid,
        token=token,
        entity=entity,
        style=HOST_STYLE,
        listener=HOST_LISTENER,
        style_hash=sha(HOST_STYLE),
        listener_hash=sha(HOST_LISTENER),
    ).encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/" else 404)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.end_headers()
            if self.path == "/":
                self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server


def _axe(driver: webdriver.Chrome, axe_source: str) -> list[dict[str, Any]]:
    driver.execute_script(axe_source)  # WebDriver's own script: the page's CSP does not apply to it
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target)}))), e => done([{id: 'axe-error', impact: 'critical',"
        " help: String(e)}]));"
    )
    return list(result)


def main() -> int:
    artifacts, axe_js = Path(sys.argv[1]), Path(sys.argv[2])
    artifacts.mkdir(parents=True, exist_ok=True)
    axe_source = axe_js.read_text(encoding="utf-8")
    seen: dict[str, Any] = {"screenshots": []}
    stack = LocalStack(port=0, state_file=None, log=lambda line: None, stack_name="widget-browser")
    stack.start()
    try:
        state = stack.state
        pid = state["campaign_id"]
        token = _api(state, "GET", "/token", params={"account": PERSON[0], "platform": PERSON[1]})["data"][
            "token"
        ]
        _reward(state, PERSON[0], "seed-1", 60)
        _reward(state, "widget_neighbour_above", "seed-2", 200)
        _reward(state, "widget_neighbour_below", "seed-3", 10)
        time.sleep(2)  # the board follows balances through the stream
        query = {"pid": pid, "user_token": token, "poll": 2, "entity": state["entity_id"]}
        url = f"{state['api_url']}/widget?{urlencode(query)}"
        host_url, host = _host_page(state["api_url"], pid, token, state["entity_id"])
        with tempfile.TemporaryDirectory() as profile:
            driver = _driver(profile)
            try:
                seen.update(_drive(driver, Widget(driver), state, url, artifacts, axe_source))
                seen["embedded"] = _embedded(driver, Widget(driver), state, host_url, artifacts, axe_source)
            finally:
                driver.quit()
                host.shutdown()
    finally:
        stack.stop()
    print(json.dumps(seen))
    return 0


def _shot(driver: webdriver.Chrome, artifacts: Path, name: str, seen: dict[str, Any]) -> None:
    path = artifacts / f"{name}.png"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, max(600, int(height) + 140))
    driver.save_screenshot(str(path))
    seen.setdefault("screenshots", []).append(str(path))


def _drive(
    driver: webdriver.Chrome, widget: Widget, state: dict[str, Any], url: str, artifacts: Path, axe: str
) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    driver.get(url)
    driver.execute_script("window.__notReloaded = true;")
    widget.wait(".ql-total")
    seen["title"] = widget.text("#ql-title")
    seen["total_before"] = widget.attribute(".ql-total", "data-total")
    seen["actions"] = [
        e.get_attribute("data-action") for e in widget.root().find_elements(By.CSS_SELECTOR, "[data-action]")
    ]
    seen["locked_reason"] = widget.text('[data-action="score_update"] .ql-reason')
    seen["console"] = _severe(driver)  # the page's own messages (a CSP refusal would be one)
    _shot(driver, artifacts, "widget-1024px", seen)

    # a reward through the API appears without a reload (the poll sees a new ETag)
    _reward(state, "widget_person", "live-1", 40)
    started = time.monotonic()
    WebDriverWait(driver, 30, poll_frequency=0.2, ignored_exceptions=RE_RENDERED).until(
        lambda _: widget.attribute(".ql-total", "data-total") != seen["total_before"]
    )
    seen["console"] += _severe(driver)
    seen["reward_seen_after_s"] = round(time.monotonic() - started, 2)
    seen["total_after"] = widget.attribute(".ql-total", "data-total")
    seen["not_reloaded"] = driver.execute_script("return window.__notReloaded === true")
    WebDriverWait(driver, 30, poll_frequency=0.5, ignored_exceptions=RE_RENDERED).until(
        lambda _: widget.root().find_elements(By.CSS_SELECTOR, ".ql-rank")
    )
    seen["rank"] = widget.text(".ql-rank")
    seen["board"] = [e.text for e in widget.root().find_elements(By.CSS_SELECTOR, ".ql-board li")]

    # the referral link copies, by keyboard: Tab from the page's start reaches the copy button
    origin = state["api_url"]
    driver.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": origin, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    tabs: list[str] = []
    for _ in range(10):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        tabs.append(widget.active_id())
        if tabs[-1] == "ql-copy":
            break
    seen["tab_order"] = tabs
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    WebDriverWait(driver, 10, ignored_exceptions=RE_RENDERED).until(lambda _: widget.text("#ql-copied") != "")
    seen["copy_status"] = widget.text("#ql-copied")
    seen["link"] = widget.attribute("#ql-link", "value")
    seen["clipboard"] = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.clipboard.readText().then(done, e => done('error: ' + e));"
    )

    # an invite code goes to the embedding page; the preview page takes none, and says so
    code = widget.find("#ql-code")
    code.send_keys("FRIEND-42", Keys.ENTER)
    WebDriverWait(driver, 10, ignored_exceptions=RE_RENDERED).until(
        lambda _: widget.text("#ql-invited") != ""
    )
    seen["invite_status"] = widget.text("#ql-invited")
    seen["console"] += _severe(driver)
    seen["axe"] = _axe(driver, axe)
    _shot(driver, artifacts, "widget-after-reward-1024px", seen)

    # 320 px: nothing wider than the screen
    driver.set_window_size(320, 900)
    time.sleep(0.5)
    seen["overflow_320"] = driver.execute_script(
        "const h = document.querySelector('div.questline-widget');"
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth, h.scrollWidth];"
    )
    _shot(driver, artifacts, "widget-320px", seen)
    seen["axe_320"] = _axe(driver, axe)

    # Spanish, chosen by the page
    driver.set_window_size(1024, 1400)
    driver.get(url + "&lang=es")
    widget.wait(".ql-total")
    seen["es"] = {
        "balance": widget.text("#ql-balance"),
        "quests": widget.text("#ql-quests"),
        "locked_reason": widget.text('[data-action="score_update"] .ql-reason'),
        "lang": widget.attribute(".ql", "lang"),
    }
    _shot(driver, artifacts, "widget-es", seen)

    # env=dev: the draft, read without live data (the person's live balance is not shown)
    driver.get(url + "&env=dev")
    widget.wait(".ql-total")
    seen["dev"] = {
        "preview": widget.text(".ql-preview"),
        "total": widget.attribute(".ql-total", "data-total"),
    }
    _shot(driver, artifacts, "widget-preview-dev", seen)
    seen["console_with_axe"] = _severe(driver)  # axe-core, injected by the test, trips the CSP
    return seen


def _severe(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def _embedded(
    driver: webdriver.Chrome, widget: Widget, state: dict[str, Any], url: str, artifacts: Path, axe: str
) -> dict[str, Any]:
    """The embed script on an integrator's page of another origin, under that page's own strict CSP."""
    seen: dict[str, Any] = {}
    driver.get(url)
    widget.wait(".ql-total")
    WebDriverWait(driver, 10, ignored_exceptions=RE_RENDERED).until(lambda _: widget.text(".ql-total") != "")
    seen["mounted_before_script"] = driver.execute_script(
        "const s = document.querySelector('script[data-pid]');"
        "return s.previousElementSibling && s.previousElementSibling.className;"
    )
    style = "return getComputedStyle(arguments[0]).getPropertyValue(arguments[1]);"
    seen["total_display"] = driver.execute_script(style, widget.find(".ql-total"), "display")
    seen["heading_color"] = driver.execute_script(style, widget.find("#ql-balance"), "color")
    outside = driver.find_element(By.ID, "outside")
    seen["outside_border"] = driver.execute_script(style, outside, "border-top-style")
    seen["outside_color"] = driver.execute_script(style, outside, "color")
    seen["link"] = widget.attribute("#ql-link", "value")
    before = widget.attribute(".ql-total", "data-total")
    _reward(state, "widget_person", "live-2", 5)
    WebDriverWait(driver, 30, poll_frequency=0.2, ignored_exceptions=RE_RENDERED).until(
        lambda _: widget.attribute(".ql-total", "data-total") != before
    )
    seen["total_change"] = [before, widget.attribute(".ql-total", "data-total")]
    widget.find("#ql-code").send_keys("FRIEND-42", Keys.ENTER)
    WebDriverWait(driver, 10, ignored_exceptions=RE_RENDERED).until(
        lambda _: widget.text("#ql-invited") != ""
    )
    seen["invite_status"] = widget.text("#ql-invited")
    seen["code_received"] = driver.execute_script("return window.__code")
    seen["console"] = _severe(driver)
    seen["axe"] = _axe(driver, axe)
    _shot(driver, artifacts, "widget-embedded", seen)
    return seen


if __name__ == "__main__":
    raise SystemExit(main())
