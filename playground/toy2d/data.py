"""The 2-D data sets, each one a mixture of isotropic Gaussians so that its density is known exactly.

Definitions (all coordinates in the units the plots show):

- ``ring8``: ``n_modes`` (8) Gaussians evenly spaced on a circle of radius 2, sigma 0.02: the WGAN-GP
  code's ring before its 1/1.414 rescaling (PacGAN/VEEGAN use the unit circle with sigma 0.01, the
  same sigma/radius ratio within a factor 2).
- ``grid25``: ``n_modes`` (25, a square number) Gaussians on the grid {-2,-1,0,1,2}^2, sigma 0.025: the
  standard grid {-4,-2,0,2,4}^2, sigma 0.05, scaled by 1/2 so it fits the same view as the ring.
- ``swiss_roll``: the scikit-learn swiss roll curve ``t (cos t, sin t)``, t in [1.5 pi, 4.5 pi], scaled by
  1/5, blurred by sigma 0.05 (drawn as 1,000 closely spaced Gaussians along the curve).
- GAN Lab's sets: ``line`` (a segment from (-1.5,-1) to (1.5,1), sigma 0.05), ``two_gaussians``
  (at (-1,-0.5) and (1,0.5), sigma 0.3), ``ring`` (a continuous circle of radius 1.5, sigma 0.08),
  ``three_blobs`` (three disjoint blobs on a circle of radius 1.5, sigma 0.15).
- ``custom``: the user's points (drawn or uploaded), each the centre of a small Gaussian (sigma 0.05).

Curves (line, ring, swiss roll) are many Gaussians spaced much closer than sigma, so sampling and
density agree exactly and look continuous. Data sets with a few well-separated modes expose
``centers`` for the VEEGAN/PacGAN mode metrics; the others have ``centers = None``.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import torch

from playground.errors import UserError
from playground.toy2d.config import ToyConfig

MAX_CUSTOM_POINTS = 20_000
CUSTOM_SIGMA = 0.05


class GaussianMixture:
    """Equal-weight mixture of isotropic Gaussians with a shared sigma.

    ``means`` (k, 2) are the components; ``centers`` are the modes the mode metrics count (the means
    for a few-mode set, None for curves and user data).
    """

    def __init__(self, name: str, means: np.ndarray, sigma: float, centers: np.ndarray | None, pad: float = 0.6):
        self.name = name
        self.means = np.asarray(means, dtype=np.float64).reshape(-1, 2)
        self.sigma = float(sigma)
        self.centers = None if centers is None else np.asarray(centers, dtype=np.float64).reshape(-1, 2)
        self._means_t = torch.as_tensor(self.means, dtype=torch.float32)
        self.extent = _square_extent(self.means, pad + 4 * self.sigma)

    def __repr__(self) -> str:
        return f"GaussianMixture({self.name!r}, k={len(self.means)}, sigma={self.sigma:g})"

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n points, float32 tensor (n, 2)."""
        idx = torch.randint(len(self.means), (n,), generator=generator)
        noise = torch.randn(n, 2, generator=generator)
        return self._means_t[idx].addcmul_(noise, torch.tensor(self.sigma))

    def density(self, points: np.ndarray) -> np.ndarray:
        """Exact mixture density p(x) at points (m, 2) -> (m,)."""
        x = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        out = np.empty(len(x))
        mu = self.means
        m2 = (mu**2).sum(1)
        rows = max(1, 2_000_000 // len(mu))  # chunks keep the distance table near 16 MB
        for s in range(0, len(x), rows):
            xs = x[s : s + rows]
            d2 = np.maximum((xs**2).sum(1)[:, None] + m2[None, :] - 2 * xs @ mu.T, 0.0)
            # exponent floored at -100 (e^-100 ~ 4e-44): underflowing exp() is very slow on some CPUs
            out[s : s + rows] = np.exp(np.maximum(d2 * (-0.5 / self.sigma**2), -100.0)).sum(1)
        return out / (2 * math.pi * self.sigma**2 * len(mu))


def _square_extent(points: np.ndarray, pad: float) -> tuple[float, float, float, float]:
    lo, hi = points.min(0) - pad, points.max(0) + pad
    c, half = (lo + hi) / 2, float((hi - lo).max()) / 2
    return (float(c[0] - half), float(c[0] + half), float(c[1] - half), float(c[1] + half))


# ---- the standard sets ------------------------------------------------------------------------------


def ring_of_gaussians(n_modes: int = 8, radius: float = 2.0, sigma: float = 0.02) -> GaussianMixture:
    a = 2 * np.pi * np.arange(n_modes) / n_modes
    c = radius * np.stack([np.cos(a), np.sin(a)], 1)
    return GaussianMixture("ring8", c, sigma, c)


def grid_of_gaussians(n_modes: int = 25, spacing: float = 1.0, sigma: float = 0.025) -> GaussianMixture:
    side = int(round(math.sqrt(n_modes)))
    if side * side != n_modes:
        raise UserError(f"The grid needs a square number of modes (4, 9, 16, 25, ...), not {n_modes}.")
    ticks = (np.arange(side) - (side - 1) / 2) * spacing
    c = np.stack(np.meshgrid(ticks, ticks, indexing="xy"), -1).reshape(-1, 2)
    return GaussianMixture("grid25", c, sigma, c)


def swiss_roll(sigma: float = 0.05, n_curve: int = 1000) -> GaussianMixture:
    t = 1.5 * np.pi * (1 + 2 * (np.arange(n_curve) + 0.5) / n_curve)  # sklearn: t = 1.5 pi (1 + 2 u)
    c = np.stack([t * np.cos(t), t * np.sin(t)], 1) / 5.0
    return GaussianMixture("swiss_roll", c, sigma, None, pad=0.3)


def line(sigma: float = 0.05, n_curve: int = 400) -> GaussianMixture:
    s = np.linspace(-1, 1, n_curve)[:, None]
    return GaussianMixture("line", s * np.array([[1.5, 1.0]]), sigma, None)


def two_gaussians(sigma: float = 0.3) -> GaussianMixture:
    c = np.array([[-1.0, -0.5], [1.0, 0.5]])
    return GaussianMixture("two_gaussians", c, sigma, c)


def continuous_ring(radius: float = 1.5, sigma: float = 0.08, n_curve: int = 720) -> GaussianMixture:
    a = 2 * np.pi * np.arange(n_curve) / n_curve
    return GaussianMixture("ring", radius * np.stack([np.cos(a), np.sin(a)], 1), sigma, None)


def three_blobs(n_modes: int = 3, radius: float = 1.5, sigma: float = 0.15) -> GaussianMixture:
    a = np.pi / 2 + 2 * np.pi * np.arange(n_modes) / n_modes
    c = radius * np.stack([np.cos(a), np.sin(a)], 1)
    return GaussianMixture("three_blobs", c, sigma, c)


def custom_points(points, sigma: float | None = None) -> GaussianMixture:
    """The user's own points, each blurred by sigma (0.05 by default)."""
    pts = check_points(points)
    return GaussianMixture("custom", pts, CUSTOM_SIGMA if sigma is None else sigma, None, pad=0.4)


# ---- user points: validation and CSV ----------------------------------------------------------------


def check_points(points) -> np.ndarray:
    """Validate drawn or uploaded points -> float64 array (n, 2)."""
    try:
        pts = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise UserError("Points must be numbers: a list of (x, y) pairs.") from None
    if pts.size == 0:
        raise UserError("There are no points yet: draw some on the canvas or upload a CSV of x,y rows.")
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise UserError(f"Points must be (x, y) pairs; got an array of shape {pts.shape}.")
    if not np.isfinite(pts).all():
        raise UserError("Some points are NaN or infinite; every x and y must be a finite number.")
    if len(pts) > MAX_CUSTOM_POINTS:
        raise UserError(f"Too many points: {len(pts):,} (at most {MAX_CUSTOM_POINTS:,}).")
    return pts


def parse_points_csv(text: str) -> np.ndarray:
    """Parse CSV text of x,y rows (an optional header line is skipped) -> array (n, 2)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    rows = [r for r in csv.reader(io.StringIO(text.strip())) if any(cell.strip() for cell in r)]
    if not rows:
        raise UserError("The CSV file is empty: it needs one x,y pair per line.")
    if _is_header(rows[0]):
        rows = rows[1:]  # a header such as "x,y"
        if not rows:
            raise UserError("The CSV file has a header but no x,y rows.")
    if len(rows) > MAX_CUSTOM_POINTS:
        raise UserError(f"The CSV file has {len(rows):,} rows; at most {MAX_CUSTOM_POINTS:,} are allowed.")
    out = np.empty((len(rows), 2))
    for i, r in enumerate(rows):
        cells = [c.strip() for c in r]
        if len(cells) != 2:
            raise UserError(f"CSV line {i + 1}: expected 2 columns (x,y), found {len(cells)}: {','.join(r)!r}.")
        try:
            out[i] = [float(cells[0]), float(cells[1])]
        except ValueError:
            raise UserError(f"CSV line {i + 1}: {','.join(r)!r} is not two numbers.") from None
    return check_points(out)


def load_points_csv(path: str | Path) -> np.ndarray:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise UserError(f"Could not read the CSV file: {e.strerror or e}.") from None
    return parse_points_csv(text)


def fit_to_view(points, half_width: float = 2.0) -> np.ndarray:
    """Centre points and scale them so they fit in [-half_width, half_width]^2 (for uploaded CSVs)."""
    pts = check_points(points)
    c = (pts.max(0) + pts.min(0)) / 2
    span = float(np.abs(pts - c).max())
    return (pts - c) * (half_width / span if span > 0 else 1.0)


def _is_header(row: list[str]) -> bool:
    """A first row with no number in it (e.g. "x,y") is a header."""
    for c in row:
        try:
            float(c)
            return False
        except ValueError:
            pass
    return True


# ---- one entry point --------------------------------------------------------------------------------


def make_dataset(cfg: ToyConfig, points=None) -> GaussianMixture:
    """The data set a config names; ``points`` are required for ``dataset="custom"``."""
    k, s = cfg.n_modes, cfg.sigma
    name = cfg.dataset
    if name == "ring8":
        return ring_of_gaussians(k or 8, sigma=s or 0.02)
    if name == "grid25":
        return grid_of_gaussians(k or 25, sigma=s or 0.025)
    if name == "swiss_roll":
        return swiss_roll(sigma=s or 0.05)
    if name == "line":
        return line(sigma=s or 0.05)
    if name == "two_gaussians":
        return two_gaussians(sigma=s or 0.3)
    if name == "ring":
        return continuous_ring(sigma=s or 0.08)
    if name == "three_blobs":
        return three_blobs(k or 3, sigma=s or 0.15)
    if name == "custom":
        if points is None:
            raise UserError("The custom data set needs points: draw some or upload a CSV of x,y rows.")
        return custom_points(points, sigma=s)
    raise UserError(f"Unknown data set {name!r}.")
