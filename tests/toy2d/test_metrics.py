"""Mode metrics on constructed samples, KDE against a direct sum, and D*."""

import math

import numpy as np
import pytest

from playground.toy2d import metrics
from playground.toy2d.data import ring_of_gaussians

RING = ring_of_gaussians()


def test_all_samples_on_one_mode():
    x = np.repeat(RING.centers[3:4], 2500, 0)
    m = metrics.mode_metrics(x, RING.centers, RING.sigma)
    assert m["modes_covered"] == 1 and m["modes_hit"] == 1 and m["modes_total"] == 8
    assert m["high_quality"] == 1.0
    assert m["reverse_kl"] == pytest.approx(math.log(8))  # all mass on one of 8 modes
    assert m["per_mode"] == [0, 0, 0, 2500, 0, 0, 0, 0]


def test_exact_centres_cover_everything_uniformly():
    x = np.tile(RING.centers, (300, 1))
    m = metrics.mode_metrics(x, RING.centers, RING.sigma)
    assert m["modes_covered"] == 8 and m["high_quality"] == 1.0
    assert m["reverse_kl"] == pytest.approx(0.0, abs=1e-12)


def test_three_sigma_rule_and_two_mode_kl():
    s = RING.sigma
    c0, c1 = RING.centers[0], RING.centers[1]
    x = np.array([c0 + [2.9 * s, 0], c1 + [0, -2.9 * s], c0 + [3.1 * s, 0], [0.0, 0.0]])
    m = metrics.mode_metrics(x, RING.centers, s)
    assert m["high_quality"] == 0.5
    assert m["modes_hit"] == 2
    assert m["modes_covered"] == 2  # 1 of 4 samples each: 2 times a fair share (4 / 8)
    assert m["reverse_kl"] == pytest.approx(math.log(4))  # half on each of two modes: log(8 * 1/2)


def test_no_high_quality_samples():
    m = metrics.mode_metrics(np.zeros((10, 2)), RING.centers, RING.sigma)
    assert m["modes_covered"] == 0 and m["modes_hit"] == 0
    assert m["high_quality"] == 0.0 and m["reverse_kl"] is None


def test_a_mode_is_covered_by_a_quarter_of_its_fair_share_and_hit_by_one_sample():
    """The issue's PacGAN case: 5 modes well fed and 3 holding a trace (0-15 of 2,500 samples). A fair share
    of 2,500 samples over 8 modes is 312.5; a quarter of it is 78.1, so 78 samples do not cover a mode and 79 do.
    The VEEGAN/PacGAN count ("hit") takes a single sample."""
    c = RING.centers
    counts = [600, 600, 600, 600, 79, 15, 1, 0]
    x = np.concatenate([np.repeat(c[i : i + 1], n, 0) for i, n in enumerate(counts)])
    far = np.full((2500 - len(x), 2), 50.0)  # the rest nowhere near a mode (still counted in the 2,500)
    m = metrics.mode_metrics(np.concatenate([x, far]), c, RING.sigma)
    assert m["modes_covered"] == 5 and m["modes_hit"] == 7 and m["modes_total"] == 8
    assert m["per_mode"] == counts
    counts[4] = 78
    x = np.concatenate([np.repeat(c[i : i + 1], n, 0) for i, n in enumerate(counts)])
    m = metrics.mode_metrics(np.concatenate([x, np.full((2500 - len(x), 2), 50.0)]), c, RING.sigma)
    assert m["modes_covered"] == 4 and m["modes_hit"] == 7


def test_curve_data_get_quality_but_no_modes():
    means = np.array([[0.0, 0.0], [1.0, 0.0]])
    m = metrics.mode_metrics(np.array([[0.5, 0.0], [0.0, 0.01]]), None, 0.05, means)
    assert m["modes_total"] == 0 and m["modes_hit"] == 0 and m["high_quality"] == 0.5


def test_kde_on_grid_matches_the_direct_sum():
    rng = np.random.default_rng(0)
    s = rng.normal(size=(400, 2)) * [0.3, 0.7] + [1, 2]
    h = metrics.scott_bandwidth(s)
    assert h == pytest.approx(s.std(0) * 400 ** (-1 / 6))
    gx, gy = np.linspace(0, 2, 7), np.linspace(0, 4, 5)
    grid = metrics.kde_on_grid(s, gx, gy)
    assert grid.shape == (5, 7)  # rows = y, columns = x
    # independent: the product-Gaussian kernel summed point by point
    expect = np.array([[np.mean(np.exp(-0.5 * (((np.array([x, y]) - s) / h) ** 2).sum(1))) / (2 * np.pi * h[0] * h[1])
                        for x in gx] for y in gy])
    np.testing.assert_allclose(grid, expect, rtol=1e-4, atol=1e-9)


def test_optimal_discriminator_and_mae():
    d = metrics.optimal_discriminator([1.0, 0.0, 0.0, 3.0], [1.0, 2.0, 0.0, 1.0])
    np.testing.assert_allclose(d, [0.5, 0.0, 0.5, 0.75])
    mask = metrics.support_mask(np.array([1.0, 0.0, 0.005]), np.array([0.0, 0.005, 2.0]), rel=0.01)
    assert mask.tolist() == [True, False, True]  # 0.005 is 0.25% of p_g's max, 0.5% of p_data's
    assert metrics.masked_mae(np.array([0.0, 1.0, 0.5]), np.array([0.1, 0.0, 0.2]), mask) == pytest.approx(0.2)


def test_reverse_kl_hand_value():
    # q = (3/4, 1/4, 0, 0): 3/4 log 3 + 1/4 log 1
    assert metrics.reverse_kl_to_uniform([3, 1, 0, 0]) == pytest.approx(0.75 * math.log(3))


def test_nearest_centre_matches_brute_force_and_stays_small_with_many_centres():
    """The mode metrics' nearest centre (a k-d tree) against a brute-force search; and on a custom data set at
    the CSV limit (20,000 points, 2,500 samples) it must not build the full distance table (1.2 GB a log, #22)."""
    import tracemalloc

    from playground.toy2d.metrics import mode_metrics, nearest_center

    rng = np.random.default_rng(3)
    x, c = rng.normal(size=(300, 2)), rng.normal(size=(500, 2))
    d = np.sqrt(((x[:, None, :] - c[None]) ** 2).sum(-1))
    idx, dist = nearest_center(x, c)
    np.testing.assert_array_equal(idx, d.argmin(1))
    np.testing.assert_allclose(dist, d.min(1), rtol=1e-12)
    means = rng.uniform(-2, 2, (20000, 2))
    samples = rng.uniform(-2, 2, (2500, 2))
    tracemalloc.start()
    m = mode_metrics(samples, None, 0.05, means)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 * 2**20, peak
    _, near = nearest_center(samples, means)
    assert m["high_quality"] == pytest.approx(float((near <= 3 * 0.05).mean()))
