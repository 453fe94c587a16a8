"""The model-overview graph: the sub-steps of an iteration for k = 1 and k = 3, each loss's formula in its
captions, and the handlers that tell the page which sub-steps ran (issue #21 part 1)."""

import json
from types import SimpleNamespace

import pytest

from playground.toy2d import graph
from playground.toy2d.config import LOSSES, ToyConfig
from playground.toy2d.losses import OBJECTIVES

PARTS = ["sample", "generate", "score", "update"]


def _ids(steps):
    return [s["id"] for s in steps]


def test_one_iteration_with_k_1_is_d_then_g_each_in_four_sub_steps():
    steps = graph.substeps(ToyConfig(d_steps=1))
    assert _ids(steps) == [f"d1.{p}" for p in PARTS] + [f"g1.{p}" for p in PARTS]
    lit = {s["id"]: (s["nodes"], s["edges"]) for s in steps}
    assert lit["d1.sample"] == (["z", "real"], [])  # a fresh batch of reals and noise
    assert lit["d1.generate"] == (["z", "G", "fake"], ["z_G", "G_fake"])
    assert set(lit["d1.score"][1]) == {"real_D", "fake_D"}  # D scores reals and fakes
    assert lit["d1.update"][1] == ["D_loss_d", "update_d"]
    assert lit["g1.score"][1] == ["fake_D"]  # G's update: D scores only the fakes
    assert lit["g1.update"][1] == ["D_loss_g", "update_g"]  # G's loss, through D, back into G
    assert steps[0]["title"] == "D update · sample"  # no "1 of 1"


def test_k_3_means_three_d_updates_then_one_g_update():
    steps = graph.substeps(ToyConfig(d_steps=3))
    assert _ids(steps) == [f"d{i}.{p}" for i in (1, 2, 3) for p in PARTS] + [f"g1.{p}" for p in PARTS]
    assert [s["player"] for s in steps] == ["d"] * 12 + ["g"] * 4
    assert steps[4]["title"] == "D update 2 of 3 · sample" and steps[4]["of"] == 3
    assert graph.summary(ToyConfig(d_steps=3)).startswith("One iteration = 3 D updates, then 1 G update")


def test_g_steps_freezes_and_single_steps():
    cfg = ToyConfig(d_steps=2, g_steps=2)
    assert [s["id"] for s in graph.substeps(cfg) if s["part"] == "update"] == \
        ["d1.update", "d2.update", "g1.update", "g2.update"]
    assert {s["player"] for s in graph.substeps(cfg, freeze_d=True)} == {"g"}  # as Trainer.step skips frozen D
    assert graph.substeps(cfg, freeze_d=True, freeze_g=True) == []
    # Step D and Step G are one update each, whatever k (the trainer's d_step ignores k and the freezes)
    assert _ids(graph.substeps(ToyConfig(d_steps=0), "d")) == [f"d1.{p}" for p in PARTS]
    assert _ids(graph.substeps(cfg, "g")) == [f"g1.{p}" for p in PARTS]
    with pytest.raises(ValueError):
        graph.substeps(cfg, "x")


def _caption(cfg, step_id):
    return next(s["caption"] for s in graph.substeps(cfg) if s["id"] == step_id)


def test_captions_carry_the_chosen_loss_s_own_formula():
    ns, wgan = ToyConfig(loss="nonsaturating"), ToyConfig(loss="wgan", clip_value=0.02, optimizer="rmsprop",
                                                          lr_d=5e-5)
    assert "−E log D(x) − E log(1 − D(G(z)))" in _caption(ns, "d1.update")
    assert "G's loss −E log D(G(z))" in _caption(ns, "g1.update")
    assert "E C(G(z)) − E C(x)" in _caption(wgan, "d1.update")
    assert "clipped to [−0.02, 0.02]" in _caption(wgan, "d1.update")  # WGAN's Lipschitz trick
    assert "one RMSprop step (lr 5e-05)" in _caption(wgan, "d1.update")
    assert "G's loss −E C(G(z))" in _caption(wgan, "g1.update")
    assert "critic" in _caption(wgan, "d1.score") and "probability" in _caption(ns, "d1.score")
    # the saturating G loss is not the non-saturating one
    assert "G's loss E log(1 − D(G(z)))" in _caption(ToyConfig(loss="minimax"), "g1.update")
    gp = _caption(ToyConfig(loss="wgan_gp", gp_weight=5), "d1.update")
    assert "λ E (‖∇C(x̂)‖ − 1)²" in gp and "λ = 5" in gp
    assert "4 updates later (unrolled GAN)" in _caption(ToyConfig(unroll_steps=4), "g1.update")
    assert "packs of 2" in _caption(ToyConfig(pack=2, batch_size=255), "d1.score")
    assert "254 real points" in _caption(ToyConfig(pack=2, batch_size=255), "d1.sample")  # whole packs only
    for loss in LOSSES:  # every loss: D's formula in D's update, G's in G's
        cfg = ToyConfig(loss=loss)
        assert OBJECTIVES[loss].plain[0] in _caption(cfg, "d1.update")
        assert OBJECTIVES[loss].plain[1] in _caption(cfg, "g1.update")


def test_a_relativistic_g_update_draws_and_scores_reals_too():
    """RaGAN's G loss compares the fakes with the average real: its G update samples reals and D scores both."""
    cfg = ToyConfig(loss="ragan")
    steps = {s["id"]: s for s in graph.substeps(cfg, "g")}
    assert "G's loss −E log σ(C(G(z)) − E C(x)) − E log(1 − σ(C(x) − E C(G(z))))" in steps["g1.update"]["caption"]
    assert "D's loss −E log σ(C(x) − E C(G(z)))" in _caption(cfg, "d1.update")
    assert "real" in steps["g1.sample"]["nodes"] and "256 real points" in steps["g1.sample"]["caption"]
    assert "real_D" in steps["g1.score"]["edges"] and "The critic scores reals and fakes" in steps["g1.score"]["caption"]
    plain = {s["id"]: s for s in graph.substeps(ToyConfig(), "g")}  # a G loss of the fakes alone
    assert plain["g1.sample"]["nodes"] == ["z"] and "real_D" not in plain["g1.score"]["edges"]


def test_every_lit_part_is_drawn_and_the_declaration_is_json():
    nodes = {n["id"] for n in graph.NODES}
    edges = {e["id"] for e in graph.EDGES}
    assert all(e["from"] in nodes and e["to"] in nodes for e in graph.EDGES)
    for loss in LOSSES:
        for s in graph.substeps(ToyConfig(loss=loss, d_steps=2)):
            assert set(s["nodes"]) <= nodes and set(s["edges"]) <= edges and s["caption"]
    assert json.loads(json.dumps(graph.GRAPH)) == graph.GRAPH
    w, h = graph.SIZE
    assert all(n["w"] / 2 <= n["x"] <= w - n["w"] / 2 and n["h"] / 2 <= n["y"] <= h - n["h"] / 2 for n in graph.NODES)


def test_graph_state_says_what_a_step_ran():
    cfg = ToyConfig(d_steps=3)
    assert "ran" not in graph.graph_state(cfg)
    assert graph.graph_state(cfg, "it")["ran"] == "it"  # the iteration's own sub-steps
    assert _ids(graph.graph_state(cfg, "d")["ran"]) == [f"d1.{p}" for p in PARTS]
    assert len(graph.graph_state(cfg, "g")["steps"]) == 16


# ---- the handlers ------------------------------------------------------------------------------------------


def _v(cfg, **extra):
    from playground.ui.toy2d.handlers import control_values

    return {**control_values(cfg), "freeze": [], "show": ["manifold"], **extra}


def test_step_d_step_g_and_step_iteration_report_their_sub_steps():
    from playground.ui.toy2d import handlers as T

    req = SimpleNamespace(session_hash="graph-steps")
    cfg = ToyConfig(d_steps=3, loss="hinge", g_width=16, d_width=16)
    try:
        d = json.loads(T.step_d(_v(cfg), req)["lab"])
        assert d["frame"]["it"] == 0 and _ids(d["graph"]["ran"]) == [f"d1.{p}" for p in PARTS]
        assert "E max(0, 1 − C(x))" in d["graph"]["ran"][3]["caption"]
        g = json.loads(T.step_g(_v(cfg), req)["lab"])
        assert _ids(g["graph"]["ran"]) == [f"g1.{p}" for p in PARTS]
        it = json.loads(T.step_it(_v(cfg), req)["lab"])
        assert it["frame"]["it"] == 1 and it["graph"]["ran"] == "it" and len(it["graph"]["steps"]) == 16
        frozen = json.loads(T.step_it(_v(cfg, freeze=["freeze D"]), req)["lab"])
        assert {s["player"] for s in frozen["graph"]["steps"]} == {"g"}
        reset = json.loads(T.reset(_v(cfg), req)["lab"])
        assert "ran" not in reset["graph"] and reset["graph"]["summary"].startswith("One iteration = 3 D")
    finally:
        T.SESSIONS.free("graph-steps")


def test_a_settings_change_updates_only_the_graph_and_a_bad_one_nothing():
    from playground.ui.toy2d import handlers as T

    out = T.graph_update(_v(ToyConfig(loss="lsgan", d_steps=2)))
    update = out["lab"]
    assert set(out) == {"lab"} and "value" not in update and update["graph"]["steps"][3]["id"] == "d1.update"
    assert "½ E (D(x) − 1)²" in update["graph"]["steps"][3]["caption"]
    bad = T.graph_update(_v(ToyConfig(), batch_size=2, pack=4))  # not a valid run yet: nothing changes
    assert bad == {}
    assert set(T.GRAPH_FIELDS) - {"freeze"} <= set(T.CONFIG_FIELDS)


def test_play_hands_the_page_the_sub_steps_and_slow_frames_say_who_trains():
    from playground.toy2d.scheduler import get_scheduler
    from playground.ui.toy2d import handlers as T
    from tests.toy2d.test_tab import _play

    req = SimpleNamespace(session_hash="graph-play")
    cfg = ToyConfig(d_steps=2, g_width=16, d_width=16, seed=11)
    try:
        run, packets = _play(T, req, cfg, speed=3, frames=3)
        frames = [p["frame"] for p in packets if p.get("frame")]
        assert frames and all(f["slow"] == "dg" for f in frames)  # slow motion: the graph walks the sub-steps
        get_scheduler().stop(run, "paused")
        run, packets = _play(T, req, cfg.replace(seed=12), speed=200, frames=2)
        assert all("slow" not in p["frame"] for p in packets if p.get("frame"))  # a few bytes, only when slow
        get_scheduler().stop(run, "paused")
        value = json.loads(T.start(_v(cfg.replace(seed=13), speed=200), req)["lab"])
        assert value["state"] == "running" and len(value["graph"]["steps"]) == 12
        T.pause({}, req)
    finally:
        T.SESSIONS.free("graph-play")
