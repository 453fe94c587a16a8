"""The smaller trips of a lecture (issue #19 item 9), in Chromium: the sketchpad draws on the first stroke, an
offline zoo model shows one message and keeps the page as it was, and no column of the DCGAN guidelines
table is cut off. (The page layout's part is in ``test_page_layout.py``.)"""

from __future__ import annotations

import io
import urllib.request

import numpy as np
import pytest
from PIL import Image

from tests.conftest import click_tab

pytestmark = pytest.mark.browser

TOAST = '[data-testid="toast-body"]'
ERROR_BADGE = '[data-testid="status-tracker"] span.error'  # Gradio's red "Error" on an output


def _stroke(page, canvas, points) -> None:
    """Drag the mouse through ``points``, fractions of the square drawing area in the middle of ``canvas``
    (the canvas element is wider; a stroke that starts beside the picture draws nothing)."""
    b = canvas.bounding_box()
    side = min(b["width"], b["height"]) * 0.8
    x0, y0 = b["x"] + (b["width"] - side) / 2, b["y"] + (b["height"] - side) / 2
    page.mouse.move(x0 + points[0][0] * side, y0 + points[0][1] * side)
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x0 + x * side, y0 + y * side, steps=3)
    page.mouse.up()


def _src(page, selector: str) -> str | None:
    img = page.locator(f"{selector} img")
    return img.first.get_attribute("src") if img.count() else None


def _wait_new_src(page, selector: str, before: str | None) -> str:
    page.wait_for_function(
        "([sel, before]) => { const i = document.querySelector(sel + ' img');"
        " return i && i.src && i.src !== before; }",
        arg=[selector, before], timeout=60_000)
    return _src(page, selector)


def _dark_pixels(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as r:
        img = np.asarray(Image.open(io.BytesIO(r.read())).convert("L"))
    return int((img < 128).sum())


def test_the_sketchpad_draws_on_the_first_stroke_and_again_after_clear(page, artifacts):
    click_tab(page, "Image translation")
    page.get_by_role("tab", name="Draw", exact=True).click()  # the page arrives showing a translated example
    pad = page.locator("#translation-sketchpad")
    canvas = pad.locator("canvas").first
    canvas.wait_for()
    before = _src(page, "#translation-seen")
    # no tool picked by hand: the first stroke must draw, and the drawing is what G gets
    _stroke(page, canvas, [(0.3, 0.3), (0.5, 0.4), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7)])
    seen = _wait_new_src(page, "#translation-seen", before)
    assert _dark_pixels(seen) > 50, "the picture G saw is blank: the stroke did not draw"
    notes = page.inner_text("#translation-notes")
    assert "edges2face" in notes and "when the page opened" not in notes
    # Clear empties the pad quietly (no "draw something" error), and the next stroke draws at once
    pad.get_by_role("button", name="Clear canvas").click()
    page.locator("#translation-sketchpad .toolbar-wrap button.highlight").first.wait_for(timeout=15_000)
    _stroke(page, canvas, [(0.2, 0.5), (0.8, 0.5)])
    _wait_new_src(page, "#translation-seen", seen)
    assert page.locator(TOAST).count() == 0, page.locator(TOAST).all_inner_texts()
    assert page.locator(ERROR_BADGE).count() == 0
    page.screenshot(path=str(artifacts / "translation_first_stroke.png"), full_page=True)


def test_a_clicked_example_is_translated_and_named_by_the_link(page, artifacts):
    """A click on the fourth example of the gallery: G gets that very picture (the one the server lists
    fourth), and the tab's link names it (``example=3``)."""
    from playground.translation import inference
    from playground.ui.translation.handlers import first_view

    click_tab(page, "Image translation")
    page.get_by_role("tab", name="Examples", exact=True).click()
    gallery = page.locator("#translation-examples")
    gallery.locator("button.thumbnail-item").nth(3).wait_for(timeout=30_000)
    before = _src(page, "#translation-seen")
    gallery.locator("button.thumbnail-item").nth(3).click()
    seen = _wait_new_src(page, "#translation-seen", before)
    with urllib.request.urlopen(seen, timeout=30) as r:
        shown = np.asarray(Image.open(io.BytesIO(r.read())).convert("RGB"), dtype=np.float64)
    fourth = first_view(next(iter(inference.bundled_entries())))["gallery"][3]
    want = np.asarray(Image.open(fourth).convert("RGB").resize(shown.shape[1::-1]), dtype=np.float64)
    assert np.abs(shown - want).mean() < 12, "G was given another picture than the one clicked"
    page.locator("button.label-wrap:visible", has_text="Share this view").first.click()  # the share panel
    page.locator("#translation-copy-link").click()
    page.wait_for_function("() => (document.querySelector('#translation-link textarea') || {}).value"
                           " && document.querySelector('#translation-link textarea').value.includes('example=3')",
                           timeout=30_000)
    assert page.locator(TOAST).count() == 0, page.locator(TOAST).all_inner_texts()
    page.screenshot(path=str(artifacts / "translation_example_click.png"), full_page=True)


def test_an_offline_zoo_model_shows_one_message_and_keeps_the_page(page, artifacts, monkeypatch, tmp_path):
    from playground.translation import zoo

    # offline as on a lecture's laptop: nothing cached, and the official server cannot be reached
    monkeypatch.setenv("PLAYGROUND_ZOO_DIR", str(tmp_path / "zoo"))
    monkeypatch.setattr(zoo, "PIX2PIX_URL", "http://127.0.0.1:9/{file}.pth")
    click_tab(page, "Image translation")
    gallery = page.locator("#translation-examples .thumbnail-item")
    gallery.nth(7).wait_for(timeout=30_000)
    before = _src(page, "#translation-output")
    page.locator("#translation-model input").click()
    page.get_by_role("option", name="edges2shoes", exact=False).first.click()
    page.get_by_text("These examples were made for the bundled models").wait_for(timeout=15_000)
    page.get_by_role("button", name="Translate", exact=True).click()
    page.get_by_text("could not be loaded (see the message)").wait_for(timeout=60_000)
    toasts = page.locator(TOAST)
    assert toasts.count() == 1, toasts.all_inner_texts()
    assert "Could not download the pix2pix model edges2shoes" in toasts.first.inner_text()
    assert page.locator(ERROR_BADGE).count() == 0  # no red "Error" on the outputs
    assert gallery.count() == 8  # the examples stay
    assert _src(page, "#translation-output") == before  # the last translation stays on screen
    notes = page.inner_text("#translation-notes")
    assert "when the page opened" not in notes and "PatchGAN" not in notes  # the old result's note is gone
    page.screenshot(path=str(artifacts / "translation_zoo_offline.png"), full_page=True)


def test_the_guidelines_table_shows_every_column(page, artifacts):
    click_tab(page, "DCGAN latent lab")
    page.locator("#dcgan-guidelines").get_by_text("DCGAN guidelines").first.click()
    table = page.locator("#dcgan-rules")
    table.get_by_text("why", exact=True).first.wait_for(timeout=30_000)
    frame = table.bounding_box()
    why = table.get_by_text("why", exact=True).first.bounding_box()
    assert why["x"] + why["width"] <= frame["x"] + frame["width"], (why, frame)
    # (Gradio's collapsed sizing row holds every text unwrapped: only cells with a height are seen)
    cut = page.evaluate("""() => [...document.querySelectorAll('#dcgan-rules *')]
        .filter(e => e.offsetHeight > 0 && e.scrollWidth > e.clientWidth + 1
                     && getComputedStyle(e).overflowX !== 'visible').length""")
    assert cut == 0, "a part of the rules table scrolls sideways (a column is cut off)"
    table.scroll_into_view_if_needed()
    table.screenshot(path=str(artifacts / "dcgan_guidelines_rules.png"))
