"""The real-browser end-to-end test: headless Chromium (Debian's ``chromium``, driven by
Playwright with ``executable_path``, no browser download) opens the authorization URL, signs
in on the emulator's consent page and clicks *Authorize application* (or *Deny*); the
loopback receiver gets the redirect and the browser shows its page.

It skips only when Chromium itself cannot start (the reason is shown); `make test`
installs Chromium (scripts/install-deps.sh) and Playwright (the ``test`` extras)."""

from __future__ import annotations

import os
import shutil
import threading
from typing import Dict, List, Optional

import pytest
from playwright.sync_api import sync_playwright

import harvest_connect as hc
from harvest_connect import authorization

from _oauth_support import make_setup

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"]


@pytest.fixture(scope="module")
def chromium_works() -> None:
    """Skips the module, saying why, when Chromium cannot start here."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (scripts/install-deps.sh chromium installs it)")
    try:
        with sync_playwright() as p:
            p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS).close()
    except Exception as exc:  # noqa: BLE001 - any launch failure means "cannot start"
        pytest.skip(f"Chromium cannot start: {str(exc).splitlines()[0]}")


class HeadlessChromium:
    """webbrowser.open's stand-in: a thread drives Chromium through the consent page."""

    def __init__(self, email: str, password: str, decision: str) -> None:
        self.email, self.password, self.decision = email, password, decision
        self.result: Dict[str, str] = {}
        self.errors: List[BaseException] = []
        self.thread: Optional[threading.Thread] = None

    def __call__(self, url: str) -> bool:
        self.thread = threading.Thread(target=self._run, args=(url,), daemon=True)
        self.thread.start()
        return True

    def _run(self, url: str) -> None:
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                try:
                    context = browser.new_context()
                    page = context.new_page()
                    page.goto(url, timeout=20_000)
                    self.result["consent_title"] = page.title()
                    page.fill("#email", self.email)
                    page.fill("#password", self.password)
                    with page.expect_navigation(url="http://127.0.0.1:*/callback*", timeout=20_000):
                        page.click(f"button[value='{self.decision}']")
                    page.wait_for_load_state("load", timeout=20_000)
                    self.result["title"] = page.title()
                    self.result["text"] = page.inner_text("body")
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)

    def join(self) -> None:
        assert self.thread is not None
        self.thread.join(60)
        assert not self.errors, self.errors


def test_sign_in_and_authorize_in_chromium(chromium_works, emu, store, monkeypatch):
    s = make_setup(emu, store)
    user = emu.default_user()
    chromium = HeadlessChromium(user["email"], user["password"], "authorize")
    monkeypatch.setattr(authorization, "open_browser_hook", chromium)
    s.conn.authorize(timeout=90)
    chromium.join()
    assert "Authorize application" in chromium.result["consent_title"]
    assert chromium.result["title"] == "Authorization complete"
    assert "connected to Harvest" in chromium.result["text"]
    assert s.conn.status == "authorized" and s.conn.has_tokens
    # The tokens work: the paste flow's token exchange is not needed; test the connection if
    # this build has the Harvest client.
    if hasattr(s.conn, "test"):
        assert s.conn.test().ok


def test_deny_in_chromium(chromium_works, emu, store, monkeypatch):
    s = make_setup(emu, store)
    user = emu.default_user()
    chromium = HeadlessChromium(user["email"], user["password"], "deny")
    monkeypatch.setattr(authorization, "open_browser_hook", chromium)
    with pytest.raises(hc.AuthorizationError, match="declined"):
        s.conn.authorize(timeout=90)
    chromium.join()
    assert chromium.result["title"] == "Authorization failed"
    assert "Nothing was changed" in chromium.result["text"]
    assert s.conn.status == "not_authorized" and not s.conn.has_tokens
