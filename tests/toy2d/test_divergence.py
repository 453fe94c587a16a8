"""JSD(p_data || p_g) and V(D*, G) on the lab's grid, and the 2-D Fréchet distance.

Checked against independent values: scipy's Jensen-Shannon distance (squared, base e), V written out
cell by cell from its definition, hand-worked extremes (0 and log 2) and a hand-worked 2x2 Fréchet case.
"""

import math

import numpy as np
import pytest
import torch
from scipy import linalg
from scipy.spatial.distance import jensenshannon

from playground.toy2d import divergence, metrics
from playground.toy2d.data import ring_of_gaussians, three_blobs, two_gaussians


def v_by_definition(p_data, p_g):
    """V(D*, G) = E_data[log D*] + E_g[log(1 - D*)], one cell at a time, on normalised cell masses."""
    p = np.asarray(p_data, float).ravel() / np.sum(p_data)
    q = np.asarray(p_g, float).ravel() / np.sum(p_g)
    v = 0.0
    for a, b in zip(p, q):
        if a + b == 0:
            continue
        # log D* = log a - log(a + b): D* = a / (a + b) itself can underflow to 0 when a is a trace
        if a > 0:
            v += a * (math.log(a) - math.log(a + b))
        if b > 0:
            v += b * (math.log(b) - math.log(a + b))
    return v


def scipy_jsd(p, q):
    return float(jensenshannon(np.ravel(p), np.ravel(q), base=math.e) ** 2)


def blob(center, sigma, n, seed):
    g = np.random.default_rng(seed)
    return np.asarray(center) + sigma * g.standard_normal((n, 2))


CASES = {
    # data set, G's samples: a blob in the middle, one mode only, a shifted copy of the data
    "ring vs central blob": (ring_of_gaussians(), lambda ds: blob([0, 0], 0.7, 2000, 1)),
    "ring vs one mode": (ring_of_gaussians(), lambda ds: blob(ds.means[0], 0.05, 2000, 2)),
    "two gaussians vs shifted data": (two_gaussians(), lambda ds: ds.sample(2000, torch.Generator().manual_seed(3)).numpy() + [0.4, 0.0]),
    "three blobs vs data": (three_blobs(), lambda ds: ds.sample(2000, torch.Generator().manual_seed(4)).numpy()),
}


@pytest.mark.parametrize("name", list(CASES))
def test_identity_and_jsd_on_the_grid(name):
    ds, make_fake = CASES[name]
    fake = make_fake(ds)
    out = divergence.divergence_of(ds, fake, res=48)
    # the same grid built independently: data density and the lab's KDE of G
    xmin, xmax, ymin, ymax = ds.extent
    gx, gy = np.linspace(xmin, xmax, 48), np.linspace(ymin, ymax, 48)
    xx, yy = np.meshgrid(gx, gy)
    p_data = ds.density(np.stack([xx.ravel(), yy.ravel()], 1))
    p_g = metrics.kde_on_grid(fake, gx, gy).ravel()
    jsd = scipy_jsd(p_data, p_g)
    v = v_by_definition(p_data, p_g)
    assert out["jsd"] == pytest.approx(jsd, abs=1e-9)
    assert out["v_star"] == pytest.approx(v, abs=1e-9)
    assert v == pytest.approx(2 * jsd - math.log(4), abs=1e-3)  # the theorem, on the grid
    assert 0 <= out["jsd"] <= math.log(2) and out["floor"] == -math.log(4)


def test_identical_distributions_sit_on_the_floor():
    p = np.random.default_rng(0).random((30, 30))
    assert divergence.jensen_shannon(p, 3 * p) == pytest.approx(0.0, abs=1e-12)  # scale does not matter
    assert divergence.value_at_optimum(p, p) == pytest.approx(-math.log(4), abs=1e-12)


def test_disjoint_distributions_reach_log_2():
    p = np.zeros((10, 10))
    q = np.zeros((10, 10))
    p[:5] = 1.0
    q[5:] = 2.0
    assert divergence.jensen_shannon(p, q) == pytest.approx(math.log(2), abs=1e-12)
    assert divergence.value_at_optimum(p, q) == pytest.approx(0.0, abs=1e-12)  # D* is 1 on data, 0 on G


def test_far_apart_gaussians_on_the_grid_are_disjoint():
    ds = two_gaussians(sigma=0.05)
    fake = blob(ds.means[0] + [0.0, 1.5], 0.05, 2000, 5)  # 30 sigma away from both modes
    out = divergence.divergence_of(ds, fake)
    assert out["jsd"] == pytest.approx(math.log(2), abs=1e-3)
    assert out["v_star"] == pytest.approx(0.0, abs=2e-3)


def test_hand_worked_two_cell_case():
    # p = (1/2, 1/2), q = (1, 0): m = (3/4, 1/4)
    jsd = 0.5 * (0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)) + 0.5 * math.log(1 / 0.75)
    assert divergence.jensen_shannon([1, 1], [1, 0]) == pytest.approx(jsd, abs=1e-12)
    # D* = (1/3, 1): V = 1/2 log(1/3) + 1/2 log 1 + 1 * log(2/3)
    assert divergence.value_at_optimum([1, 1], [1, 0]) == pytest.approx(0.5 * math.log(1 / 3) + math.log(2 / 3), abs=1e-12)


def test_kl_both_ways_hand_worked_with_the_floor():
    """KL(p || q) and KL(q || p) written out cell by cell, after the stated floor: each distribution keeps
    1 - eps of its mass and spreads eps evenly, so a cell one side leaves empty costs a bounded amount."""
    p, q = np.array([0.5, 0.5, 0.0, 0.0]), np.array([0.25, 0.25, 0.25, 0.25])
    eps = divergence.KL_FLOOR
    pf = (1 - eps) * p + eps / 4
    qf = (1 - eps) * q + eps / 4
    forward = sum(a * math.log(a / b) for a, b in zip(pf, qf))
    reverse = sum(b * math.log(b / a) for a, b in zip(pf, qf))
    got = divergence.divergence_on_grid(p, q)
    assert got["kl_data_g"] == pytest.approx(forward, rel=1e-12)
    assert got["kl_g_data"] == pytest.approx(reverse, rel=1e-12)
    assert forward == pytest.approx(math.log(2), rel=1e-3)  # q spreads over twice the cells p uses
    assert reverse > 4 * forward  # q's half off p's support: only the floor keeps it finite


def test_missing_a_mode_costs_forward_kl_and_blurring_costs_reverse_kl():
    """What "mode-seeking" means, on two modes: a G on one mode only (collapsed) pays in KL(data || G),
    a G spread over both and the gap between them (blurred) pays in KL(G || data)."""
    x = np.linspace(-3, 3, 121)

    def mix(*parts):
        return sum(w * np.exp(-0.5 * ((x - m) / s) ** 2) / s for w, m, s in parts)

    data = mix((0.5, -1.5, 0.2), (0.5, 1.5, 0.2))
    collapsed = mix((1.0, 1.5, 0.2))
    blurred = mix((1.0, 0.0, 1.2))
    c, b = divergence.divergence_on_grid(data, collapsed), divergence.divergence_on_grid(data, blurred)
    assert c["kl_data_g"] > c["kl_g_data"] and c["kl_data_g"] > b["kl_data_g"]
    assert b["kl_g_data"] > b["kl_data_g"] and b["kl_g_data"] > c["kl_g_data"]
    assert c["kl_g_data"] == pytest.approx(math.log(2), abs=0.01)  # all of G on half of the data's mass


def test_bad_densities_are_refused():
    with pytest.raises(ValueError):
        divergence.jensen_shannon([0, 0], [1, 1])
    with pytest.raises(ValueError):
        divergence.value_at_optimum([1, -1], [1, 1])


def test_points_off_the_grid_are_counted():
    ds = ring_of_gaussians()
    fake = np.concatenate([blob([0, 0], 0.1, 300, 6), np.full((100, 2), 50.0)])
    assert divergence.divergence_of(ds, fake)["g_on_grid"] == pytest.approx(0.75)


# ---- the Fréchet distance in 2-D ----------------------------------------------------------------------


def test_frechet_2d_hand_worked():
    # real: the 4 points (+-1, +-1): mean 0, covariance (unbiased) 4/3 I
    real = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], float)
    # fake: the same shape scaled by 2 and moved by (3, 4): mean (3, 4), covariance 16/3 I
    fake = 2 * real + [3, 4]
    # |dmu|^2 = 25; Tr = 2 (4/3) + 2 (16/3) - 2 Tr sqrt(64/9 I) = 40/3 - 2 * 2 * 8/3 = 8/3
    assert metrics.frechet_distance_2d(real, fake) == pytest.approx(25 + 8 / 3, abs=1e-9)
    assert metrics.frechet_distance_2d(real, real) == pytest.approx(0.0, abs=1e-12)


def test_frechet_2d_matches_the_sqrtm_formula():
    g = np.random.default_rng(7)
    a = g.standard_normal((500, 2)) @ np.array([[1.0, 0.3], [0.0, 0.5]])
    b = g.standard_normal((400, 2)) @ np.array([[0.4, -0.2], [0.1, 1.2]]) + [0.5, -1.0]
    s1, s2 = np.cov(a.T), np.cov(b.T)
    ref = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(s1 + s2 - 2 * linalg.sqrtm(s1 @ s2).real)
    assert metrics.frechet_distance_2d(a, b) == pytest.approx(ref, rel=1e-9)
