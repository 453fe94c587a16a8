"""DCGAN tab: share links round-trip (controls -> URL -> controls), the page opened by a link, and the
guidelines panel's layer table read against the bundled generator's own modules."""

import gradio as gr
import pytest
from torch import nn

from playground import share
from playground.dcgan.lab import PRESETS
from playground.ui.dcgan import handlers as h, layout


@pytest.fixture(scope="module")
def target():
    with gr.Blocks():
        return layout.build()


def _controls(target, state, options=None):
    """What the page's seed, preset and group boxes hold after a link with ``state`` opened."""
    out = target.updates(state, {**share.OPTION_DEFAULTS, **(options or {})})
    return [out[k]["value"] for k in layout.CONTROLS]


@pytest.mark.parametrize("values", [
    {"seed": 7, "preset": None, "a": "7:1, 7:2", "b": "3:4", "c": ""},
    {"seed": 2, "preset": list(PRESETS)[0], **dict(zip("abc", (PRESETS[list(PRESETS)[0]][k] for k in "ABC")))},
    {"seed": 11, "preset": list(PRESETS)[2], "a": "11:0", "b": "3:7, 3:22, 3:23", "c": "0:0, 5:35"},
])
def test_link_round_trip_restores_the_same_controls(target, values):
    query = h.make_link({**values, "link_hide": [], "link_lock": False, "link_big": False})
    tab, state, options, notes = share.parse_query(query)
    assert (tab, notes) == ("dcgan", [])
    assert state == h.link_state(values["seed"], values["preset"], values["a"], values["b"], values["c"])
    seed, preset, a, b, c = _controls(target, state)
    assert h.link_state(seed, preset, a, b, c) == state  # what the boxes show reads back as the same state


def test_presenter_options_hide_groups_and_lock_the_page(target):
    preset = list(PRESETS)[0]
    query = h.make_link({"seed": 2, "preset": preset, "a": PRESETS[preset]["A"], "b": PRESETS[preset]["B"],
                         "c": PRESETS[preset]["C"], "link_hide": ["inversion", "own_model"], "link_lock": True,
                         "link_big": True})
    tab, state, options, notes = share.parse_query(query)
    assert options["hide"] == ("inversion", "own_model") and options["lock"] and options["big"] and not notes
    out = target.updates(state, options)
    assert all(out[k]["interactive"] is False for k in (*layout.CONTROLS, "preset_btn", "clear_btn"))
    visible = {g: out[f"group:{g}"]["visible"] for g in h.GROUPS}
    assert visible == {g: g not in ("inversion", "own_model") for g in h.GROUPS}
    assert out["group:share"]["visible"] is False  # a student's page has no link builder


def test_bad_link_values_become_notes_and_defaults():
    tab, state, options, notes = share.parse_query("tab=dcgan&seed=-3&a=2:17,inv1&preset=Nope&hide=grid,bogus")
    assert tab == "dcgan" and state["seed"] == 2 and state["a"] == [] and state["preset"] is None
    assert options["hide"] == ("grid",) and len(notes) == 4


def test_links_refuse_session_only_faces():
    from playground.errors import UserError

    with pytest.raises(UserError, match="invN"):
        h.make_link({"seed": 2, "preset": None, "a": "inv1", "b": "", "c": ""})


def test_the_page_arrives_with_the_grid_and_the_glasses_result():
    view = h.first_view(h.DEFAULT_SEED)
    assert len(view["gallery"]) == h.GRID_SAMPLES
    assert [cap for _, cap in view["gallery"]][:3] == ["2:0", "2:1", "2:2"]
    assert "glasses" in view["preset"].lower() and all(view[k] for k in h.FIGURE[:5])  # every picture
    assert "Group sizes 3, 3, 1" in view["arith_md"]
    assert [view[g] for g in "abc"] == [PRESETS[view["preset"]][g] for g in "ABC"]  # the preset's groups


def test_layer_table_matches_the_bundled_generators_modules():
    from playground.dcgan.pretrained import load_bundled_generator

    g = load_bundled_generator("cpu")
    mods = list(g.main)
    expected, size = [], 1
    for i, m in enumerate(mods):
        if not isinstance(m, nn.ConvTranspose2d):
            continue
        k, s, p = m.kernel_size[0], m.stride[0], m.padding[0]
        size = (size - 1) * s - 2 * p + k
        bn = isinstance(mods[i + 1], nn.BatchNorm2d)
        act = mods[i + 2] if bn else mods[i + 1]
        params = sum(t.numel() for t in m.parameters()) + (sum(t.numel() for t in mods[i + 1].parameters()) if bn else 0)
        expected.append([f"main.{i}", "ConvTranspose2d", m.in_channels, m.out_channels, k, s, p,
                         f"{m.out_channels}×{size}×{size}", "yes" if bn else "no", type(act).__name__, params])
    assert len(expected) == 5 and expected[-1][7] == "3×64×64" and expected[-1][9] == "Tanh"
    assert h.guidelines()["layers"] == expected
    rules = h.guidelines()["rules"]
    assert {r[1] for r in rules} == {"G", "D"} and all(r[2] == "✓ follows" for r in rules)
    assert len(h.guidelines()["own"]) == 2 and len(h.guidelines()["toys"]) == 3
