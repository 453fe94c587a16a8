"""The Dirac-GAN tab: its answer to a change (picture, eigenvalues, the objective's own knobs), the picture it
opens with, and its share links (settings -> URL -> the same controls; bad values -> defaults and notes)."""

import gradio as gr
import pytest

from playground import share
from playground.toy2d.dirac import DiracSettings
from playground.ui.dirac import handlers as t, layout


@pytest.fixture(scope="module")
def target():
    with gr.Blocks():
        yield layout.build()


def test_the_tab_opens_with_the_papers_picture(target):
    """Alive on arrival: the figure's first value is the standard GAN's spiral, the eigenvalues beside it."""
    c = target.c
    assert c["figure"].value.startswith("<svg") and "Standard GAN · simultaneous updates" in c["figure"].value
    assert "±0.5000i" in c["eigen"].value and "spirals **out**" in c["eigen"].value
    assert not any(c[k].visible for k in t.KNOBS) and c["no_knobs"].visible


@pytest.mark.parametrize("variant, rule, eigen, verdict, knob", [
    ("gan", "alternating", "±0.5000i", "**circles**", None),
    ("r1", "simultaneous", "−0.1500 ± 0.4770i", "spirals **in**", "gamma"),
    ("instance_noise", "alternating", "−0.1225 ± 0.4848i", "spirals **in**", "sigma"),
    ("wgan", "simultaneous", "±1.0000i", "spirals **out**", "clip"),
    ("wgan_gp", "simultaneous", "−0.3500 ± 0.9367i", "field jumps", "gp"),
])
def test_a_change_redraws_with_the_variants_eigenvalues_and_knob(variant, rule, eigen, verdict, knob):
    out = t.show(DiracSettings(variant=variant, rule=rule).to_dict())
    assert set(out) == {"figure", "eigen", "no_knobs", *t.KNOBS}
    assert out["figure"].startswith("<svg") and f"· {rule} updates" in out["figure"]
    assert eigen in out["eigen"] and verdict in out["eigen"]
    assert [k for k in t.KNOBS if out[k]["visible"]] == ([knob] if knob else [])
    assert out["no_knobs"]["visible"] is (knob is None)


def test_bad_values_from_a_client_are_refused_with_the_settings_name():
    from playground.errors import UserError

    with pytest.raises(UserError, match="h"):
        t.show({**DiracSettings().to_dict(), "h": 7})


@pytest.mark.parametrize("settings", [DiracSettings(), DiracSettings(variant="r1", rule="alternating", gamma=1.0),
                                      DiracSettings(variant="instance_noise", h=0.35, n_steps=1200, sigma=1.25),
                                      DiracSettings(variant="wgan", clip=0.5, n_steps=40)])
def test_link_round_trip_restores_every_setting(target, settings):
    query = t.make_link({**settings.to_dict(), "link_hide": [], "link_big": False})
    assert query.startswith("?tab=dirac&variant=")
    tab, state, options, notes = share.parse_query(query)
    assert (tab, notes) == ("dirac", [])
    assert DiracSettings(**state) == settings
    out = target.updates(state, options)
    assert DiracSettings(**{n: out[n] for n in t.FIELDS}) == settings and out["link_opened"] is True


def test_presenter_link_hides_the_named_groups(target):
    query = t.make_link({**DiracSettings(variant="r1").to_dict(), "link_hide": ["notes", "knobs"], "link_big": True})
    assert "hide=notes,knobs" in query and "big=1" in query
    tab, state, options, notes = share.parse_query(query)
    assert options["big"] and notes == []
    out = target.updates(state, options)
    shown = [out[f"group:{g}"]["visible"] for g in t.GROUPS] + [out["group:share"]["visible"]]
    assert shown == [g not in ("notes", "knobs") for g in t.GROUPS] + [False]  # the share panel goes too


def test_bad_link_values_fall_back_with_a_note_each():
    tab, state, options, notes = share.parse_query("tab=dirac&variant=lsgan&h=5&n_steps=abc&gamma=0.5")
    assert tab == "dirac" and len(notes) == 3
    assert state == {**DiracSettings().to_dict(), "gamma": 0.5}
    assert any("variant = 'lsgan'" in n for n in notes)
    assert any("h = '5' is not accepted; expected a number between 0.01 and 1" in n for n in notes)


def test_an_opened_link_draws_its_picture_and_a_plain_page_keeps_the_first(target):
    calls = []

    class Event:
        def then(self, fn, inputs, outputs, **kw):
            calls.append((fn, inputs, outputs))

    target.after(Event())
    [(fn, inputs, outputs)] = calls
    values = {**DiracSettings(variant="r1").to_dict()}
    out = fn(True, *(values[n] for n in t.FIELDS))
    assert "R1 gradient penalty" in out[target.c["figure"]]
    assert fn(False, *(values[n] for n in t.FIELDS)) == gr.skip()  # a page opened without a link keeps its picture
