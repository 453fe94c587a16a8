"""Screenshots of every tab for the README, taken from the running app in headless Chromium.

    python scripts/screenshots.py [--out playground/ui/screenshots]

Each tab is shown after its one-click example has run, the way a class would first see it.
The translation tab's picture needs a drawing on the sketchpad: it is the screenshot the browser test
``tests/translation/test_translation_ui.py`` saves (test-artifacts/translation_draw_edges2face.png).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playground.device import default_threads  # noqa: E402
from playground.ui.app import build_demo, launch_kwargs  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def shoot_toy2d(page, out: Path) -> None:
    page.get_by_role("tab", name="2-D GAN lab").click()
    page.locator("#toy2d-play").click()
    page.wait_for_timeout(12_000)
    page.locator("#toy2d-pause").click()
    page.wait_for_timeout(1500)
    # one Step iteration: the model graph plays its sub-steps and stays on the last (G's update through D)
    page.get_by_role("button", name="Step iteration", exact=True).click()
    page.wait_for_function("() => document.querySelector('#toy2d-graph').dataset.played === '1'", timeout=30_000)
    page.screenshot(path=str(out / "toy2d.png"), full_page=True, clip={"x": 0, "y": 0, "width": 1400, "height": 1940})


def shoot_dcgan(page, out: Path) -> None:
    page.get_by_role("tab", name="DCGAN latent lab").click()
    page.get_by_role("button", name="Show samples").click()
    page.wait_for_timeout(8000)
    page.get_by_role("button", name="Load preset").click()
    page.wait_for_timeout(8000)
    page.screenshot(path=str(out / "dcgan.png"), full_page=True, clip={"x": 0, "y": 0, "width": 1400, "height": 2300})


def shoot_dirac(page, out: Path) -> None:
    page.get_by_role("tab", name="Dirac-GAN").click()
    page.locator("#dirac-figure svg.dirac-figure").wait_for(state="visible")
    page.wait_for_timeout(1000)
    page.screenshot(path=str(out / "dirac.png"), full_page=True, clip={"x": 0, "y": 0, "width": 1400, "height": 1000})


def shoot_metrics(page, out: Path) -> None:
    page.get_by_role("tab", name="Metrics").click()
    page.get_by_role("button", name="Example:").first.click()
    page.wait_for_timeout(90_000)
    page.screenshot(path=str(out / "metrics.png"), full_page=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "playground" / "ui" / "screenshots"))
    ap.add_argument("--tabs", default="toy2d,dirac,dcgan,metrics")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    default_threads()
    demo = build_demo()
    demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, **launch_kwargs())
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        for name in a.tabs.split(","):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(demo.local_url)
            page.wait_for_selector("h1:has-text('GAN Playground')")
            globals()[f"shoot_{name}"](page, out)
            print("wrote", out / f"{name}.png")
            page.close()
        browser.close()
    demo.close()


if __name__ == "__main__":
    main()
