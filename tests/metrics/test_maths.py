"""The metric formulas against closed forms, scipy, and plain brute-force re-computations."""

import itertools

import numpy as np
import pytest
import scipy.linalg

from playground.errors import UserError
from playground.metrics import maths


def random_spd(d, rng, rank=None):
    a = rng.randn(d, rank or d + 3)
    return a @ a.T / a.shape[1]


def test_fid_of_a_set_with_itself_is_zero():
    x = np.random.RandomState(0).randn(40, 16)
    assert maths.fid_from_features(x, x) == pytest.approx(0.0, abs=1e-9)
    mu, s = maths.gaussian_stats(x)
    assert maths.frechet_distance(mu, s, mu, s) == pytest.approx(0.0, abs=1e-8)
    big = np.random.RandomState(1).randn(300, 16)  # more rows than columns: the d×d path
    assert maths.fid_from_features(big, big) == pytest.approx(0.0, abs=1e-8)


def test_fid_of_commuting_gaussians_matches_the_closed_form():
    # Σ1 = R diag(a) Rᵀ, Σ2 = R diag(b) Rᵀ commute, so Tr sqrt(Σ1Σ2) = Σ sqrt(a_i b_i) and
    # FID = |μ1-μ2|² + Σ (sqrt a_i - sqrt b_i)².
    rng = np.random.RandomState(3)
    d = 32
    r, _ = np.linalg.qr(rng.randn(d, d))
    a, b = rng.uniform(0.1, 4, d), rng.uniform(0.1, 4, d)
    mu1, mu2 = rng.randn(d), rng.randn(d)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    got = maths.frechet_distance(mu1, r @ np.diag(a) @ r.T, mu2, r @ np.diag(b) @ r.T)
    assert got == pytest.approx(expected, rel=1e-10)


def test_fid_of_1d_gaussians_by_hand():
    # N(0, 1) vs N(3, 4): 9 + 1 + 4 - 2*sqrt(4) = 10
    assert maths.frechet_distance([0.0], [[1.0]], [3.0], [[4.0]]) == pytest.approx(10.0, rel=1e-12)


@pytest.mark.parametrize("rank", [None, 20])
def test_trace_sqrt_matches_scipy_sqrtm(rank):
    rng = np.random.RandomState(4)
    s1, s2 = random_spd(48, rng, rank), random_spd(48, rng)
    ref = np.trace(scipy.linalg.sqrtm(s1 @ s2)).real
    assert maths.trace_sqrt_product(s1, s2) == pytest.approx(ref, rel=1e-7)


def test_small_sample_fid_path_equals_the_covariance_path():
    rng = np.random.RandomState(5)
    x, y = rng.randn(12, 64), rng.randn(9, 64) * 1.5 + 0.3  # fewer images than dimensions
    mu1, s1 = maths.gaussian_stats(x)
    mu2, s2 = maths.gaussian_stats(y)
    via_stats = maths.frechet_distance(mu1, s1, mu2, s2)
    via_sqrtm = (
        np.sum((mu1 - mu2) ** 2)
        + np.trace(s1)
        + np.trace(s2)
        - 2 * np.trace(scipy.linalg.sqrtm(s1 @ s2)).real
    )
    # The d×d routes take square roots of ~52 round-off eigenvalues (each ~1e-8 after the sqrt), which
    # the exact n×m route (nuclear norm) does not: agreement to ~2e-8 relative is all there is.
    assert maths.fid_from_features(x, y) == pytest.approx(via_stats, rel=1e-7)
    assert via_stats == pytest.approx(via_sqrtm, rel=1e-7)


@pytest.mark.parametrize("n", [7, 80])
def test_fid_from_stored_stats_equals_fid_from_features(n):
    rng = np.random.RandomState(10)
    real = rng.randn(60, 32)
    fake = rng.randn(n, 32) * 0.7 + 0.2
    mu, sigma = maths.gaussian_stats(real)
    m2, s2 = maths.gaussian_stats(fake)
    ref = (
        np.sum((mu - m2) ** 2)
        + np.trace(sigma)
        + np.trace(s2)
        - 2 * np.trace(scipy.linalg.sqrtm(sigma @ s2)).real
    )
    assert maths.fid_stats_vs_features(mu, sigma, fake) == pytest.approx(ref, rel=1e-7)


def test_fid_rejects_mismatched_or_tiny_inputs():
    with pytest.raises(UserError, match="at least 2"):
        maths.fid_from_features(np.zeros((1, 4)), np.zeros((5, 4)))
    with pytest.raises(UserError, match="do not match"):
        maths.frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


# ------------------------------------------------------------------------------------------ IS


def test_inception_score_uniform_predictions_is_one():
    p = np.full((50, 7), 1 / 7)
    mean, std = maths.inception_score(probs=p)
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("k", [2, 5, 10])
def test_inception_score_of_k_equally_used_confident_classes_is_k(k):
    # Each split (k consecutive rows, no shuffle) holds every class once: IS = k exactly.
    p = np.eye(k)[np.arange(10 * k) % k]
    mean, std = maths.inception_score(probs=p, shuffle=False)
    assert mean == pytest.approx(k, rel=1e-12) and std == pytest.approx(0.0, abs=1e-9)
    # From logits: a large margin makes the softmax one-hot to machine precision.
    mean_l, _ = maths.inception_score(logits=p * 60.0, shuffle=False)
    assert mean_l == pytest.approx(k, rel=1e-9)


def torch_fidelity_is(logits, splits=10):
    """torch-fidelity's IS written out plainly: permutation with RandomState(2020), chunks i*N//splits,
    softmax, KL to the chunk's mean prediction, exp of the mean KL; mean and np.std over the chunks."""
    n = len(logits)
    perm = np.random.RandomState(2020).permutation(n)
    z = logits[perm] - logits[perm].max(1, keepdims=True)
    p_all = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    scores = []
    for i in range(splits):
        chunk = p_all[i * n // splits : (i + 1) * n // splits]
        q = chunk.mean(0)
        kl = [sum(pi * np.log(pi / qi) for pi, qi in zip(row, q) if pi > 0) for row in chunk]
        scores.append(np.exp(np.mean(kl)))
    return np.mean(scores), np.std(scores)


def test_inception_score_reproduces_torch_fidelity_shuffle_and_splits():
    logits = np.random.RandomState(6).randn(37, 12) * 3
    ref_mean, ref_std = torch_fidelity_is(logits)
    mean, std = maths.inception_score(logits=logits)
    assert mean == pytest.approx(ref_mean, rel=1e-10)
    assert std == pytest.approx(ref_std, rel=1e-8)


# ----------------------------------------------------------------------------------------- KID


def brute_force_mmd2_unbiased(x, y):
    d = x.shape[1]
    k = lambda a, b: (np.dot(a, b) / d + 1.0) ** 3  # noqa: E731
    m = len(x)
    xx = sum(k(x[i], x[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_kid_matches_a_brute_force_unbiased_estimator():
    rng = np.random.RandomState(7)
    x, y = rng.randn(9, 5), rng.randn(9, 5) + 0.5
    assert maths.mmd2_unbiased(x, y) == pytest.approx(brute_force_mmd2_unbiased(x, y), rel=1e-10)
    # One subset of the full size is a permutation of the whole set: the same value.
    mean, std = maths.kernel_inception_distance(x, y, subsets=1, subset_size=100)
    assert mean == pytest.approx(brute_force_mmd2_unbiased(x, y), rel=1e-10) and std == 0.0


def test_kid_subsets_follow_torch_fidelity():
    rng = np.random.RandomState(8)
    x, y = rng.randn(30, 4), rng.randn(25, 4) * 2
    state = np.random.RandomState(2020)
    vals = []
    for _ in range(5):
        a = x[state.choice(30, 10, replace=False)]
        b = y[state.choice(25, 10, replace=False)]
        vals.append(brute_force_mmd2_unbiased(a, b))
    mean, std = maths.kernel_inception_distance(x, y, subsets=5, subset_size=10)
    assert mean == pytest.approx(np.mean(vals), rel=1e-10) and std == pytest.approx(np.std(vals), rel=1e-8)


def test_kid_of_identical_distributions_is_near_zero_and_can_be_negative():
    rng = np.random.RandomState(9)
    x, y = rng.randn(200, 8), rng.randn(200, 8)
    mean, _ = maths.kernel_inception_distance(x, y, subsets=20, subset_size=100)
    assert abs(mean) < 0.05


# ----------------------------------------------------------------------- precision / recall etc.


def on_line(xs):
    return np.stack([np.asarray(xs, float), np.zeros(len(xs))], axis=1)


def test_precision_recall_on_constructed_points():
    real = on_line(range(10))  # k=3 radius: 2 inside the line, 3 at the two ends
    fake = on_line([0.5, 4.5, 100, 200])
    # Fakes 0.5 and 4.5 lie inside real balls; 100 and 200 do not -> precision 1/2.
    # Fake radii (3rd neighbour among fakes) are >= 195.5, so every real point is covered -> recall 1.
    p, r = maths.precision_recall(real, fake, k=3)
    assert p == 0.5 and r == 1.0
    fake2 = on_line([0.2, 1.1, 2.3, 3.1])  # tight cluster: radii 2.9, 2.0, 2.1, 2.9 around 0..3
    p2, r2 = maths.precision_recall(real, fake2, k=3)
    assert p2 == 1.0
    # reals covered: those within some fake's radius: 0..5 (3.1 + 2.9 = 6.0 covers 6 too) -> 7/10
    assert r2 == pytest.approx(0.7)


def test_density_and_coverage_on_constructed_points():
    real = on_line(range(10))
    far = on_line([100, 101, 102])
    assert maths.density_coverage(real, far, k=5) == (0.0, 0.0)
    fake = on_line([0.0, 9.0])
    # Brute force: radius_i = 5th-nearest real distance; density = Σ_j Σ_i [d_ij < r_i] / (k m)
    r = [sorted(abs(i - j) for j in range(10) if j != i)[4] for i in range(10)]
    count = sum(abs(i - f) < r[i] for f in (0.0, 9.0) for i in range(10))
    covered = sum(min(abs(i - f) for f in (0.0, 9.0)) < r[i] for i in range(10))
    d, c = maths.density_coverage(real, fake, k=5)
    assert d == pytest.approx(count / (5 * 2)) and c == pytest.approx(covered / 10)


def test_non_finite_covariance_is_a_user_error():
    s = np.eye(4)
    bad = s.copy()
    bad[0, 0] = np.nan
    with pytest.raises(UserError, match="NaN"):
        maths.trace_sqrt_product(s, bad)
