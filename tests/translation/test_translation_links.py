"""Translation tab: share links round-trip (model + example -> URL -> the same controls) and the page
arrives with one example translated."""

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from playground import share
from playground.translation import inference, zoo
from playground.ui.translation import handlers as h


@pytest.fixture(scope="module")
def target():
    from playground.ui.translation import layout as translation_tab

    with gr.Blocks():
        return translation_tab.build()


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
    seen, out = (np.asarray(Image.open(p).convert("RGB")) for p in view["outputs"][:2])
    assert out.shape == (256, 256, 3) and out.std() > 5 and not np.array_equal(seen, out)
    assert f"**{name}**" in view["outputs"][5]
    # the same output the example gives when clicked: translate() on that picture file
    from playground.ui.translation import handlers as translation_handlers

    again = translation_handlers.translate_picture(name, "upload", None, view["gallery"][0], False,
                                                   progress=lambda *a, **k: None)
    assert np.array_equal(np.asarray(Image.open(again[1])), np.asarray(Image.open(view["outputs"][1])))
