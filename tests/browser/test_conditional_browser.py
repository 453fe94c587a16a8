"""The conditional 2-D GAN in Chromium (issue #21 part 3): the option is a checkbox among the objective's settings,
a link opens the conditional preset and plays it (the fakes in their labels' colours, the captions and the status
line saying what a conditional picture shows), and the projector view (big=1) fits it on a 1280x720 screen."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import click_tab, open_page

pytestmark = pytest.mark.browser

PRESET = "Cure: conditional labels"
LINK = f"?tab=toy2d&preset={quote(PRESET)}&seed=3&autoplay=1&steps=600"


def _played(page, iterations: int) -> None:
    page.wait_for_function("(n) => Number(document.querySelector('#toy2d-lab [data-iteration]')?.dataset.iteration "
                           "|| 0) >= n", arg=iterations, timeout=120_000)


def test_the_option_is_in_the_page_and_off_by_default(page):
    click_tab(page, "2-D GAN lab")
    box = page.locator("#toy2d-conditional input[type=checkbox]")
    box.wait_for(state="visible", timeout=30_000)
    assert not box.is_checked()
    assert "Conditional GAN" in page.locator("#toy2d-conditional").inner_text()
    assert "Learned D(x):" in page.locator("#toy2d-lab figcaption").first.inner_text()


def test_the_conditional_preset_trains_from_a_link(browser, app_url, artifacts):
    context, page, log = open_page(browser, app_url + LINK, viewport=(1280, 720))
    try:
        _played(page, 400)
        assert page.locator("#toy2d-conditional input[type=checkbox]").is_checked()
        lab = page.locator("#toy2d-lab")
        assert "label accuracy" in lab.locator(".lab2d-status").inner_text()
        caps = lab.locator("figcaption")
        assert "D(x, y), y = the label of x's nearest mode" in caps.nth(0).inner_text()
        assert "p(x | y)" in caps.nth(1).inner_text()
        # the fakes are drawn in several colours (one per label), none of them the unconditional purple
        colours = page.evaluate("""() => {
            const c = document.querySelector('#toy2d-lab canvas.lab2d-d');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const seen = new Set();
            for (let i = 0; i < d.length; i += 4) {
              const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
              if (Math.max(r, g, b) - Math.min(r, g, b) > 150) seen.add(`${r >> 5},${g >> 5},${b >> 5}`);
            }
            return [...seen];
        }""")
        assert len(colours) >= 6, colours
        page.screenshot(path=str(artifacts / "toy2d-conditional.png"), full_page=True)
        assert not log.errors(), log.errors()
    finally:
        context.close()


def test_the_projector_view_shows_the_conditional_run(browser, app_url, artifacts):
    # another seed: its own run (the same link's run, finished by the test above, would be replayed to this page)
    context, page, log = open_page(browser, app_url + LINK.replace("seed=3", "seed=5") + "&big=1", viewport=(1280, 720))
    try:
        _played(page, 600)  # where the link stops: the README's picture
        page.wait_for_function("() => document.querySelector('#toy2d-lab [data-state]')?.dataset.state !== 'running'",
                               timeout=120_000)
        page.wait_for_timeout(1000)  # the last frame's chart rows drawn
        assert page.evaluate("() => document.body.classList.contains('gp-big')")
        for sel in ("canvas.lab2d-d", "canvas.lab2d-ds"):
            box = page.locator(f"#toy2d-lab {sel}").bounding_box()
            assert box and box["y"] + box["height"] <= 720 + 1 and box["x"] + box["width"] <= 1280, (sel, box)
        assert "label accuracy" in page.locator("#toy2d-lab .lab2d-status").inner_text()
        page.screenshot(path=str(artifacts / "toy2d-conditional-big.png"))
        assert not log.errors(), log.errors()
    finally:
        context.close()
