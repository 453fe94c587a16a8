"""The tab through gradio_client (one call per bundled model) and in the browser (draw -> face)."""

import math

import gradio as gr
import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from playground.translation import data, inference
from playground.ui.common import user_errors
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
    page.get_by_role("tab", name="Draw", exact=True).click()  # the page arrives showing a translated example
    pad = page.locator("#translation-sketchpad")
    pad.locator("canvas").first.wait_for()  # no tool picked by hand: the Brush is the sketchpad's first tool
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
        "document.querySelector('#translation-notes').innerText.includes('edges2face') && "
        "!document.querySelector('#translation-notes').innerText.includes('when the page opened')", timeout=90_000)
    page.wait_for_function("() => { const i = document.querySelector('#translation-output img'); "
                           "return i && i.complete && i.naturalWidth > 0; }", timeout=30_000)
    page.screenshot(path=str(artifacts / "translation_draw_edges2face.png"), full_page=True)
    notes = page.inner_text("#translation-notes")
    assert "PatchGAN" in notes


# ---------------------------------------------------------------- shared models, loading, caching


def _quiet(*_, **__):
    """A stand-in for gr.Progress."""


def _inputs(model, source="upload", sketch=None, upload=None, dropout=False) -> dict:
    """A translation's inputs by name, as the page sends them."""
    return {"model": model, "source": source, "sketch": sketch, "upload": upload, "dropout": dropout}


def test_a_bundled_model_is_loaded_once_and_shared(monkeypatch):
    import threading

    from playground.translation import serving, weights

    inference._load_bundled.cache_clear()  # as in a fresh process
    reads = []
    real_read = weights.read
    monkeypatch.setattr(weights, "read", lambda path, *a, **k: reads.append(path) or real_read(path, *a, **k))
    barrier, got = threading.Barrier(8), []

    def first_use():
        barrier.wait()  # eight sessions translate at the same moment
        got.append(serving.load_shared("gray2color"))

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(reads) == 1 and len(got) == 8 and all(m is got[0] for m in got)
    assert inference.load_model("gray2color") is got[0]  # what the CLI and every other caller get too
    assert not any(p.requires_grad for p in got[0].G.parameters())


def test_a_bundled_translation_never_waits_for_an_official_download(monkeypatch, tmp_path):
    import threading

    from playground.errors import UserError
    from playground.translation import zoo
    from playground.ui.translation import handlers

    started, release = threading.Event(), threading.Event()

    def slow_fetch(name, progress=None, **_):  # a 218 MB download that takes its time, then fails
        started.set()
        release.wait(60)
        raise UserError(f"{name}: offline")

    monkeypatch.setattr(zoo, "fetch", slow_fetch)
    face = _example_input("face2sketch", tmp_path)
    outcome = {}

    def run(name, key):
        try:
            outcome[key] = handlers.translate(_inputs(name, upload=str(face)), progress=_quiet)
        except UserError as exc:
            outcome[key] = exc

    monkeypatch.setattr(gr, "Warning", lambda message, *a, **k: outcome.setdefault("warning", message))
    official = threading.Thread(target=run, args=("horse2zebra", "official"))
    official.start()
    assert started.wait(30)
    bundled = threading.Thread(target=run, args=("face2sketch", "bundled"))
    bundled.start()
    bundled.join(60)
    finished_while_downloading = "bundled" in outcome and not release.is_set()
    release.set()
    official.join(60)
    assert finished_while_downloading
    assert "**face2sketch**" in outcome["bundled"]["notes"]
    assert "could not be loaded" in outcome["official"]["notes"] and outcome["warning"] == "horse2zebra: offline"


def test_an_unavailable_official_model_gives_one_warning_and_keeps_the_pictures(monkeypatch, tmp_path):
    """Offline: the message once, as a warning (a raised error would also put a red "Error" on every output),
    the five pictures left as they were (not among the outputs), and the note replaced: no stale note."""
    from playground.errors import UserError
    from playground.translation import zoo
    from playground.ui.translation import handlers

    def offline(name, progress=None, **_):
        raise UserError(f"Could not download the pix2pix model {name} <from here>.")

    monkeypatch.setattr(zoo, "fetch", offline)
    warnings = []
    monkeypatch.setattr(gr, "Warning", lambda message, *a, **k: warnings.append(message))
    face = _example_input("edges2face", tmp_path)
    out = user_errors(handlers.translate)(_inputs("edges2shoes", upload=str(face)), progress=_quiet)
    # once, and escaped
    assert warnings == ["Could not download the pix2pix model edges2shoes &lt;from here&gt;."]
    assert set(out) == {"notes"} and out["notes"].startswith("**edges2shoes** could not be loaded")
    # the examples stay too: an official model leaves the gallery as it is and says what it expects
    shown = handlers.examples({"model": "edges2shoes"})
    assert set(shown) == {"gallery_note"} and "upload one" in shown["gallery_note"]


def test_a_stroke_never_downloads_an_official_model(monkeypatch, tmp_path):
    from playground.translation import zoo
    from playground.ui.translation import handlers

    monkeypatch.setenv("PLAYGROUND_ZOO_DIR", str(tmp_path / "zoo"))  # nothing downloaded yet
    monkeypatch.setattr(zoo, "fetch", lambda *a, **k: pytest.fail("a stroke started a download"))
    drawing = {"background": None, "layers": [], "composite": str(_example_input("edges2face", tmp_path))}
    out = handlers.translate_drawing(_inputs("edges2shoes", "drawing", sketch=drawing), progress=_quiet)
    assert set(out) == {"notes"} and "Press **Translate**" in out["notes"]  # the pictures stay


def test_a_cleared_sketchpad_changes_nothing_but_translate_asks_for_a_drawing():
    from playground.ui.translation import handlers

    cleared = _inputs("edges2face", "drawing", sketch={"background": None, "layers": [], "composite": None})
    assert handlers.translate_drawing(cleared, progress=_quiet) == {}  # no output changes
    with pytest.raises(gr.Error, match="The sketchpad is empty"):  # the page's event (ui.common.on): a toast
        user_errors(handlers.translate)(cleared, progress=_quiet)


def test_same_input_is_translated_once_and_dropout_is_never_reused(monkeypatch, tmp_path):
    from playground.ui.translation import handlers

    calls = []
    real = inference.translate
    monkeypatch.setattr(inference, "translate", lambda *a, **k: calls.append(k) or real(*a, **k))
    monkeypatch.setattr(handlers, "_results", handlers.ResultCache())
    face = _example_input("gray2color", tmp_path)
    copy = tmp_path / "same-pixels-other-name.png"
    copy.write_bytes(face.read_bytes())
    def run(path, dropout):
        return handlers.translate(_inputs("gray2color", upload=str(path), dropout=dropout), progress=_quiet)

    first = run(face, False)
    again = run(copy, False)
    assert len(calls) == 1 and again == first
    run(face, True)
    run(face, True)
    assert len(calls) == 3  # a sample with G's dropout noise is drawn anew every time
    out = np.asarray(Image.open(first["output"]))
    assert out.shape == (256, 256, 3) and Image.open(first["output"]).format == "JPEG"
    assert Image.open(first["seen"]).format == "JPEG"  # a gray photo: JPEG (edge maps stay PNG)
