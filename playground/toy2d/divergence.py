"""The quantity the original GAN minimises, measured on the lab's grid: JSD(p_data || p_g) and V(D*, G).

For a fixed G the best discriminator is D* = p_data / (p_data + p_g), and the value of the game at D* is

    V(D*, G) = E_data[log D*(x)] + E_g[log(1 - D*(x))] = 2 JSD(p_data || p_g) - log 4

(Goodfellow et al. 2014, Theorem 1): G's best move is to shrink the Jensen-Shannon divergence, and
V(D*, G) falls to its floor -log 4 exactly when p_g = p_data.

Here both sides are computed independently on the grid the lab draws. The data density is known
exactly (:meth:`GaussianMixture.density`); G's density is the same kernel density estimate of G's
samples the lab uses for D* (:func:`metrics.kde_on_grid`). Each density times the cell area is
renormalised to sum to 1 over the grid, so the grid is a small discrete world in which the identity
holds up to rounding: a live check of the theorem, not an approximation of it. What lies outside the
grid is not seen (``g_on_grid`` says how much of G's mass is inside). Both numbers describe G alone,
whatever loss trains it: for WGAN or LSGAN runs they are still the original GAN's yardstick.

The lab measures its trainer through ``Trainer.quality`` (:mod:`playground.toy2d.pictures`), which calls
:func:`grid_axes` and :func:`divergence_on_grid` with both densities seen through one Gaussian lens;
:func:`divergence_of` measures points against a data set's exact density, without the lens.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import rel_entr, xlogy

from playground.toy2d import metrics
from playground.toy2d.data import GaussianMixture

LOG4 = math.log(4.0)  # -log 4 is the floor of V(D*, G), reached when p_g = p_data
LOG2 = math.log(2.0)  # the largest JSD (natural log), reached when the supports do not overlap
# The mass both distributions spread evenly over the grid before a KL is taken (1 part in 10,000): it bounds
# what a cell one side leaves empty can cost (about log(cells / KL_FLOOR), 17 on the lab's 48 x 48 grid).
KL_FLOOR = 1e-4

STOP_NOTE = (
    "The D and G losses oscillate and never settle (the players keep answering each other), so they do "
    "not tell you when to stop. Watch a measure of the samples instead: the Fréchet distance between "
    "real and generated points (lower is better) and the modes covered; stop when they stop improving."
)


def cell_masses(density: np.ndarray) -> np.ndarray:
    """A density sampled on a regular grid -> the probability of each cell (sums to 1).

    The cell area is the same for every cell, so it cancels in the normalisation.
    """
    d = np.asarray(density, dtype=np.float64)
    total = d.sum()
    if not np.isfinite(total) or total <= 0 or (d < 0).any():
        raise ValueError("A density on the grid must be non-negative, finite and not all zero.")
    return d / total


def jensen_shannon(p: np.ndarray, q: np.ndarray) -> float:
    """JSD(p || q) = KL(p || m)/2 + KL(q || m)/2 with m = (p + q)/2, natural log, in [0, log 2].

    ``p`` and ``q`` are non-negative weights over the same cells; each is normalised to sum to 1.
    """
    p, q = cell_masses(p), cell_masses(q)
    m = (p + q) / 2
    return float(0.5 * rel_entr(p, m).sum() + 0.5 * rel_entr(q, m).sum())


def kl_with_floor(p: np.ndarray, q: np.ndarray, eps: float | None = None) -> float:
    """KL(p || q) = sum_x p(x) log(p(x) / q(x)) over cell masses, after a floor on both: each keeps 1 - eps of
    its mass and spreads eps evenly over the cells (:data:`KL_FLOOR`). Without it one empty cell under the
    other's mass makes the KL infinite, and the densities' far tails (e^-800) would decide it."""
    eps = KL_FLOOR if eps is None else eps
    p, q = cell_masses(p), cell_masses(q)
    p, q = (1 - eps) * p + eps / p.size, (1 - eps) * q + eps / q.size
    return float(rel_entr(p, q).sum())


def optimal_d(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """D* = p / (p + q) per cell (1/2 where both are zero), for cell masses p (data) and q (G)."""
    return metrics.optimal_discriminator(p, q)


def value_at_optimum(p: np.ndarray, q: np.ndarray) -> float:
    """V(D*, G) = sum_x p(x) log D*(x) + sum_x q(x) log(1 - D*(x)), straight from its definition.

    Cells where a distribution has no mass add nothing to its expectation (0 log 0 = 0). The logs are
    taken as log D* = log p - log(p + q) and log(1 - D*) = log q - log(p + q): D* itself underflows to 0
    where the data has a trace of mass (1e-300) under a G peak, and log 0 would make V -inf.
    """
    p, q = cell_masses(p), cell_masses(q)
    s = p + q
    return float((xlogy(p, p) - xlogy(p, s)).sum() + (xlogy(q, q) - xlogy(q, s)).sum())


def grid_axes(dataset: GaussianMixture, res: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """The x and y coordinates of the lab's grid for a data set (the same grid as the D heatmap)."""
    xmin, xmax, ymin, ymax = dataset.extent
    return np.linspace(xmin, xmax, res), np.linspace(ymin, ymax, res)


def divergence_on_grid(p_data: np.ndarray, p_g: np.ndarray) -> dict:
    """JSD, V(D*, G) and the identity's two sides from two densities on the same grid.

    Returns ``jsd``, ``v_star`` (V from its definition), ``two_jsd_minus_log4`` (2 JSD - log 4, the
    same number by the theorem), ``floor`` (-log 4), ``d_star`` (the grid of D*, rows = y), and the two
    KL divergences (:func:`kl_with_floor`): ``kl_data_g`` = KL(p_data || p_g), large when G misses data (what
    maximum likelihood, the VAE's objective, minimises: mode-covering), and ``kl_g_data`` = KL(p_g || p_data),
    large when G puts mass where there is no data (small for a G that seeks modes and drops some).
    """
    p, q = cell_masses(p_data), cell_masses(p_g)
    jsd = jensen_shannon(p, q)
    return {
        "jsd": jsd,
        "kl_data_g": kl_with_floor(p, q),
        "kl_g_data": kl_with_floor(q, p),
        "v_star": value_at_optimum(p, q),
        "two_jsd_minus_log4": 2 * jsd - LOG4,
        "floor": -LOG4,
        "d_star": optimal_d(p, q),
    }


def divergence_of(dataset: GaussianMixture, fake: np.ndarray, res: int = 48) -> dict:
    """:func:`divergence_on_grid` for a data set and generated points ``fake`` (n, 2) on the lab's grid.

    Adds ``g_on_grid``: the fraction of the fake points inside the grid (the rest is not seen).
    """
    gx, gy = grid_axes(dataset, res)
    xx, yy = np.meshgrid(gx, gy)  # row i = y[i], column j = x[j], like the lab's pictures
    p_data = dataset.density(np.stack([xx.ravel(), yy.ravel()], 1)).reshape(res, res)
    fake = np.asarray(fake, dtype=np.float64).reshape(-1, 2)
    p_g = metrics.kde_on_grid(fake, gx, gy)
    out = divergence_on_grid(p_data, p_g)
    inside = (fake[:, 0] >= gx[0]) & (fake[:, 0] <= gx[-1]) & (fake[:, 1] >= gy[0]) & (fake[:, 1] <= gy[-1])
    out["g_on_grid"] = float(inside.mean()) if len(fake) else 0.0
    return out



__all__ = [
    "LOG4", "LOG2", "KL_FLOOR", "STOP_NOTE", "cell_masses", "jensen_shannon", "kl_with_floor", "optimal_d",
    "value_at_optimum", "grid_axes", "divergence_on_grid", "divergence_of",
]
