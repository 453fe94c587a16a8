"""How good is the generator? Mode metrics and the optimal discriminator (numpy; torch for density sums).

Mode metrics: draw 2,500 samples; a sample is *high quality* if it lies within 3 sigma of its nearest
mode centre (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018). A mode is *covered* when it holds a
fair part of the samples: at least a quarter of its even share n / k (:data:`FAIR_SHARE`), what a student
means by the word. The papers' own count, a mode *hit* by at least one high-quality sample, is given beside
it (``modes_hit``): a G that sends 3 of 2,500 samples to a mode hits it, and does not cover it. The papers'
*reverse KL* compares the histogram of high-quality samples over modes with the uniform one (0 = perfectly
balanced, log k = everything on one mode): a measure of balance between modes, not a divergence between
densities (for those, see :mod:`playground.toy2d.divergence`).

For a fixed generator the best discriminator is D*(x) = p_data(x) / (p_data(x) + p_g(x))
(Goodfellow et al. 2014, Prop. 1). p_data is known exactly here; p_g is estimated from samples with a
Gaussian kernel density estimate.
"""

from __future__ import annotations

import math

import numpy as np
import torch

N_METRIC_SAMPLES = 2500
HQ_SIGMAS = 3.0
FAIR_SHARE = 0.25  # a mode is covered by at least this fraction of its even share of the samples


def mode_metrics(samples: np.ndarray, centers: np.ndarray | None, sigma: float, means: np.ndarray | None = None) -> dict:
    """VEEGAN/PacGAN metrics of generated ``samples`` (n, 2) against mode ``centers`` (k, 2).

    Returns modes_covered (holding at least :data:`FAIR_SHARE` of an even share), modes_hit (by at least
    one high-quality sample: the papers' count), modes_total, high_quality (fraction in [0, 1]), reverse_kl
    (None when no sample is high quality or there are no modes) and per_mode (k counts of high-quality
    samples).
    Data sets without discrete modes (centers None) still get high_quality, measured against the
    mixture components ``means`` (samples within 3 sigma of the curve).
    """
    x = np.asarray(samples, dtype=np.float64).reshape(-1, 2)
    ref = centers if centers is not None else means
    if ref is None or len(x) == 0:
        return {"modes_covered": 0, "modes_hit": 0, "modes_total": 0, "high_quality": None, "reverse_kl": None,
                "per_mode": []}
    nearest, dist = nearest_center(x, np.asarray(ref, dtype=np.float64))
    hq = dist <= HQ_SIGMAS * sigma
    out = {"high_quality": float(hq.mean())}
    if centers is None:
        return {"modes_covered": 0, "modes_hit": 0, "modes_total": 0, **out, "reverse_kl": None, "per_mode": []}
    counts = np.bincount(nearest[hq], minlength=len(centers))
    return {
        "modes_covered": int((counts >= FAIR_SHARE * len(x) / len(centers)).sum()),
        "modes_hit": int((counts > 0).sum()),
        "modes_total": int(len(centers)),
        **out,
        "reverse_kl": reverse_kl_to_uniform(counts),
        "per_mode": [int(c) for c in counts],
    }


def nearest_center(x: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of and distance to the nearest centre for every point (a k-d tree: a custom data set of 20,000
    points against 2,500 samples takes milliseconds; the full distance table it replaced was 1.2 GB a log)."""
    from scipy.spatial import cKDTree

    dist, idx = cKDTree(np.asarray(centers, dtype=np.float64).reshape(-1, 2)).query(
        np.asarray(x, dtype=np.float64).reshape(-1, 2))
    return np.asarray(idx, dtype=np.int64), np.asarray(dist, dtype=np.float64)


def reverse_kl_to_uniform(counts) -> float | None:
    """KL(q || uniform) = sum_i q_i log(k q_i) for the mode histogram q = counts / sum(counts)."""
    c = np.asarray(counts, dtype=np.float64)
    total = c.sum()
    if total <= 0:
        return None
    q = c[c > 0] / total
    return float((q * np.log(len(c) * q)).sum())


# ---- the optimal discriminator ----------------------------------------------------------------------


def scott_bandwidth(samples: np.ndarray) -> np.ndarray:
    """Per-axis Gaussian KDE bandwidth by Scott's rule in 2-D: std * n^(-1/6) (floored at 1e-3)."""
    x = np.asarray(samples, dtype=np.float64).reshape(-1, 2)
    return np.maximum(x.std(0) * len(x) ** (-1 / 6), 1e-3)


def kde_on_grid(samples: np.ndarray, grid_x: np.ndarray, grid_y: np.ndarray, bandwidth=None) -> np.ndarray:
    """Gaussian (product-kernel) KDE of ``samples`` (n, 2) on the grid (rows = grid_y, columns = grid_x) ->
    (len(y), len(x)); the bandwidth by :func:`scott_bandwidth` unless given.

    The kernel factorises, K(x - s) = k_x(x - s_x) k_y(y - s_y), so the whole grid is one matrix
    product Ky @ Kx^T of two (res, n) kernel tables: O(res n) work instead of O(res^2 n).
    """
    s = np.asarray(samples, dtype=np.float64).reshape(-1, 2)
    h = scott_bandwidth(s) if bandwidth is None else np.broadcast_to(np.asarray(bandwidth, dtype=np.float64), (2,))
    # exponents floored at -40 (e^-40 ~ 4e-18, so products of two stay normal float32 numbers):
    # underflow into denormals makes exp() and the matrix product very slow on some CPUs
    sx, sy = torch.from_numpy(s[:, 0].astype(np.float32)), torch.from_numpy(s[:, 1].astype(np.float32))
    gx = torch.as_tensor(np.asarray(grid_x, dtype=np.float32))
    gy = torch.as_tensor(np.asarray(grid_y, dtype=np.float32))
    kx = torch.exp((((gx[:, None] - sx[None, :]) / float(h[0])) ** 2).mul_(-0.5).clamp_(min=-40))
    ky = torch.exp((((gy[:, None] - sy[None, :]) / float(h[1])) ** 2).mul_(-0.5).clamp_(min=-40))
    return (ky @ kx.T).double().numpy() / (len(s) * 2 * math.pi * h[0] * h[1])


def optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """D* = p_data / (p_data + p_g); 1/2 where both densities are zero."""
    p_data, p_g = np.asarray(p_data, dtype=np.float64), np.asarray(p_g, dtype=np.float64)
    total = p_data + p_g
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(total > 0, p_data / np.where(total > 0, total, 1.0), 0.5)
    return d


def support_mask(p_data: np.ndarray, p_g: np.ndarray, rel: float = 0.01) -> np.ndarray:
    """Where densities are not negligible: p_data >= rel * max(p_data) or p_g >= rel * max(p_g).

    Each density is compared with its own maximum, so a sharply peaked p_g does not hide the data.
    """
    p_data, p_g = np.asarray(p_data), np.asarray(p_g)
    return (p_data >= rel * p_data.max()) | (p_g >= rel * p_g.max())


def masked_mae(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    """Mean absolute difference of a and b over the cells where mask is true."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        raise ValueError("The mask selects no cells.")
    return float(np.abs(np.asarray(a) - np.asarray(b))[m].mean())


# ---- when to stop: a sample-quality number that does not oscillate with the losses ---------------------


def frechet_distance_2d(real: np.ndarray, fake: np.ndarray) -> float:
    """Fréchet distance between two 2-D point sets, each summarised by its mean and covariance.

    The FID formula without the Inception network: |mu_r - mu_f|^2 + Tr(S_r + S_f - 2 (S_r S_f)^(1/2)),
    computed by the metrics package's own ``frechet_distance``. 0 for sets with equal mean and
    covariance; it cannot see how mass is split between modes (two sets with the same two moments score
    0), so read it beside the mode counts.
    """
    from playground.metrics.maths import frechet_distance, gaussian_stats

    x = np.asarray(real, dtype=np.float64).reshape(-1, 2)
    y = np.asarray(fake, dtype=np.float64).reshape(-1, 2)
    return frechet_distance(*gaussian_stats(x), *gaussian_stats(y))


# ---- a conditional G: did each sample land on the mode it was asked for? ------------------------------------


def label_accuracy(samples: np.ndarray, labels: np.ndarray, centers: np.ndarray) -> float | None:
    """The fraction of a conditional G's ``samples`` (n, 2) whose nearest mode centre is the one their label
    (n,) asked for (label i = ``centers[i]``): 1 when every G(z, y) lands nearest mode y, about 1/k when G
    ignores y. None for no samples."""
    x = np.asarray(samples, dtype=np.float64).reshape(-1, 2)
    if len(x) == 0:
        return None
    nearest, _ = nearest_center(x, np.asarray(centers, dtype=np.float64))
    return float((nearest == np.asarray(labels).reshape(-1)).mean())
