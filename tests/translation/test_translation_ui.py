"""The tab through gradio_client (one call per bundled model) and in the browser (draw -> face)."""

import math
import time

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from playground.translation import data, inference
from tests.conftest import click_tab

BUNDLED = ["edges2face", "gray2color", "face2sketch", "sketch2face"]


def _example_input(name, tmp_path):
    face = data.make_faces(2, 55555)
    img = {"edges2face": data.edge_map(face[:1])[0], "gray2color": data.to_gray(face[:1])[0],
           "face2sketch": face[0], "sketch2face": data.pencil_sketch(face[1:])[0]}[name]
    if img.shape[-1] == 1:
        img = np.repeat(img, 3, -1)
    path = tmp_path / f"{name}.png"
    Image.fromarray(np.round(img * 255).astype(np.uint8)).save(path)
    return path


@pytest.mark.parametrize("name", BUNDLED)
def test_translate_endpoint_per_bundled_model(client, name, tmp_path):
    assert name in inference.bundled_entries(), f"{name} missing from pretrained/manifest.json"
    seen, out, realness, rec, err, notes = client.predict(
        name, "upload", None, handle_file(str(_example_input(name, tmp_path))), False, api_name="/translate")
    out_img = np.asarray(Image.open(out).convert("RGB"))
    assert out_img.shape == (256, 256, 3) and out_img.std() > 5  # an image, not a flat fill
    assert f"**{name}**" in notes
    if name in ("edges2face", "gray2color"):
        assert realness is not None and rec is None and "PatchGAN" in notes
    else:
        assert rec is not None and err is not None and "mean |A − A′|" in notes


def test_examples_endpoint(client):
    gallery, note = client.predict("edges2face", api_name="/translation_examples")
    assert len(gallery) == 8


@pytest.mark.browser
def test_draw_edges_get_a_face(page, artifacts):
    click_tab(page, "Image translation")
    pad = page.locator("#translation-sketchpad")
    pad.locator("button[aria-label='Brush']").click()
    page.keyboard.press("Escape")
    b0 = pad.locator("canvas").first.bounding_box()
    side = min(b0["width"], b0["height"]) * 0.8
    x0, y0 = b0["x"] + b0["width"] / 2 - side / 2, b0["y"] + b0["height"] / 2 - side / 2

    def stroke(points):
        page.mouse.move(x0 + points[0][0] * side, y0 + points[0][1] * side)
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x0 + x * side, y0 + y * side, steps=2)
        page.mouse.up()

    stroke([(0.5 + 0.3 * math.cos(t / 24 * 2 * math.pi), 0.5 + 0.38 * math.sin(t / 24 * 2 * math.pi))
            for t in range(25)])
    for cx in (0.38, 0.62):  # eyes
        stroke([(cx - 0.06, 0.42), (cx, 0.39), (cx + 0.06, 0.42)])
    stroke([(0.5, 0.45), (0.48, 0.58), (0.52, 0.6)])  # nose
    stroke([(0.4, 0.7), (0.5, 0.74), (0.6, 0.7)])  # mouth
    page.wait_for_function(
        "() => document.querySelector('#translation-notes') && "
        "document.querySelector('#translation-notes').innerText.includes('edges2face')", timeout=90_000)
    time.sleep(1)
    src = page.locator("#translation-output img").first.get_attribute("src")
    assert src
    page.screenshot(path=str(artifacts / "translation_draw_edges2face.png"), full_page=True)
    notes = page.inner_text("#translation-notes")
    assert "PatchGAN" in notes
