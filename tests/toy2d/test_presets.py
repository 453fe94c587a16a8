"""The presets show what they claim, across seeds.

The full claims (8 seeds each) are marked slow; one real end-to-end preset check runs by default.
"""

import numpy as np
import pytest

from playground.toy2d.presets import PRESETS, make_trainer

SEEDS = range(8)
NAMES = ["Mode collapse", "Cure: WGAN-GP", "Cure: unrolled", "Cure: PacGAN", "Optimal D", "Saturating vs non-saturating G loss"]


def final_modes(name, seed):
    t, iterations = make_trainer(name, seed=seed, log_every=0)
    t.step(iterations)
    return t.metrics()["modes_covered"]


def test_preset_names_and_fields():
    assert list(PRESETS) == NAMES
    for p in PRESETS.values():
        assert {"description", "config", "iterations", "freeze_d", "freeze_g"} <= set(p)
        assert 20 < len(p["description"]) < 300 and p["iterations"] > 0


def test_optimal_d_default_seed():
    """Default run: one real preset, trained for its real iteration count."""
    t, iterations = make_trainer("Optimal D", seed=0, log_every=0)
    g0 = [p.clone() for p in t.G.parameters()]
    t.step(iterations)
    assert all((a == b).all() for a, b in zip(g0, t.G.parameters()))  # G really frozen
    r = t.d_vs_d_star()
    assert r["mae"] < 0.05 and r["cells"] > 0.05 * r["grid_cells"]


def test_mode_collapse_one_seed():
    """Default run: the collapse preset at its real length on one seed."""
    assert final_modes("Mode collapse", 0) <= 3


@pytest.mark.slow
def test_mode_collapse_across_seeds():
    modes = [final_modes("Mode collapse", s) for s in SEEDS]
    assert sum(m <= 3 for m in modes) >= 6, modes


@pytest.mark.slow
@pytest.mark.parametrize("name", ["Cure: WGAN-GP", "Cure: unrolled", "Cure: PacGAN"])
def test_cures_across_seeds(name):
    modes = [final_modes(name, s) for s in SEEDS]
    assert sum(m >= 7 for m in modes) >= 6, modes


@pytest.mark.slow
def test_optimal_d_across_seeds():
    maes = []
    for s in SEEDS:
        t, iterations = make_trainer("Optimal D", seed=s, log_every=0)
        t.step(iterations)
        maes.append(t.d_vs_d_star()["mae"])
    assert max(maes) < 0.05, maes


def g_push(loss, seed, iterations=50):
    """Mean length of G's gradient arrows on the fakes after a few iterations."""
    t, _ = make_trainer("Saturating vs non-saturating G loss", seed=seed, compare=(loss == "nonsaturating"), log_every=0)
    t.step(iterations)
    return float(np.linalg.norm(t.snapshot(res=16)["arrows_dir"], axis=1).mean())


def test_saturating_loss_gives_vanishing_gradients_one_seed():
    p = PRESETS["Saturating vs non-saturating G loss"]
    assert p["config"].loss == "minimax" and p["compare"].loss == "nonsaturating"
    assert p["compare"].replace(loss="minimax") == p["config"]  # only the G loss differs
    assert g_push("minimax", 0) < 0.2 * g_push("nonsaturating", 0)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_saturating_loss_gives_vanishing_gradients(seed):
    assert g_push("minimax", seed) < 0.2 * g_push("nonsaturating", seed)


@pytest.mark.slow
def test_unrolled_cure_base_collapses_without_unrolling():
    """The cure is the unrolling: the same preset with unroll_steps=0 covers at most 3 modes."""
    modes = []
    for s in SEEDS:
        t, iterations = make_trainer("Cure: unrolled", seed=s, unroll_steps=0, log_every=0)
        t.step(iterations)
        modes.append(t.metrics()["modes_covered"])
    assert sum(m <= 3 for m in modes) >= 6, modes


@pytest.mark.parametrize("name", ["Cure: WGAN-GP", "Cure: PacGAN"])
def test_cures_change_one_thing(name):
    """These cures are the collapse preset with a single change (the loss, or the packing)."""
    base = PRESETS["Mode collapse"]["config"].to_dict()
    cure = PRESETS[name]["config"].to_dict()
    assert len({k for k in base if base[k] != cure[k]}) == 1
