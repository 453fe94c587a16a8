"""Pictures in the page (issue #19 item 9), in Chromium: every DCGAN sample shows on a phone (none hidden
sideways with no sign of them), and no label or tool bar sits over a picture."""

from __future__ import annotations

import pytest

from tests.conftest import open_page

pytestmark = pytest.mark.browser


def test_every_dcgan_sample_shows_on_a_phone(browser, app_url, artifacts):
    context, page, log = open_page(browser, app_url + "?tab=dcgan", viewport=(390, 844))
    try:
        faces = page.locator("#dcgan-gallery .thumbnail-item")
        faces.nth(35).wait_for(state="attached", timeout=60_000)
        # nothing hidden sideways or in a scroll box of its own: each face lies within the gallery's width,
        # and the page's own scroll reaches them all
        overflow = page.evaluate("""() => { const w = document.querySelector('#dcgan-gallery .grid-wrap');
            return [w.scrollWidth - w.clientWidth, w.scrollHeight - w.clientHeight]; }""")
        assert overflow[0] <= 1 and overflow[1] <= 1, overflow
        box = page.locator("#dcgan-gallery").bounding_box()
        for i in range(36):
            b = faces.nth(i).bounding_box()
            inside = box["x"] <= b["x"] and b["x"] + b["width"] <= box["x"] + box["width"] + 1
            assert inside and b["width"] >= 60, (i, b)
        faces.nth(35).scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "dcgan_phone_gallery.png"))
        assert not log.errors(), log.errors()
    finally:
        context.close()


def _overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def _decoded(page, selector: str) -> None:
    """Wait until the first picture in ``selector`` is on screen and decoded (lazily loaded pictures are 0x0
    until scrolled into view)."""
    page.locator(selector).first.scroll_into_view_if_needed()
    page.wait_for_function(
        "(sel) => { const i = document.querySelector(sel); return i && i.complete && i.naturalWidth > 0; }",
        arg=selector, timeout=30_000)


@pytest.mark.parametrize("viewport, query", [((1400, 1000), ""), ((390, 844), ""), ((1280, 720), "&big=1")],
                         ids=["laptop", "phone", "projector"])
def test_no_label_or_tool_bar_covers_a_picture(browser, app_url, viewport, query):
    context, page, log = open_page(browser, app_url + "?tab=translation" + query, viewport=viewport)
    try:
        for block in ("#translation-seen", "#translation-output", "#translation-examples"):
            pic = f"{block} img"
            _decoded(page, pic)
            img = page.locator(pic).first.bounding_box()
            for cover in (f"{block} [data-testid=block-label]", f"{block} .icon-button-wrapper.top-panel"):
                if page.locator(cover).count():
                    assert not _overlap(img, page.locator(cover).first.bounding_box()), (block, cover)
        assert not log.errors(), log.errors()
    finally:
        context.close()
