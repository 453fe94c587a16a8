"""Each compare preset tells its story: B beats A the way its description says, across seeds.

Default runs: seeds 0 and 1, cut short (after 100-200 iterations the effect is there, or for k = 1
vs k = 5 at least its direction).
Slow runs (-m slow): seeds 0-7 at each preset's full length.
"""

import functools

import numpy as np
import pytest

from playground.toy2d.presets import COMPARE_PRESETS, PRESETS, make_compare_trainers

COLLAPSE = "Compare: collapse vs cure (WGAN-GP, 5 critic steps)"
SATURATING = "Compare: saturating vs non-saturating G loss (SGD)"
K_STEPS = "Compare: k = 1 vs k = 5 critic steps (WGAN-GP)"
SEEDS = range(8)


def test_fields_and_one_change_per_pair():
    assert list(COMPARE_PRESETS) == [COLLAPSE, SATURATING, K_STEPS]
    assert not set(COMPARE_PRESETS) & set(PRESETS)  # one name space for share links
    changed = {}
    for name, p in COMPARE_PRESETS.items():
        assert {"description", "config", "compare", "labels", "watch", "iterations", "freeze_d", "freeze_g"} <= set(p)
        assert 20 < len(p["description"]) < 300 and p["iterations"] > 0 and len(p["labels"]) == 2
        a, b = p["config"].to_dict(), p["compare"].to_dict()
        changed[name] = {k for k in a if a[k] != b[k]}
    assert changed == {COLLAPSE: {"loss"}, SATURATING: {"loss"}, K_STEPS: {"d_steps"}}
    assert COMPARE_PRESETS[COLLAPSE]["config"] == PRESETS["Mode collapse"]["config"]
    assert COMPARE_PRESETS[COLLAPSE]["compare"].d_steps == 5  # the cure's critic gets the steps it needs
    assert COMPARE_PRESETS[SATURATING]["config"].optimizer == "sgd"


def test_trainers_share_seed_and_overrides():
    a, b, n = make_compare_trainers(K_STEPS, seed=3, batch_size=64)
    assert n == COMPARE_PRESETS[K_STEPS]["iterations"]
    assert (a.cfg.seed, b.cfg.seed, a.cfg.batch_size, b.cfg.batch_size) == (3, 3, 64, 64)
    assert (a.cfg.d_steps, b.cfg.d_steps) == (1, 5)


@functools.cache
def modes(name, seed, iterations):
    a, b, _ = make_compare_trainers(name, seed=seed, log_every=0)
    out = []
    for t in (a, b):
        t.step(iterations)
        out.append(t.metrics()["modes_covered"])
    return tuple(out)


@functools.cache
def moved(seed, iterations):
    """How far each side's samples (fixed z) moved from where G started, on average."""
    a, b, _ = make_compare_trainers(SATURATING, seed=seed, log_every=0)
    out = []
    for t in (a, b):
        x0 = t.generate(1000)
        t.step(iterations)
        out.append(float(np.linalg.norm(t.generate(1000) - x0, axis=1).mean()))
    return tuple(out)


@pytest.mark.parametrize("seed", [0, 1])
def test_collapse_vs_cure_short(seed):
    a, b = modes(COLLAPSE, seed, 200)
    assert a <= 3 and b >= 6, (a, b)


@pytest.mark.parametrize("seed", [0, 1])
def test_saturating_vs_non_saturating_short(seed):
    a, b = moved(seed, 100)
    assert a < 0.2 and b > 1.0, (a, b)


@pytest.mark.parametrize("seed", [0, 1])
def test_k1_vs_k5_short(seed):
    """The direction only: at 200 iterations k = 5 has found a few modes, k = 1 none or one."""
    a, b = modes(K_STEPS, seed, 200)
    assert a <= 1 and b >= a + 2, (a, b)


@pytest.mark.slow
def test_collapse_vs_cure_across_seeds():
    n = COMPARE_PRESETS[COLLAPSE]["iterations"]
    runs = [modes(COLLAPSE, s, n) for s in SEEDS]
    assert sum(a <= 3 and b >= 7 for a, b in runs) >= 7, runs


@pytest.mark.slow
def test_saturating_vs_non_saturating_across_seeds():
    n = COMPARE_PRESETS[SATURATING]["iterations"]
    runs = [moved(s, n) for s in SEEDS]
    assert sum(a < 0.2 for a, _ in runs) >= 6 and all(b > 1.0 for _, b in runs), runs


@pytest.mark.slow
def test_k1_vs_k5_across_seeds():
    n = COMPARE_PRESETS[K_STEPS]["iterations"]
    runs = [modes(K_STEPS, s, n) for s in SEEDS]
    assert sum(a <= 2 and b >= 6 for a, b in runs) >= 7, runs
