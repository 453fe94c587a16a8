"""Browser: a presenter link to the Metrics tab arrives on the precomputed example's results table (no
empty image box) with the group it names hidden."""

import pytest

from tests.conftest import open_page
from tests.dcgan.test_tab_arrival_browser import EMPTY_IMAGES_JS

pytestmark = pytest.mark.browser


def test_link_opens_the_metrics_tab_on_the_precomputed_results(browser, app_url, artifacts, fid_network_file):
    from playground.ui.metrics import handlers as h

    # The app computes the example once per server in the background (seconds to a minute on a CPU); the
    # page shows the stored result only once it is there, so wait for it before opening the page.
    h.start_precompute()
    stored = h.wait_precomputed(timeout=300)
    assert stored is not None and h.store_path().exists()
    context, page, log = open_page(browser, app_url.rstrip("/") + "/?tab=metrics&hide=examples")
    try:
        try:
            page.wait_for_function(
                "() => document.querySelector('#metrics-status')?.innerText?.includes('Precomputed example')",
                timeout=30_000)
        except Exception:
            raise AssertionError("status: %r" % page.evaluate(
                "() => document.querySelector('#metrics-status')?.innerText")) from None
        page.wait_for_function(
            "() => document.querySelector('#metrics-results')?.innerText?.includes('FID (clean)')", timeout=30_000)
        table = page.locator("#metrics-results").inner_text()
        assert "KID" in table and "Precision (k=3)" in table and "Images used" in table
        assert page.locator("#metrics-fake-files").is_visible()  # the inputs group is shown
        assert page.get_by_role("button", name="Compute metrics").is_visible()
        # the examples group is hidden (Gradio leaves a hidden group out of the page)
        assert not page.get_by_text("Examples (no upload needed", exact=False).is_visible()
        assert not page.get_by_role("button", name="Example: ", exact=False).first.is_visible()
        assert page.evaluate(EMPTY_IMAGES_JS, "body") == 0
        # the PCA and FID-vs-N pictures arrive with the stored example, drawn: no empty plot box (issue #19)
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=30_000)
        titles = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot .gtitle')].map((t) => t.textContent)")
        assert any("principal axes" in t for t in titles) and any("FID against" in t for t in titles), titles
        page.screenshot(path=str(artifacts / "arrival_metrics.png"), full_page=True)
    finally:
        context.close()
    assert not log.errors()


def test_a_page_opened_before_the_example_is_ready_shows_it_when_it_arrives(browser, app_url, monkeypatch, tmp_path):
    """A fresh server computes the example after the page is up: a page that arrived first says so, and its timer
    fills the results in when they are stored (no reload)."""
    from playground.ui.metrics import handlers as h

    h.wait_precomputed(timeout=300)  # the server's own computation (if any) done: it cannot overwrite the stand-in
    monkeypatch.setenv("PLAYGROUND_CACHE", str(tmp_path))  # nothing stored here
    monkeypatch.setattr(h, "_state", {})
    context, page, log = open_page(browser, app_url.rstrip("/") + "/?tab=metrics")
    try:
        page.wait_for_function(
            "() => document.querySelector('#metrics-status')?.innerText?.includes('being computed')", timeout=30_000)
        h._state["result"] = {"version": h.STORE_VERSION, "notes": "- stand-in notes",
                              "table": [["FID (clean)", "12.5", "lower is better"]],
                              "label": "**Precomputed example:** the stand-in result."}
        page.wait_for_function(
            "() => document.querySelector('#metrics-status')?.innerText?.includes('Precomputed example')",
            timeout=15_000)
        assert "12.5" in page.locator("#metrics-results").inner_text()
    finally:
        context.close()
    assert not log.errors()
