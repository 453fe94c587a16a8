"""A page's uploads are its own (issue #22): they count against its cap the moment they arrive, the page says so
when it goes past it, and they are deleted when the page closes, while another page's stay."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest
from PIL import Image

from playground.ui import session_uploads, sessions
from tests.conftest import click_tab, open_page

pytestmark = pytest.mark.browser


def _picture(folder: Path, size: int) -> Path:
    """A PNG of about ``size`` bytes (noise does not compress) with a name no other test uses."""
    side = int((size / 3) ** 0.5)
    path = folder / f"up-{uuid.uuid4().hex[:10]}.png"
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(path)
    return path


def _on_disk(name: str) -> Path:
    """Where Gradio's upload route put the file called ``name`` (``<upload folder>/<hash>/<name>``)."""
    from gradio.utils import get_upload_folder

    root = Path(get_upload_folder())
    end = time.monotonic() + 30
    while time.monotonic() < end:
        found = list(root.glob(f"*/{name}"))
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"{name} was not uploaded")


def _new_page(browser, app_url):
    """A page on the Metrics tab, and its session (the one its load announced)."""
    before = set(sessions._PAGES)
    context, page, _ = open_page(browser, app_url)
    click_tab(page, "Metrics")
    end = time.monotonic() + 30
    while not (set(sessions._PAGES) - before) and time.monotonic() < end:
        time.sleep(0.1)
    (key,) = set(sessions._PAGES) - before
    return context, page, key


def _held(key: str, n: int) -> None:
    """Wait until session ``key`` holds ``n`` bytes of uploads."""
    end = time.monotonic() + 30
    while session_uploads.UPLOADS.held_bytes(key) != n and time.monotonic() < end:
        time.sleep(0.1)
    assert session_uploads.UPLOADS.held_bytes(key) == n


def test_a_closed_page_takes_its_uploads_with_it_and_a_page_past_its_cap_is_told(browser, app_url, tmp_path,
                                                                                  monkeypatch):
    first, second, other = (_picture(tmp_path, 300_000) for _ in range(3))
    sizes = {p: p.stat().st_size for p in (first, second, other)}
    monkeypatch.setattr(session_uploads, "MAX_SESSION_BYTES", sizes[first] + sizes[second] // 2)
    ctx_a, page_a, key_a = _new_page(browser, app_url)
    ctx_b, page_b, key_b = _new_page(browser, app_url)
    try:
        page_a.locator("#metrics-fake-files input[type=file]").set_input_files(str(first))
        page_b.locator("#metrics-fake-files input[type=file]").set_input_files(str(other))
        _held(key_a, sizes[first])  # the page's own upload event named it: it is page A's before any Compute
        _held(key_b, sizes[other])
        on_disk_a, on_disk_b = _on_disk(first.name), _on_disk(other.name)
        # past the cap: the page shows the sentence, and the file is not page A's
        page_a.locator("#metrics-real-files input[type=file]").set_input_files(str(second))
        page_a.get_by_text("one session may keep at most").first.wait_for(timeout=30_000)
        assert session_uploads.UPLOADS.held_bytes(key_a) == sizes[first]
        ctx_a.close()  # the page closes: its unload
        end = time.monotonic() + 30
        while on_disk_a.exists() and time.monotonic() < end:
            time.sleep(0.2)
        assert not on_disk_a.exists()
        assert on_disk_b.exists() and session_uploads.UPLOADS.held_bytes(key_b) == sizes[other]
    finally:
        ctx_b.close()
        try:
            ctx_a.close()
        except Exception:  # noqa: BLE001 - closed already
            pass
