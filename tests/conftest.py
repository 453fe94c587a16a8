"""Shared fixtures: a running app, a gradio_client, and a headless Chromium page.

The app is launched once per test session on a free port. Browser tests use Debian's
``/usr/bin/chromium`` through Python Playwright (``playwright install`` cannot download here); when it
is missing the browser tests fail with a message saying how to install it, rather than skipping.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("PLAYGROUND_DEVICE", "cpu")  # deterministic tests even on a GPU box
# Handlers accept files only from Gradio's upload folder (playground.safe_input.web_file); the tests also
# hand them files they make in their own temporary folders.
import tempfile  # noqa: E402

os.environ.setdefault("PLAYGROUND_UPLOAD_ROOTS", tempfile.gettempdir())

from playground.device import default_threads  # noqa: E402

default_threads()  # the app's own setting (1 torch thread): two OpenMP threads on a busy 2-core box are ~30x slower

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = os.environ.get("PLAYGROUND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def app_url():
    """URL of the whole app, launched in this process."""
    from playground.ui.app import build_demo, launch_kwargs

    demo = build_demo()
    port = free_port()
    demo.launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        **launch_kwargs(),
    )
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium chromium-driver) "
            "or set PLAYGROUND_CHROMIUM"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class ConsoleLog(list):
    """Console errors and page errors seen by a page."""

    def errors(self) -> list[str]:
        # Chromium reports refused favicon/font fetches on an offline box; they are not app errors.
        ignorable = ("favicon", "net::ERR_", "Failed to load resource", "fonts.googleapis", "manifest.json")
        return [m for m in self if not any(s in m for s in ignorable)]


def open_page(browser, url, viewport=(1400, 1000)):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    log = ConsoleLog()
    page.on("console", lambda m: log.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log.append(f"pageerror: {e}"))
    page.goto(url)
    # the app has rendered: its title is shown, or hidden by the projector view (big=1), whose script can hide it
    # before a wait for "visible" ever sees it
    page.wait_for_function(
        "() => { const h = [...document.querySelectorAll('h1')].find((e) => e.textContent.includes('GAN Playground'));"
        " return !!h && (h.offsetParent !== null || document.body.classList.contains('gp-big')); }", timeout=30_000)
    return context, page, log


@pytest.fixture
def page(browser, app_url):
    """A fresh browser context on the app; fails the test on console errors."""
    context, page, log = open_page(browser, app_url)
    yield page
    errors = log.errors()
    context.close()
    assert not errors, f"console errors in the browser: {errors}"


@pytest.fixture
def open_app_page(browser, app_url):
    """Factory for extra independent browser contexts (e.g. two students at once)."""
    opened = []

    def make():
        ctx, pg, log = open_page(browser, app_url)
        opened.append((ctx, log))
        return pg

    yield make
    for ctx, log in opened:
        errors = log.errors()
        ctx.close()
        assert not errors, f"console errors in the browser: {errors}"


def click_tab(page, title: str) -> None:
    page.get_by_role("tab", name=title).click()
