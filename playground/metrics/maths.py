"""The metrics themselves, on feature matrices: numpy in float64 (torch's LAPACK for the FID square root).

Every function takes features already extracted (rows = images) so it can be tested on made-up
points. Conventions follow the reference tools and are named where they differ:

* FID (Heusel et al. 2017): Fréchet distance between Gaussians fitted to the two feature sets.
  The trace of the matrix square root comes from eigenvalues, not ``scipy.linalg.sqrtm``.
  (Two LAPACK calls go through torch, whose wheels carry MKL's faster Cholesky and symmetric
  eigenvalue solvers; still float64. Timings: ``benchmarks/metrics.py`` and the README.)
* KID (Bińkowski et al. 2018): unbiased MMD² with the cubic polynomial kernel, averaged over random
  subsets exactly as torch-fidelity does (100 subsets, ``RandomState(2020)``, no replacement).
* IS (Salimans et al. 2016): exp(E KL(p(y|x) || p(y))) over 10 splits after torch-fidelity's
  shuffle (``RandomState(2020)``), std by ``np.std``.
* Precision/recall (Kynkäänniemi et al. 2019, k = 3), density/coverage (Naeem et al. 2020, k = 5).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.linalg import blas, lapack

from playground.errors import UserError

__all__ = [
    "check_covariance",
    "gaussian_stats",
    "trace_sqrt_product",
    "frechet_distance",
    "fid",
    "fid_from_features",
    "fid_stats_vs_features",
    "polynomial_kernel",
    "mmd2_unbiased",
    "kernel_inception_distance",
    "inception_score",
    "precision_recall",
    "density_coverage",
]


def _as_features(x, name: str = "features", min_rows: int = 2) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise UserError(f"{name} must be a 2-D array (images × feature dimensions), got shape {x.shape}.")
    if x.shape[0] < min_rows:
        raise UserError(
            f"{name}: {x.shape[0]} image(s) is too few; this metric needs at least {min_rows} images."
        )
    if not np.all(np.isfinite(x)):
        raise UserError(f"{name} contains NaN or infinite values.")
    return x


def gaussian_stats(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased, ``np.cov``) covariance of the rows, as pytorch-fid stores them."""
    x = _as_features(features, min_rows=2)
    return x.mean(axis=0), np.cov(x, rowvar=False)


def check_covariance(sigma, name: str = "sigma", rtol: float = 1e-4, in_place: bool = False) -> None:
    """UserError unless ``sigma`` is symmetric and positive semi-definite within round-off.

    The tolerance is ``rtol`` times the largest diagonal entry: float32 rounding of a 2048-d
    covariance moves its eigenvalues by far less. PSD is tested by a Cholesky factorisation of
    Σ + tol·I (it exists iff every eigenvalue of Σ exceeds about -tol). ``in_place``: factorise an
    exactly symmetric ``sigma`` in its own memory and restore it from the untouched triangle (no d×d
    copy; for a freshly read array that nobody else holds yet).
    """
    s = np.asarray(sigma, dtype=np.float64)
    d = s.shape[0]
    if s.ndim != 2 or s.shape != (d, d):
        raise UserError(f"{name} must be a square matrix, got shape {s.shape}.")
    diag = np.diagonal(s).copy()
    tol = rtol * max(float(np.abs(diag).max(initial=0.0)), np.finfo(np.float64).tiny)
    blocks = (np.abs(s[i : i + 256] - s[:, i : i + 256].T).max() for i in range(0, d, 256))  # no d×d temporaries
    asym = float(max(blocks, default=0.0))
    if asym > tol:
        raise UserError(
            f"{name} is not a covariance matrix: it is not symmetric (entries differ from their mirror by up "
            f"to {asym:.3g}). Was it written by pytorch-fid / --save-stats?"
        )
    if diag.min(initial=0.0) < -tol:
        raise UserError(f"{name} is not a covariance matrix: it has a negative variance ({diag.min():.3g}).")
    if in_place and asym == 0.0 and s.flags.c_contiguous and s.flags.writeable:
        work = s
    else:
        work = s.copy()
    work.flat[:: d + 1] += tol
    try:
        # Symmetric, so the transpose (a Fortran-ordered view) is the same matrix: LAPACK factorises it
        # in place, overwriting the upper triangle of `work` (in C order) and leaving the lower one.
        _, info = lapack.dpotrf(work.T, lower=1, overwrite_a=1, clean=0)
    finally:
        if work is s:
            for r in range(d - 1):
                s[r, r + 1 :] = s[r + 1 :, r]
            s.flat[:: d + 1] = diag
    if info > 0:
        raise UserError(
            f"{name} is not a covariance matrix: it has negative eigenvalues (it is not positive "
            "semi-definite), so a Fréchet distance to it means nothing."
        )


def _psd_sqrt(sigma: np.ndarray) -> np.ndarray:
    """Symmetric square root of a covariance matrix (negative round-off eigenvalues clipped)."""
    w, v = np.linalg.eigh(sigma)
    w = np.clip(w, 0.0, None)
    return (v * np.sqrt(w)) @ v.T


def trace_sqrt_product(sigma1, sigma2) -> float:
    """Tr sqrt(Σ1 Σ2) for two covariance (symmetric PSD) matrices, from eigenvalues in float64.

    Σ1Σ2 is similar to a symmetric PSD matrix, so its eigenvalues are real and non-negative and
    Tr sqrt(Σ1Σ2) = Σ_i sqrt(λ_i). With the Cholesky factor Σ1 = L Lᵀ that matrix is Lᵀ Σ2 L
    (one factorisation and one eigenvalue-only solve: many times faster than
    ``scipy.linalg.sqrtm``, which also returns complex round-off when Σ is singular). A singular Σ1
    (fewer images than dimensions) has no Cholesky factor; then √Σ1 Σ2 √Σ1 is used, with √Σ1 from
    an eigendecomposition. Tiny negative eigenvalues from round-off are clipped to 0.
    """
    s1 = np.asarray(sigma1, dtype=np.float64)
    s2 = np.asarray(sigma2, dtype=np.float64)
    if s1.shape != s2.shape or s1.ndim != 2 or s1.shape[0] != s1.shape[1]:
        raise UserError(f"Covariances must be square and of equal shape, got {s1.shape} and {s2.shape}.")
    if not (np.isfinite(s1.sum()) and np.isfinite(s2.sum())):
        raise UserError("A covariance matrix contains NaN or infinite values.")
    # Only lower triangles are read below (LAPACK/BLAS convention), so no symmetrising copies; the
    # transposed views are column-major, which is what LAPACK wants (no hidden copies either).
    low, info = torch.linalg.cholesky_ex(torch.from_numpy(s1.T))
    if int(info) == 0:
        low = low.numpy()
        # Lᵀ Σ2 L with two triangular multiplies (half the flops of two general matmuls)
        m = blas.dtrmm(1.0, low, blas.dtrmm(1.0, low, s2.T, side=1, lower=1), side=0, lower=1, trans_a=1,
                       overwrite_b=True)
    else:  # not positive definite (e.g. fewer images than dimensions)
        root = _psd_sqrt((s1 + s1.T) / 2)
        m = root @ s2 @ root
    lam = torch.linalg.eigvalsh(torch.from_numpy(m)).numpy()
    return float(np.sqrt(np.clip(lam, 0.0, None)).sum())


def _trace_sqrt_from_features(x: np.ndarray, y: np.ndarray) -> float:
    """Tr sqrt(Σx Σy) straight from the feature rows, for sets smaller than the dimension.

    With centred rows A (n×d), Σx = AᵀA/(n-1) and Σy = BᵀB/(m-1); the non-zero eigenvalues of ΣxΣy
    are the squared singular values of A Bᵀ / sqrt((n-1)(m-1)), so the trace is its nuclear norm:
    an n×m problem instead of d×d.
    """
    a = x - x.mean(axis=0)
    b = y - y.mean(axis=0)
    c = a @ b.T / np.sqrt((len(x) - 1) * (len(y) - 1))
    return float(np.linalg.svd(c, compute_uv=False).sum())


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance between N(mu1, Σ1) and N(mu2, Σ2):  |mu1-mu2|² + Tr Σ1 + Tr Σ2 - 2 Tr sqrt(Σ1Σ2)."""
    mu1 = np.atleast_1d(np.asarray(mu1, dtype=np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    s1 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64))
    s2 = np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (mu1.size, mu1.size):
        raise UserError(
            f"The two statistics do not match: means {mu1.shape} / {mu2.shape}, covariances {s1.shape} / "
            f"{s2.shape}. Were they computed with the same network and feature layer?"
        )
    return _assemble(mu1, np.trace(s1), mu2, np.trace(s2), trace_sqrt_product(s1, s2))


def _assemble(mu1: np.ndarray, trace1: float, mu2: np.ndarray, trace2: float, trace_sqrt: float) -> float:
    """The Fréchet distance from its parts, |mu1 - mu2|² + Tr Σ1 + Tr Σ2 - 2 Tr sqrt(Σ1Σ2); every FID here
    ends in this one formula, whichever way its parts were computed."""
    diff = mu1 - mu2
    # The true value is >= 0; round-off can give -1e-12 for identical sets.
    return float(max(diff @ diff + trace1 + trace2 - 2.0 * trace_sqrt, 0.0))


def fid(reference, fake) -> float:
    """FID of ``fake`` features against ``reference``: features too, or pytorch-fid statistics (mu, sigma)."""
    if isinstance(reference, tuple):
        return fid_stats_vs_features(reference[0], reference[1], fake)
    return fid_from_features(reference, fake)


def fid_from_features(real, fake) -> float:
    """FID of two feature sets; uses the small n×m problem when a set has fewer rows than columns."""
    x = _as_features(real, "real features")
    y = _as_features(fake, "fake features")
    if x.shape[1] != y.shape[1]:
        raise UserError(f"Feature sizes differ: {x.shape[1]} and {y.shape[1]}.")
    if min(len(x), len(y)) <= x.shape[1]:
        tr1 = ((x - x.mean(axis=0)) ** 2).sum() / (len(x) - 1)
        tr2 = ((y - y.mean(axis=0)) ** 2).sum() / (len(y) - 1)
        return _assemble(x.mean(axis=0), tr1, y.mean(axis=0), tr2, _trace_sqrt_from_features(x, y))
    mu1, s1 = gaussian_stats(x)
    mu2, s2 = gaussian_stats(y)
    return frechet_distance(mu1, s1, mu2, s2)


def fid_stats_vs_features(mu, sigma, features) -> float:
    """FID between stored statistics (mu, Σ) and a feature set, exploiting a small feature set.

    With centred rows B (m×d), Σ_f = BᵀB/(m-1) and the non-zero eigenvalues of Σ Σ_f equal those of
    the m×m matrix B Σ Bᵀ/(m-1), so no d×d eigenproblem is needed when m < d.
    """
    y = _as_features(features, "features")
    mu = np.asarray(mu, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    if mu.shape != (y.shape[1],) or sigma.shape != (y.shape[1], y.shape[1]):
        raise UserError(
            f"The statistics have {mu.size} dimensions but the features {y.shape[1]}; "
            "were they computed with the same network?"
        )
    if len(y) > y.shape[1]:
        mu2, s2 = gaussian_stats(y)
        return frechet_distance(mu, sigma, mu2, s2)
    b = y - y.mean(axis=0)
    small = b @ sigma @ b.T / (len(y) - 1)
    lam = np.linalg.eigvalsh((small + small.T) / 2)
    tr_sqrt = float(np.sqrt(np.clip(lam, 0.0, None)).sum())
    return _assemble(mu, np.trace(sigma), y.mean(axis=0), (b * b).sum() / (len(y) - 1), tr_sqrt)


# ----------------------------------------------------------------------------------------- KID


def polynomial_kernel(x: np.ndarray, y: np.ndarray, degree: int = 3, coef0: float = 1.0) -> np.ndarray:
    """k(x, y) = (x·y / d + coef0)^degree, d = feature dimension (torch-fidelity's default gamma)."""
    d = x.shape[1]
    return (x @ y.T / d + coef0) ** degree


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD² estimate with the cubic kernel; x and y have the same number of rows m.

    Within-set sums leave out the diagonal (i = j) and divide by m(m-1); the cross term keeps every
    pair and divides by m² (torch-fidelity's ``mmd_est='unbiased'``).
    """
    m = x.shape[0]
    kxx = polynomial_kernel(x, x)
    kyy = polynomial_kernel(y, y)
    kxy = polynomial_kernel(x, y)
    within = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    return float(within - 2.0 * kxy.sum() / (m * m))


def kernel_inception_distance(
    real, fake, subsets: int = 100, subset_size: int = 1000, seed: int = 2020
) -> tuple[float, float]:
    """KID mean and std over random subsets (torch-fidelity's procedure).

    The subset size is ``min(subset_size, n_real, n_fake)`` (torch-fidelity refuses smaller sets;
    clean-fid shrinks the subset the same way we do). Negative values near 0 are valid: the
    estimator is unbiased, so identical distributions scatter around 0.
    """
    x = _as_features(real, "real features", min_rows=2)
    y = _as_features(fake, "fake features", min_rows=2)
    m = min(subset_size, len(x), len(y))
    rng = np.random.RandomState(seed)
    values = np.empty(subsets)
    for i in range(subsets):
        # torch-fidelity draws from input 1 then input 2 with one RandomState.
        a = x[rng.choice(len(x), m, replace=False)]
        b = y[rng.choice(len(y), m, replace=False)]
        values[i] = mmd2_unbiased(a, b)
    return float(values.mean()), float(values.std())


# ------------------------------------------------------------------------------------------ IS


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def inception_score(
    logits=None, probs=None, splits: int = 10, shuffle: bool = True, seed: int = 2020
) -> tuple[float, float]:
    """Inception Score from class logits (softmax applied here) or from probabilities p(y|x).

    IS = exp(mean_x KL(p(y|x) || p(y))) with p(y) the mean prediction of the split; the result is
    the mean and ``np.std`` over ``splits`` equal chunks after a shuffle with ``RandomState(seed)``
    (torch-fidelity). Bounds: 1 when every image gets the same prediction, at most the number of
    classes when each image is one confident class and all classes are used equally.
    """
    if (logits is None) == (probs is None):
        raise ValueError("give exactly one of logits or probs")
    if logits is not None:
        logp = _log_softmax(_as_features(logits, "logits", min_rows=1))
    else:
        p = _as_features(probs, "probabilities", min_rows=1)
        if np.any(p < 0) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-6):
            raise UserError("Probabilities must be non-negative and sum to 1 per image.")
        with np.errstate(divide="ignore"):
            logp = np.log(p)
    n = logp.shape[0]
    if n < splits:
        raise UserError(
            f"The Inception Score uses {splits} splits, so it needs at least {splits} images (got {n})."
        )
    if shuffle:
        logp = logp[np.random.RandomState(seed).permutation(n)]
    p = np.exp(logp)
    scores = []
    for i in range(splits):
        lo, hi = i * n // splits, (i + 1) * n // splits
        pc, lpc = p[lo:hi], logp[lo:hi]
        q = pc.mean(axis=0, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            # 0 * log 0 = 0: classes an image gives no probability contribute nothing.
            terms = np.where(pc > 0, pc * (lpc - np.log(q)), 0.0)
        scores.append(float(np.exp(terms.sum(axis=1).mean())))
    return float(np.mean(scores)), float(np.std(scores))


# ------------------------------------------------------------- precision/recall, density/coverage


def _pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.clip(sq, 0.0, None))


def _kth_neighbour_radius(x: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row to its k-th nearest other row (the row itself is excluded)."""
    if len(x) <= k:
        raise UserError(f"Precision/recall with k = {k} needs more than {k} images per set (got {len(x)}).")
    d = _pairwise_distances(x, x)
    # Column 0 after sorting is the point itself (distance 0), so the k-th neighbour is column k.
    return np.sort(d, axis=1)[:, k]


def precision_recall(real, fake, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019).

    Precision: the fraction of fakes inside at least one real k-NN ball (radius = distance of that
    real point to its k-th nearest real neighbour). Recall: the same with the roles swapped.
    A point on the boundary counts as inside (``<=``, as in torch-fidelity).
    """
    x = _as_features(real, "real features")
    y = _as_features(fake, "fake features")
    rx, ry = _kth_neighbour_radius(x, k), _kth_neighbour_radius(y, k)
    d = _pairwise_distances(y, x)  # fakes × reals
    precision = float(np.mean((d <= rx[None, :]).any(axis=1)))
    recall = float(np.mean((d.T <= ry[None, :]).any(axis=1)))
    return precision, recall


def density_coverage(real, fake, k: int = 5) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020), with k-NN balls around the real points only.

    Density: mean over fakes of (number of real balls containing the fake) / k; it can exceed 1 when
    fakes crowd dense real regions. Coverage: the fraction of real points whose ball holds a fake.
    """
    x = _as_features(real, "real features")
    y = _as_features(fake, "fake features")
    rx = _kth_neighbour_radius(x, k)
    d = _pairwise_distances(x, y)  # reals × fakes
    inside = d < rx[:, None]  # Naeem et al. use a strict inequality
    density = float(inside.sum() / (k * len(y)))
    coverage = float(np.mean(d.min(axis=1) < rx))
    return density, coverage
