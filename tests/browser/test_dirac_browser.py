"""Browser: the Dirac-GAN tab shows its picture on arrival (no empty box), a link restores its settings and
redraws, and the projector view fits the picture and its eigenvalues on one screen."""

import pytest

from tests.conftest import click_tab

pytestmark = pytest.mark.browser

TITLE = "Dirac-GAN"


def test_the_tab_shows_the_papers_picture_on_arrival_and_redraws_on_a_change(page):
    click_tab(page, TITLE)
    figure = page.locator("#dirac-figure svg.dirac-figure")
    figure.wait_for(state="visible", timeout=30_000)
    assert "Standard GAN · simultaneous updates" in figure.text_content()
    assert page.locator("#dirac-figure polyline").count() == 3  # the path, the linearised rate, the distance
    assert "±0.5000i" in page.locator("#dirac-eigen").inner_text()
    page.locator("#dirac-variant").get_by_text("R1 gradient penalty").click()
    page.wait_for_function("() => document.querySelector('#dirac-figure svg').textContent.includes('R1 gradient')",
                           timeout=30_000)
    assert "−0.1500 ± 0.4770i" in page.locator("#dirac-eigen").inner_text()
    assert page.locator("#dirac-gamma").is_visible() and not page.locator("#dirac-clip").is_visible()


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)], ids=["1280x720", "1024x768"])
def test_a_projector_link_opens_its_picture_on_one_screen(browser, app_url, artifacts, size):
    w, h = size
    context = browser.new_context(viewport={"width": w, "height": h})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(app_url + "?tab=dirac&variant=instance_noise&rule=alternating&sigma=1&big=1")  # no header here
        page.wait_for_function("() => document.body.classList.contains('gp-big')", timeout=30_000)
        page.wait_for_function("() => (document.querySelector('#dirac-figure svg') || {}).textContent"
                               "?.includes('Instance noise · alternating')", timeout=30_000)
        assert "−0.2500 ± 0.4330i" in page.locator("#dirac-eigen").inner_text()  # σ = 1: −σ²/4 ± √(σ⁴/16 − ¼)
        assert page.locator("#dirac-sigma input[type=number]").input_value() == "1"
        for sel in ("#dirac-figure svg.dirac-figure", "#dirac-eigen p"):
            b = page.locator(sel).first.bounding_box()
            assert b and b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["width"] <= w and b["y"] + b["height"] <= h, sel
        assert page.locator("#dirac-figure svg.dirac-figure").bounding_box()["width"] >= 600
        page.screenshot(path=str(artifacts / f"dirac-projector-{w}x{h}.png"))
    finally:
        context.close()
    assert not errors
