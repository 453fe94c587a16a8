"""Text from visitors is always text (issue #22): an HTML file name in an error toast, HTML in a DCGAN
group and an HTML link value each show as the characters typed, and no element is made from them."""

from __future__ import annotations

import urllib.parse
import zipfile

import pytest

from tests.conftest import click_tab, open_page

pytestmark = pytest.mark.browser

PHISH = '<a href="https://evil.example" style="position:fixed;inset:0;background:#fff">Your session expired</a>'
TOAST = '[data-testid="toast-body"]'


def _toast(page, text: str):
    """The error toast that contains ``text`` (waited for)."""
    toast = page.locator(TOAST).filter(has_text=text)
    toast.first.wait_for(timeout=30_000)
    return toast.first


def test_an_html_member_name_shows_as_text_in_the_error_toast(page, tmp_path, artifacts):
    zpath = tmp_path / "generated.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        z.writestr(f"../{PHISH}.png", b"x")  # the member name: an unsafe path that is also a link
    click_tab(page, "Metrics")
    page.locator("#metrics-fake-files input[type=file]").set_input_files(str(zpath))
    page.locator("#metrics-real-files input[type=file]").set_input_files(str(zpath))
    for box in ("#metrics-fake-files", "#metrics-real-files"):
        page.locator(box).get_by_text("generated").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Compute metrics").click()
    toast = _toast(page, "unsafe path")
    text = toast.inner_text()
    # the name as typed (its first 60 characters), then the rest of the message
    assert "contains an unsafe path ('../<a href=\"https://evil.example\" style=\"position:fixed;inse'" in text, text
    assert text.rstrip().endswith("characters)); refusing the zip."), text
    assert toast.locator("a").count() == 0 and page.locator('a[href="https://evil.example"]').count() == 0
    page.screenshot(path=str(artifacts / "visitor-text-toast.png"))


def test_html_in_a_dcgan_group_shows_as_text_and_the_message_goes_on(page, artifacts):
    click_tab(page, "DCGAN latent lab")
    group = "<i><a/href=//evil.example>x"  # one token (no comma or space): an unclosed tag and a link
    page.locator("#dcgan-a textarea").fill(group)
    page.get_by_role("button", name="Compute", exact=True).click()
    toast = _toast(page, "in group A")
    text = toast.inner_text()
    assert f"I cannot read '{group}' in group A: write samples as seed:index" in text, text
    assert "separated by commas." in text  # the rest of the message is not swallowed by the open tags
    assert toast.locator("i, a").count() == 0
    page.screenshot(path=str(artifacts / "visitor-text-dcgan-group.png"))


def test_an_html_link_value_shows_as_text_in_the_link_note(browser, app_url):
    query = "?" + urllib.parse.urlencode({"tab": "toy2d", "lr_d": PHISH})
    context, page, log = open_page(browser, app_url + query)
    try:
        note = page.locator("#link-notes .link-notes")
        note.wait_for(timeout=15_000)
        assert f"lr_d = '{PHISH[:30]}" in note.inner_text()  # quoted and cut short, as typed
        assert page.locator("#link-notes a").count() == 0
        assert page.locator('a[href="https://evil.example"]').count() == 0
        assert not log.errors(), log.errors()
    finally:
        context.close()
