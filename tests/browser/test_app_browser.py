"""The real-browser harness: the app renders in Chromium with every tab and no console errors."""

import pytest

from playground.ui.app import available_tabs
from tests.conftest import click_tab

pytestmark = pytest.mark.browser

# Each tab's main action, by its button's label (the README's order of the tabs).
ACTIONS = {
    "2-D GAN lab": "Step iteration",
    "Dirac-GAN": "The paper's settings",
    "DCGAN latent lab": "Show samples",
    "Image translation": "Translate",
    "Metrics": "Compute metrics",
}


def test_each_tab_shows_its_own_controls_and_only_those(page, artifacts):
    from playwright.sync_api import expect

    assert [t.TITLE for _, t in available_tabs()] == list(ACTIONS)
    for title, action in ACTIONS.items():
        click_tab(page, title)
        expect(page.get_by_role("tab", name=title)).to_have_attribute("aria-selected", "true")
        expect(page.get_by_role("button", name=action, exact=True).first).to_be_visible()
        for other_title, other in ACTIONS.items():
            if other_title != title:
                expect(page.get_by_role("button", name=other, exact=True).first).to_be_hidden()
    page.screenshot(path=str(artifacts / "app.png"), full_page=True)
