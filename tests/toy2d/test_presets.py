"""The presets show what they claim, across seeds.

Default run (CI): every preset's claim on seeds 0, 1 and 2, cut to fit the suite. The first-order
presets (collapse, PacGAN, Optimal D) train on the fast path for fewer iterations; the two
second-order cures cannot use it, so they run shorter too: WGAN-GP with both learning rates doubled,
the unrolled GAN for 400 iterations at batch 128 with both learning rates doubled (7 of 8 seeds cover
7+ modes; the same cut run without unrolling must collapse, or the check would not be about unrolling). Slow (``-m slow``): seeds 0-7 at each
preset's own settings and length.

Modes are counted here from G's samples with the VEEGAN/PacGAN definition written out on its own
(``modes_covered`` below), against ring centres computed here, not by ``playground.toy2d.metrics``.
"""

import functools

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from playground.toy2d.presets import PRESETS, make_trainer

SEEDS = range(8)
CI_SEEDS = (0, 1, 2)
NAMES = ["Mode collapse", "Cure: WGAN-GP", "Cure: unrolled", "Cure: PacGAN", "Optimal D", "Saturating vs non-saturating G loss"]
CURES = ["Cure: WGAN-GP", "Cure: unrolled", "Cure: PacGAN"]
# The default run's version of each mode claim: (iterations, overrides of the preset's settings).
CUT = {
    "Mode collapse": (300, {}),
    "Cure: WGAN-GP": (250, dict(lr_g=2e-3, lr_d=1e-2)),
    "Cure: unrolled": (400, dict(batch_size=128, lr_g=2e-3, lr_d=2e-4)),
    "Cure: PacGAN": (400, {}),
}
OPTIMAL_D_CUT = 800


def ring_centres(k=8, radius=2.0):
    """The ring preset's modes: k points evenly spaced on a circle of radius 2 (the WGAN-GP ring)."""
    a = np.arange(k) * 2 * np.pi / k
    return radius * np.c_[np.cos(a), np.sin(a)]


def modes_covered(points, centres, sigma):
    """VEEGAN/PacGAN: a mode is covered when at least one sample lies within 3 sigma of it and nearer to
    it than to any other centre."""
    d = cdist(points, centres)
    nearest = d.argmin(1)
    close = d[np.arange(len(points)), nearest] <= 3 * sigma
    return len(set(nearest[close])), float(close.mean())


@functools.cache
def run(name, seed, iterations=None, **overrides):
    """Of 2,500 samples after training: modes covered, the fraction within 3 sigma of a mode, and their
    spread (mean distance to their centroid: 2, the radius, for samples spread over the whole ring)."""
    t, full = make_trainer(name, seed=seed, log_every=0, **overrides)
    t.step(iterations or full)
    centres = ring_centres()
    np.testing.assert_allclose(np.sort(t.dataset.centers, 0), np.sort(centres, 0), atol=1e-12)
    x = t.generate(2500).astype(np.float64)
    return (*modes_covered(x, centres, t.dataset.sigma), float(np.linalg.norm(x - x.mean(0), axis=1).mean()))


def cut(name, seed, **extra):
    iterations, overrides = CUT[name]
    return run(name, seed, iterations, **{**overrides, **extra})


def test_preset_names_and_fields():
    assert list(PRESETS) == NAMES
    for p in PRESETS.values():
        assert {"description", "config", "iterations", "freeze_d", "freeze_g"} <= set(p)
        assert 20 < len(p["description"]) < 300 and p["iterations"] > 0


def test_mode_counting_on_made_up_samples():
    """The counter itself: samples at 3 of the 8 centres (and one far off) cover 3 modes."""
    c = ring_centres()
    pts = np.r_[c[[0, 0, 2, 5]] + 0.01, [[0.0, 0.0]]]
    assert modes_covered(pts, c, 0.02) == (3, 0.8)


@pytest.mark.parametrize("seed", CI_SEEDS)
def test_mode_collapse_cut(seed):
    """At most 3 of 8 modes, with over a quarter of the samples on them: a collapse, not a G that learnt nothing."""
    modes, on_modes, _ = cut("Mode collapse", seed)
    assert modes <= 3 and on_modes > 0.25, (modes, on_modes)


@pytest.mark.parametrize("seed", CI_SEEDS)
@pytest.mark.parametrize("name", CURES)
def test_cures_cut(name, seed):
    modes, _, _ = cut(name, seed)
    assert modes >= 7, modes


@pytest.mark.parametrize("seed", CI_SEEDS)
def test_unrolled_cut_herds_into_one_clump_without_unrolling(seed):
    """The preset's point: without unrolling the samples herd into one clump (spread under half the ring's
    radius); unrolled, they spread over the ring."""
    modes, _, spread = cut("Cure: unrolled", seed, unroll_steps=0)
    assert modes <= 3 and spread < 1.0, (modes, spread)
    assert cut("Cure: unrolled", seed)[2] > 1.5


@pytest.mark.parametrize("seed", CI_SEEDS)
def test_optimal_d_cut(seed):
    t, _ = make_trainer("Optimal D", seed=seed, log_every=0)
    g0 = [p.clone() for p in t.G.parameters()]
    t.step(OPTIMAL_D_CUT)
    assert all((a == b).all() for a, b in zip(g0, t.G.parameters()))  # G really frozen
    r = t.d_vs_d_star()
    assert r["mae"] < 0.05 and r["cells"] > 0.05 * r["grid_cells"]


@pytest.mark.slow
def test_mode_collapse_across_seeds():
    modes = [run("Mode collapse", s)[0] for s in SEEDS]
    assert sum(m <= 3 for m in modes) >= 6, modes


@pytest.mark.slow
@pytest.mark.parametrize("name", CURES)
def test_cures_across_seeds(name):
    modes = [run(name, s)[0] for s in SEEDS]
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


def test_saturating_preset_changes_only_the_g_loss():
    p = PRESETS["Saturating vs non-saturating G loss"]
    assert p["config"].loss == "minimax" and p["compare"].loss == "nonsaturating"
    assert p["compare"].replace(loss="minimax") == p["config"]  # only the G loss differs


@pytest.mark.parametrize("seed", [*CI_SEEDS, *(pytest.param(s, marks=pytest.mark.slow) for s in SEEDS if s not in CI_SEEDS)])
def test_saturating_loss_gives_vanishing_gradients(seed):
    """Already at its own length (50 iterations): seeds 0-2 in the default run, 3-7 with -m slow."""
    assert g_push("minimax", seed) < 0.2 * g_push("nonsaturating", seed)


@pytest.mark.slow
def test_unrolled_cure_base_collapses_without_unrolling():
    """The cure is the unrolling: the same preset with unroll_steps=0 covers at most 3 modes."""
    modes = [run("Cure: unrolled", s, unroll_steps=0)[0] for s in SEEDS]
    assert sum(m <= 3 for m in modes) >= 6, modes


@pytest.mark.parametrize("name", ["Cure: WGAN-GP", "Cure: PacGAN"])
def test_cures_change_one_thing(name):
    """These cures are the collapse preset with a single change (the loss, or the packing)."""
    base = PRESETS["Mode collapse"]["config"].to_dict()
    cure = PRESETS[name]["config"].to_dict()
    assert len({k for k in base if base[k] != cure[k]}) == 1
