"""Browser: each of the DCGAN, translation and metrics tabs shows real pictures on arrival (no empty image
box), and a presenter link hides the groups it names."""

import pytest

from tests.conftest import open_page

pytestmark = pytest.mark.browser

EMPTY_IMAGES_JS = """(root) => [...document.querySelectorAll(root + ' [data-testid="image"]')]
  .filter(e => e.offsetParent !== null && !e.querySelector('img') && !e.closest('[data-testid="sketchpad"]')
          && !e.querySelector('input[type=file]')).length"""


@pytest.mark.parametrize("query, root, ready", [
    ("?tab=dcgan&hide=inversion,own_model", "#dcgan-gallery", "#dcgan-result img"),
    ("?tab=translation&model=gray2color&example=2&hide=model", "#translation-output", "#translation-output img"),
])
def test_link_opens_the_tab_alive_with_groups_hidden(browser, app_url, artifacts, query, root, ready):
    context, page, log = open_page(browser, app_url.rstrip("/") + "/" + query)
    try:
        # the picture is there on arrival, decoded; it is a lazily loaded <img> (re-rendered as the page settles),
        # so one below the fold stays 0x0 ("hidden" to the browser, seen in CI) until it is scrolled to, as a
        # reader would
        page.wait_for_function("""(sel) => { const img = document.querySelector(sel);
            if (!img) return false;
            img.scrollIntoView({block: "center"});
            return img.complete && img.naturalWidth > 0; }""", arg=ready, timeout=30_000)
        assert page.locator(root).first.is_visible()
        if "dcgan" in query:
            assert page.locator("#dcgan-gallery .thumbnail-item").count() == 36
            assert not page.locator("#dcgan-upload").is_visible()  # the inversion group is hidden
            assert page.locator("#dcgan-a textarea").is_visible()
        else:
            assert not page.locator("#translation-model").is_visible()
            page.wait_for_function("() => document.querySelector('#translation-notes').innerText.includes('gray2color')",
                                   timeout=30_000)
        assert page.evaluate(EMPTY_IMAGES_JS, "body") == 0
        page.screenshot(path=str(artifacts / f"arrival_{query.split('&')[0][5:]}.png"), full_page=True)
    finally:
        context.close()
    assert not log.errors()
