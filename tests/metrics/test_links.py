"""Metrics tab: share links round-trip (example, convention, metrics -> URL -> the same controls), and the
precomputed example is stored labelled as such and shown on load."""

import gradio as gr
import pytest

from playground import share
from playground.ui import metrics_handlers as h


@pytest.fixture(scope="module")
def target():
    from playground.ui import metrics_tab

    saved = dict(h._state)
    h._state["result"] = {"table": [["x"]], "notes": "", "label": "stub"}  # no background computation here
    with gr.Blocks():
        yield metrics_tab.build()
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
    label, table, notes, pca, fidn, timer = h.on_load({"link_opened": False, "example": None})
    assert "being computed" in label and timer.active  # the same answer starts the timer that fetches it
    h.store_path().parent.mkdir(parents=True)
    stored = {"version": h.STORE_VERSION, "table": [["FID (clean)", "12.5", "lower is better"]], "notes": "- n",
              "label": "**Precomputed example:** ... (computed at 2026-01-01 10:00 UTC on this server)."}
    h.store_path().write_text(json.dumps(stored))
    shown = h.on_load({"link_opened": False, "example": None})
    assert shown[:3] == (stored["label"], stored["table"], stored["notes"])
    assert not shown[3].visible and not shown[4].visible  # a stored result without figures: no empty boxes
    assert not shown[5].active
    assert h.on_load({"link_opened": True, "example": "noisy"})[0] is not None  # a link's example runs instead
