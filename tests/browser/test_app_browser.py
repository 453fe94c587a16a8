"""The real-browser harness: the app renders in Chromium with every tab and no console errors."""

import pytest

from playground.ui.app import available_tabs
from tests.conftest import click_tab

pytestmark = pytest.mark.browser


def test_app_renders_every_tab(page, artifacts):
    page.get_by_text("GAN Playground").first.wait_for()
    for tab in available_tabs():
        click_tab(page, tab.TITLE)
        page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "app.png"), full_page=True)
