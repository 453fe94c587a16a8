"""Metrics tab: share links round-trip (example, convention, metrics -> URL -> the same controls), and the
precomputed example is stored labelled as such and shown on load."""

import gradio as gr
import pytest

from playground import share
from playground.ui.metrics import handlers as h


@pytest.fixture(scope="module")
def target():
    from playground.ui.metrics import layout

    saved = dict(h._state)
    h._state["result"] = {"table": [["x"]], "notes": "", "label": "stub"}  # no background computation here
    with gr.Blocks():
        yield layout.build()
    h._state.clear()  # the stub must not outlive this module: a server later in the run would show it
    h._state.update(saved)


@pytest.mark.parametrize("example, mode, metrics", [("blurred", "legacy_pytorch", ["fid", "is"]),
                                                    (None, "clean", ["fid", "kid", "pr"]),
                                                    ("noisy", "legacy_tensorflow", ["pr"])])
def test_link_round_trip_restores_example_mode_and_metrics(target, example, mode, metrics):
    query = h.make_link({"example": example, "mode": mode, "metrics": metrics, "link_hide": [], "link_big": False})
    tab, state, options, notes = share.parse_query(query)
    assert (tab, notes) == ("metrics", [])
    assert state == h.link_state(example, mode, metrics)
    out = target.updates(state, options)
    assert h.link_state(out["example"], out["mode"], out["metrics"]) == state and out["link_opened"] is True


def test_presenter_link_hides_the_named_groups(target):
    query = h.make_link({"example": "noisy", "mode": "clean", "metrics": ["fid"], "link_hide": ["inputs", "help"],
                         "link_big": False})
    tab, state, options, notes = share.parse_query(query)
    out = target.updates(state, options)
    assert [out[f"group:{g}"]["visible"] for g in h.GROUPS] == [g not in ("inputs", "help") for g in h.GROUPS]


def test_bad_values_fall_back_with_notes():
    tab, state, options, notes = share.parse_query("tab=metrics&example=cats&mode=bicubic&metrics=fid,ssim")
    assert state == {"example": None, "mode": "clean", "metrics": ["fid", "kid", "pr"]} and len(notes) == 3


def test_page_load_shows_the_stored_result_labelled(monkeypatch, tmp_path):
    import json

    h.wait_precomputed(300)  # a server built earlier in this run may be computing it: let it finish first,
    # or it would store its result in the stand-ins below (and the other tests would never see it)
    monkeypatch.setenv("PLAYGROUND_CACHE", str(tmp_path))
    monkeypatch.setattr(h, "_state", {})
    assert h.precomputed() is None
    waiting = h.on_load({"link_opened": False, "example": None})
    assert set(waiting) == {"status", "example_timer"}  # the results it does not have are left as they are
    assert "being computed" in waiting["status"] and waiting["example_timer"].active  # the same answer starts
    # the timer that fetches it
    assert h.poll_precomputed({}) == {}  # the timer's tick changes nothing until the result is there
    h.store_path().parent.mkdir(parents=True)
    stored = {"version": h.STORE_VERSION, "table": [["FID (clean)", "12.5", "lower is better"]], "notes": "- n",
              "label": "**Precomputed example:** ... (computed at 2026-01-01 10:00 UTC on this server)."}
    h.store_path().write_text(json.dumps(stored))
    for shown in (h.on_load({"link_opened": False, "example": None}), h.poll_precomputed({})):
        assert set(shown) == {*h.STORED, "example_timer"}
        assert (shown["status"], shown["table"], shown["notes"]) == (stored["label"], stored["table"], stored["notes"])
        # a stored result without figures: no empty boxes
        assert not shown["pca_plot"].visible and not shown["fidn_plot"].visible
        assert not shown["example_timer"].active
    linked = h.on_load({"link_opened": True, "example": "noisy"})  # a link's example runs instead
    assert set(linked) == {"example_timer"} and not linked["example_timer"].active


def test_a_page_without_a_link_computes_no_example_and_the_mode_is_explained():
    assert h.run_link_example({"link_opened": False, "example": None, "mode": "clean", "metrics": ["fid"]}) == {}
    assert h.run_link_example({"link_opened": True, "example": None, "mode": "clean", "metrics": ["fid"]}) == {}
    assert h.explain_mode({"mode": "legacy_pytorch"}) == {"mode_help": h.MODE_HELP["legacy_pytorch"]}
    assert h.choose_example("noisy")({}) == {"example": "noisy"}
