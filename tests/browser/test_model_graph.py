"""The 2-D lab's model-overview graph in Chromium (issue #21 part 1): drawn on arrival, Step iteration lights
its sub-steps one after another, a link's settings reach the captions, slow Play walks an iteration, and the
projector view keeps it on the screen."""

from __future__ import annotations

import pytest

from tests.conftest import click_tab, open_page

pytestmark = pytest.mark.browser

GRAPH = "#toy2d-graph"
PARTS = ["sample", "generate", "score", "update"]


def _lit(page) -> list[str]:
    return page.evaluate("(s) => [...document.querySelectorAll(s + ' g.on')].map((g) => g.dataset.id).sort()", GRAPH)


def _wait_shown(page, ids: list[str], timeout=30_000) -> None:
    """Wait until the graph has shown exactly these sub-steps, in this order, since its last animation began."""
    page.wait_for_function("([s, want]) => document.querySelector(s)?.dataset.shown === want",
                           arg=[GRAPH, " ".join(ids)], timeout=timeout)


def test_step_iteration_moves_the_highlight_through_the_sub_steps(page, artifacts):
    click_tab(page, "2-D GAN lab")
    graph = page.locator(GRAPH)
    graph.locator("svg g.node").first.wait_for(state="visible", timeout=30_000)
    assert graph.locator("svg g.node").count() == 7 and graph.locator("svg g.edge").count() == 8
    assert "One iteration = 1 D update, then 1 G update" in graph.locator(".lab2d-graph-cap").inner_text()
    assert graph.locator(".lab2d-graph-dots .dot").count() == 8 and _lit(page) == []  # alive, nothing lit yet
    page.get_by_role("button", name="Step iteration", exact=True).click()
    page.wait_for_function("(s) => document.querySelector(s).dataset.substep === 'd1.sample'", arg=GRAPH,
                           timeout=30_000)
    first = _lit(page)
    assert first == ["real", "z"], first  # D's update starts with a fresh batch of reals and noise
    _wait_shown(page, [f"d1.{p}" for p in PARTS] + [f"g1.{p}" for p in PARTS])
    last = _lit(page)
    assert last == ["D", "D_loss_g", "G", "loss_g", "update_g"], last  # G's loss, through D, back into G
    cap = graph.locator(".lab2d-graph-cap").inner_text()
    assert "G's loss −E log D(G(z))" in cap, cap  # the default loss: non-saturating
    assert page.locator("#toy2d-lab [data-iteration]").get_attribute("data-iteration") == "1"
    page.screenshot(path=str(artifacts / "toy2d-model-graph.png"))


def test_a_link_s_loss_and_k_reach_the_graph_and_step_d_plays_d_s_update(browser, app_url):
    context, page, log = open_page(browser, app_url + "?tab=toy2d&loss=wgan&d_steps=3&seed=4")
    try:
        cap = page.locator(f"{GRAPH} .lab2d-graph-cap")
        page.wait_for_function("(s) => (document.querySelector(s)?.innerText || '').includes('3 D updates')",
                               arg=f"{GRAPH} .lab2d-graph-cap", timeout=30_000)
        assert page.locator(f"{GRAPH} .lab2d-graph-dots .dot").count() == 16  # k = 3: 3 x 4 + 4
        page.get_by_role("button", name="Step D", exact=True).click()
        _wait_shown(page, [f"d1.{p}" for p in PARTS])
        assert "D's loss E C(G(z)) − E C(x)" in cap.inner_text() and "clipped" in cap.inner_text()
        page.locator(f"{GRAPH} .lab2d-graph-dots .dot[data-id='g1.update']").click()  # any sub-step on a click
        assert "G's loss −E C(G(z))" in cap.inner_text()
        assert not log.errors(), log.errors()
    finally:
        context.close()


def test_slow_play_walks_an_iteration_and_pause_ends_the_walk(page):
    click_tab(page, "2-D GAN lab")
    page.locator(f"{GRAPH} svg g.node").first.wait_for(state="visible", timeout=30_000)
    speed = page.locator("#toy2d-live input[type=number]").first
    speed.fill("3")
    speed.press("Enter")
    page.wait_for_timeout(300)  # the slider's value reaches the server with Play's inputs
    page.locator("#toy2d-play").click()
    page.wait_for_function("(s) => document.querySelector(s).dataset.cycle === 'dg' && "
                           "document.querySelector(s).dataset.shown.split(' ').length >= 3", arg=GRAPH,
                           timeout=30_000)
    shown = page.locator(GRAPH).get_attribute("data-shown").split(" ")
    assert shown[:3] == ["d1.sample", "d1.generate", "d1.score"], shown
    assert "Slow Play" in page.locator(f"{GRAPH} .lab2d-graph-cap").inner_text()
    page.locator("#toy2d-pause").click()
    page.wait_for_function("(s) => document.querySelector(s).dataset.substep === ''", arg=GRAPH, timeout=30_000)
    assert "One iteration" in page.locator(f"{GRAPH} .lab2d-graph-cap").inner_text()


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)], ids=["1280x720", "1024x768"])
def test_the_projector_view_shows_the_graph_beside_the_pictures(browser, app_url, artifacts, size):
    context, page, log = open_page(browser, app_url + "?tab=toy2d&preset=Mode%20collapse&big=1", viewport=size)
    try:
        page.locator(f"{GRAPH} svg g.node").first.wait_for(state="visible", timeout=30_000)
        page.locator("#toy2d-buttons button:nth-child(5)").click()  # Step iteration
        page.wait_for_function("(s) => document.querySelector(s).dataset.played === '1'", arg=GRAPH, timeout=30_000)
        w, h = size
        boxes = page.evaluate("""(sels) => sels.map((s) => { const r = document.querySelector(s).getBoundingClientRect();
            return {x: r.x, y: r.y, width: r.width, height: r.height}; })""",
                              [f"{GRAPH} svg", f"{GRAPH} .lab2d-graph-cap", "canvas.lab2d-ds",
                               ".lab2d-row .lab2d-chart:nth-child(3) svg"])
        for b in boxes:
            assert b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["width"] <= w and b["y"] + b["height"] <= h, boxes
        svg, _, ds, _ = boxes
        assert svg["x"] >= ds["x"] + ds["width"] and svg["width"] >= 280, boxes  # its own column, readable
        assert page.evaluate("() => window.scrollY") == 0
        page.screenshot(path=str(artifacts / f"toy2d-graph-projector-{w}x{h}.png"))
        assert not log.errors(), log.errors()
    finally:
        context.close()
