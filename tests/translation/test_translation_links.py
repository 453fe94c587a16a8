"""Translation tab: share links round-trip (model + example -> URL -> the same controls) and the page
arrives with one example translated."""

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from playground import share
from playground.translation import inference, zoo
from playground.ui.translation import handlers as h, layout


@pytest.fixture(scope="module")
def target():
    with gr.Blocks():
        return layout.build()


@pytest.mark.parametrize("model, example", [("gray2color", 3), ("sketch2face", None), (next(iter(zoo.MODELS)), None),
                                            ("edges2face", 0), ("face2sketch", 7)])
def test_link_round_trip_restores_model_and_example(target, model, example):
    query = h.make_link({"model": model, "example": example, "link_hide": [], "link_big": False})
    tab, state, options, notes = share.parse_query(query)
    assert (tab, notes) == ("translation", [])
    assert state == h.link_state(model, example)
    out = target.updates(state, options)
    assert h.link_state(out["model"], out["example"]) == state and out["link_opened"] is True


def test_presenter_link_hides_the_named_groups(target):
    query = h.make_link({"model": "gray2color", "example": 1, "link_hide": ["model", "input"], "link_big": True})
    tab, state, options, notes = share.parse_query(query)
    assert options["hide"] == ("model", "input") and options["big"]
    out = target.updates(state, options)
    assert [out[f"group:{g}"]["visible"] for g in h.GROUPS] == [g == "output" for g in h.GROUPS]
    assert out["group:share"]["visible"] is False  # a presenter link hides the link builder too


def test_stale_link_values_fall_back_with_notes():
    tab, state, options, notes = share.parse_query("tab=translation&model=horse2unicorn&example=99")
    assert state == {"model": next(iter(inference.bundled_entries())), "example": None} and len(notes) == 2


def test_the_page_arrives_with_an_example_translated():
    name = next(iter(inference.bundled_entries()))
    view = h.first_view(name)
    assert len(view["gallery"]) == 8
    seen, out = (np.asarray(Image.open(view["outputs"][k]).convert("RGB")) for k in ("seen", "output"))
    assert out.shape == (256, 256, 3) and out.std() > 5 and not np.array_equal(seen, out)
    assert f"**{name}**" in view["outputs"]["notes"]
    # the same output the example gives when clicked: translate() on that picture file
    again = h.translate({"model": name, "source": "upload", "sketch": None, "upload": view["gallery"][0],
                         "dropout": False}, progress=lambda *a, **k: None)
    assert np.array_equal(np.asarray(Image.open(again["output"])), np.asarray(Image.open(view["outputs"]["output"])))


def test_an_opened_link_shows_its_example_translated():
    """After a link set the model and the example: the model's examples, that example as the uploaded input
    (Examples shown), and its translation; a page opened without a link, or a link without an example, changes
    nothing."""
    name = "gray2color"
    out = h.after_link({"link_opened": True, "model": name, "example": 2})
    assert set(out) == {*h.EXAMPLES, "upload", "source", "inner", *h.OUTPUTS}
    assert len(out["gallery"]) == 8 and out["upload"] == out["gallery"][2] and out["source"] == "upload"
    assert out["inner"].selected == "examples" and f"**{name}**" in out["notes"]
    assert out["realness"] is not None and out["recon"] is None  # pix2pix: a realness map, no cycle
    clicked = h.translate({"model": name, "source": "upload", "sketch": None, "upload": out["gallery"][2],
                           "dropout": False}, progress=lambda *a, **k: None)
    assert np.array_equal(np.asarray(Image.open(out["output"])), np.asarray(Image.open(clicked["output"])))
    assert h.after_link({"link_opened": False, "model": name, "example": 2}) == {}
    assert h.after_link({"link_opened": True, "model": name, "example": None}) == {}


@pytest.mark.parametrize("model, pix2pix", [("edges2face", True), ("face2sketch", False),
                                            (next(iter(zoo.MODELS)), zoo.MODELS[next(iter(zoo.MODELS))].kind ==
                                             "pix2pix")])
def test_a_model_shows_its_own_outputs(model, pix2pix):
    """pix2pix: the realness map and G's dropout switch; CycleGAN: the reconstruction and its error."""
    out = h.model_changed({"model": model})
    assert {k: u["visible"] for k, u in out.items()} == {"realness": pix2pix, "dropout": pix2pix,
                                                          "recon": not pix2pix, "error": not pix2pix}


def test_a_clicked_example_becomes_the_uploaded_input():
    view = h.first_view(next(iter(inference.bundled_entries())))
    gallery = [(path, None) for path in view["gallery"]]  # as Gradio preprocesses a gallery
    out = h.use_example({"gallery": gallery, "clicked": 3})
    assert set(out) == {"upload", "source", "example"} and out["source"] == "upload" and out["example"] == 3
    assert np.array_equal(out["upload"], np.asarray(Image.open(view["gallery"][3]).convert("RGB")))
