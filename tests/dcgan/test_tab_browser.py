"""Clicking exemplars in the gallery fills groups A, B, C and shows the arithmetic result."""

import time

import pytest

from tests.conftest import click_tab

pytestmark = pytest.mark.browser


def _click_sample(page, index: int) -> None:
    page.locator("#dcgan-gallery .thumbnail-item").nth(index).click()


def _result_src(page) -> str | None:
    img = page.locator("#dcgan-result img")
    return img.first.get_attribute("src") if img.count() else None


def test_click_exemplars_into_groups_and_see_result(page, artifacts):
    click_tab(page, "DCGAN latent lab")
    seed = page.get_by_label("Grid seed")
    seed.fill("2")
    page.get_by_role("button", name="Show samples").click()
    page.locator("#dcgan-gallery .thumbnail-item").nth(35).wait_for(timeout=60_000)
    # the page arrives with the glasses preset's groups filled: start from empty groups
    page.get_by_role("button", name="Clear groups").click()
    page.wait_for_function("() => document.querySelector('#dcgan-a textarea').value === ''", timeout=15_000)

    picks = {"A": [17, 22, 28], "B": [14, 20, 3], "C": [6]}
    boxes = {"A": "#dcgan-a textarea", "B": "#dcgan-b textarea", "C": "#dcgan-c textarea"}
    for group, indices in picks.items():
        page.locator("#dcgan-target").get_by_label(group, exact=True).check()
        for i in indices:
            before = page.locator(boxes[group]).input_value()
            _click_sample(page, i)
            page.wait_for_function(
                "([sel, before]) => document.querySelector(sel).value !== before",
                arg=[boxes[group], before], timeout=15_000,
            )
    assert page.locator("#dcgan-a textarea").input_value() == "2:17, 2:22, 2:28"
    assert page.locator("#dcgan-b textarea").input_value() == "2:14, 2:20, 2:3"
    assert page.locator("#dcgan-c textarea").input_value() == "2:6"

    page.locator("#dcgan-result img").first.wait_for(timeout=30_000)
    page.locator("#dcgan-equation img").first.wait_for(timeout=30_000)
    assert "Group sizes 3, 3, 1" in page.locator("#dcgan-arith-msg").inner_text()
    # each strip shows its exemplars and their mean (3 + 1 tiles of 64 px, 2x) even though it was drawn
    # while the other groups were still empty
    page.wait_for_function(
        "() => { const i = document.querySelector('#dcgan-strip-a img');"
        " return i && i.complete && i.naturalWidth === 560; }", timeout=15_000,
    )

    # Latency of one arithmetic update as the student sees it: click -> new result image.
    page.locator("#dcgan-target").get_by_label("C", exact=True).check()
    before = _result_src(page)
    t0 = time.perf_counter()
    _click_sample(page, 35)  # 2:35 joins group C: new mean(C), new result
    page.wait_for_function(
        "(before) => { const i = document.querySelector('#dcgan-result img');"
        " return i && i.src !== before; }",
        arg=before, timeout=30_000,
    )
    latency = time.perf_counter() - t0
    print(f"browser arithmetic update: {latency * 1000:.0f} ms")
    (artifacts / "dcgan_arithmetic_latency.txt").write_text(f"{latency * 1000:.0f} ms\n")
    assert page.locator("#dcgan-c textarea").input_value() == "2:6, 2:35"

    page.locator("#dcgan-equation").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "dcgan_arithmetic.png"), full_page=True)


def test_preset_interpolation_walk_and_inversion(page, artifacts):
    click_tab(page, "DCGAN latent lab")
    page.get_by_role("button", name="Load preset").click()
    page.locator("#dcgan-result img").first.wait_for(timeout=60_000)
    assert page.locator("#dcgan-a textarea").input_value() == "2:17, 2:22, 2:28"
    page.locator("#dcgan-gallery .thumbnail-item").nth(35).wait_for(timeout=30_000)

    # interpolation ends and the direction base, picked by clicking
    for target, index in (("Interpolation start", 17), ("Interpolation end", 6), ("Direction base", 6)):
        page.locator("#dcgan-target").get_by_label(target, exact=True).check()
        _click_sample(page, index)
    page.wait_for_function(
        "() => document.querySelector('#dcgan-base textarea').value === '2:6'", timeout=15_000
    )
    page.get_by_role("button", name="Interpolate").click()
    page.locator("#dcgan-slerp img").first.wait_for(timeout=30_000)
    assert "slerp" in page.locator("#dcgan-norms").inner_text()
    page.get_by_role("button", name="Apply direction").click()
    page.locator("#dcgan-moved img").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Make walk GIF").click()
    page.locator("#dcgan-walk img").first.wait_for(timeout=30_000)
    assert ".gif" in (page.locator("#dcgan-walk img").first.get_attribute("src") or "")

    # inversion of the base sample, then into group C
    page.get_by_role("button", name="Use the direction base sample as the target").click()
    page.locator("#dcgan-upload img").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Find z").click()
    page.get_by_text("Saved as inv1").wait_for(timeout=90_000)
    page.get_by_role("button", name="Add last inversion to C").click()
    page.wait_for_function(
        "() => document.querySelector('#dcgan-c textarea').value.includes('inv1')", timeout=15_000
    )
    page.wait_for_timeout(1500)
    page.screenshot(path=str(artifacts / "dcgan_tab_full.png"), full_page=True)
