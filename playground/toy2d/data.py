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

A visitor's points are bounded before they cost anything: a CSV file by its size on disk
(:data:`MAX_CSV_BYTES`) and then read line by line, stopping at the first line over
:data:`MAX_CSV_LINE_CHARS` or the first row past :data:`MAX_CUSTOM_POINTS`; a drawing by its pixel count
(:func:`points_from_drawing`); a mode count by :func:`check_n_modes`. Error messages quote at most a
short piece of the offending line.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Iterable

import numpy as np
import torch

from playground import safe_input
from playground.errors import UserError
from playground.toy2d.config import ToyConfig

MAX_CUSTOM_POINTS = 20_000
# Larger coordinates are refused: centring them overflows to infinity near 1e308, and long before that a
# cloud far from 0 loses its shape to rounding when fitted to the view.
MAX_COORDINATE = 1e12
CUSTOM_SIGMA = 0.05
# The largest accepted CSV: 20,000 rows of two full-precision numbers ("-1.2345678901234567e-05", 23
# characters each) take ~1 MB; twice that leaves room for spaces, quotes and a header.
MAX_CSV_BYTES = 2 * 2**20
MAX_CSV_LINE_CHARS = 200
MAX_MODES = 100  # as ToyConfig.n_modes
MAX_DRAWING_PIXELS = 4_000_000  # the canvas is ~600x600; 2000x2000 leaves room for zoomed screens
MAX_DRAWING_POINTS = 4000  # ink pixels kept (a random subset) as the drawn data set


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
        return self.sample_labelled(n, generator)[0]

    def sample_labelled(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """n points (n, 2) and the component each came from (n,) int64: a conditional GAN's class labels
        (the same draws as :meth:`sample`)."""
        idx = torch.randint(len(self.means), (n,), generator=generator)
        noise = torch.randn(n, 2, generator=generator)
        return self._means_t[idx].addcmul_(noise, torch.tensor(self.sigma)), idx

    @property
    def n_labels(self) -> int:
        """Class labels a conditional GAN can use: one per mode (0 for curves and drawn points, which have none).
        Labels index ``means``; for a few-mode set the means are its modes."""
        return 0 if self.centers is None else len(self.means)

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


def check_n_modes(value, lo: int = 1) -> int:
    """A mode count from a slider or the API: a whole number lo .. MAX_MODES (NaN, 2.5, "x" are refused)."""
    return safe_input.integer(value, "The number of modes", lo, MAX_MODES)


def ring_of_gaussians(n_modes: int = 8, radius: float = 2.0, sigma: float = 0.02) -> GaussianMixture:
    n_modes = check_n_modes(n_modes)
    a = 2 * np.pi * np.arange(n_modes) / n_modes
    c = radius * np.stack([np.cos(a), np.sin(a)], 1)
    return GaussianMixture("ring8", c, sigma, c)


def grid_of_gaussians(n_modes: int = 25, spacing: float = 1.0, sigma: float = 0.025) -> GaussianMixture:
    n_modes = check_n_modes(n_modes)
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
    n_modes = check_n_modes(n_modes)
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
    if hasattr(points, "__len__") and len(points) > MAX_CUSTOM_POINTS:  # before converting a huge list
        raise UserError(f"Too many points: {len(points):,} (at most {MAX_CUSTOM_POINTS:,}).")
    try:
        pts = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise UserError("Points must be numbers: a list of (x, y) pairs.") from None
    if pts.size == 0:
        raise UserError("There are no points yet: draw some on the canvas or upload a CSV of x,y rows.")
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise UserError(f"Points must be (x, y) pairs; got an array of shape {pts.shape}.")
    ok = np.isfinite(pts).all(axis=1) & (np.abs(pts) <= MAX_COORDINATE).all(axis=1)
    if not ok.all():
        i = int(np.argmin(ok))
        raise UserError(f"Point {i + 1} ({_pair(pts[i])}) {_coordinate_problem(*pts[i])}.")
    if len(pts) > MAX_CUSTOM_POINTS:
        raise UserError(f"Too many points: {len(pts):,} (at most {MAX_CUSTOM_POINTS:,}).")
    return pts


def _pair(xy) -> str:
    return ", ".join(f"{float(v):g}" for v in xy)


def _coordinate_problem(x: float, y: float) -> str | None:
    """Why a point cannot be used, as the end of a sentence; None when it can."""
    if not (math.isfinite(x) and math.isfinite(y)):
        return "is not finite (NaN or infinity); every x and y must be a finite number"
    if max(abs(x), abs(y)) > MAX_COORDINATE:
        return (f"is too large: coordinates must lie within ±{MAX_COORDINATE:g} (divide the data by a power of "
                "ten first; the lab fits the points to its view anyway)")
    return None


def parse_points_csv(text: str | bytes | Iterable[str]) -> np.ndarray:
    """Parse CSV text of x,y rows (an optional header line is skipped) -> array (n, 2).

    ``text`` is the whole file or an iterable of its lines (a file object): lines are read one at a
    time and reading stops at the first line longer than MAX_CSV_LINE_CHARS or the first data row past
    MAX_CUSTOM_POINTS, so a huge input costs no more than the accepted maximum.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig", errors="replace")
    lines = io.StringIO(text) if isinstance(text, str) else text
    reader = csv.reader(_bounded_lines(lines))
    out = np.empty((MAX_CUSTOM_POINTS, 2))
    n = 0
    first = True
    try:
        for r in reader:
            if not any(cell.strip() for cell in r):
                continue
            cells = [c.strip() for c in r]
            if first:
                first = False
                if _is_header(cells):
                    continue  # a header such as "x,y"
            if n == MAX_CUSTOM_POINTS:
                raise UserError(f"The CSV file has more than {MAX_CUSTOM_POINTS:,} rows; at most "
                                f"{MAX_CUSTOM_POINTS:,} are allowed.")
            line = reader.line_num
            if len(cells) != 2:
                raise UserError(f"CSV line {line}: expected 2 columns (x,y), found {len(cells)}: "
                                f"{safe_input.quote(','.join(r))}.")
            try:
                out[n] = [float(cells[0]), float(cells[1])]
            except ValueError:
                raise UserError(f"CSV line {line}: {safe_input.quote(','.join(r))} is not two numbers.") from None
            problem = _coordinate_problem(*out[n])
            if problem:
                raise UserError(f"CSV line {line}: the point ({_pair(out[n])}) {problem}.")
            n += 1
    except csv.Error as exc:
        raise UserError(f"CSV line {reader.line_num}: {safe_input.cut(str(exc), 80)}.") from None
    if n == 0:
        if first:
            raise UserError("The CSV file is empty: it needs one x,y pair per line.")
        raise UserError("The CSV file has a header but no x,y rows.")
    return check_points(out[:n])


def _bounded_lines(lines: Iterable[str]) -> Iterable[str]:
    """The lines of a CSV, refusing one longer than MAX_CSV_LINE_CHARS before the csv module sees it."""
    for i, line in enumerate(lines, 1):
        if len(line) > MAX_CSV_LINE_CHARS:
            text = line.rstrip("\r\n")
            if len(text) > MAX_CSV_LINE_CHARS:
                raise UserError(f"CSV line {i} is longer than {MAX_CSV_LINE_CHARS} characters (it starts "
                                f"{safe_input.cut(text, 40)!r}); an x,y row needs far fewer.")
        yield line


def load_points_csv(path: str | Path) -> np.ndarray:
    """Points from a CSV file: its size is checked first (nothing is read from a file over MAX_CSV_BYTES),
    then it is parsed line by line."""
    path = Path(safe_input.file_path(path) or "")
    try:
        size = path.stat().st_size
    except OSError as e:
        raise UserError(f"Could not read the CSV file: {e.strerror or e}.") from None
    if size > MAX_CSV_BYTES:
        raise UserError(f"The CSV file is {safe_input.megabytes(size)}; at most {safe_input.megabytes(MAX_CSV_BYTES)} "
                        f"({MAX_CUSTOM_POINTS:,} x,y rows) are accepted.")
    try:
        # A line read stops at MAX_CSV_LINE_CHARS + 3 characters, so one endless line is not read whole.
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as f:
            return parse_points_csv(iter(lambda: f.readline(MAX_CSV_LINE_CHARS + 3), ""))
    except OSError as e:
        raise UserError(f"Could not read the CSV file: {e.strerror or e}.") from None


def points_from_drawing(image, max_points: int = MAX_DRAWING_POINTS, seed: int = 0) -> np.ndarray:
    """The ink of a drawing as points (x, -y in pixels): dark or opaque pixels, at most ``max_points`` of
    them (a seeded random subset). ``image`` is a path, an upload payload or an array; files are decoded
    by :func:`playground.images.read_image`, and any picture over MAX_DRAWING_PIXELS is refused."""
    from playground.images import read_image

    img = read_image(image, "The drawing", mode="RGBA", max_pixels=MAX_DRAWING_PIXELS)
    if img.shape[-1] == 4:
        ink = (img[..., 3] > 0) & (img[..., :3].mean(axis=2) < 200)
    else:
        ink = img[..., :3].mean(axis=2) < 200
    ys, xs = np.nonzero(ink)
    if len(xs) < 3:
        raise UserError("The canvas is empty: draw a few strokes (they become the real data).")
    keep = np.random.default_rng(seed).choice(len(xs), size=min(len(xs), max_points), replace=False)
    return np.stack([xs[keep], -ys[keep]], axis=1).astype(np.float64)


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

# How many modes a data set has when a config leaves ``n_modes`` empty (the data sets that have a count).
DEFAULT_MODES = {"ring8": 8, "grid25": 25, "three_blobs": 3}


def make_dataset(cfg: ToyConfig, points=None) -> GaussianMixture:
    """The data set a config names; ``points`` are required for ``dataset="custom"``."""
    k, s = cfg.n_modes, cfg.sigma
    name = cfg.dataset
    if name == "ring8":
        return ring_of_gaussians(k or DEFAULT_MODES["ring8"], sigma=s or 0.02)
    if name == "grid25":
        return grid_of_gaussians(k or DEFAULT_MODES["grid25"], sigma=s or 0.025)
    if name == "swiss_roll":
        return swiss_roll(sigma=s or 0.05)
    if name == "line":
        return line(sigma=s or 0.05)
    if name == "two_gaussians":
        return two_gaussians(sigma=s or 0.3)
    if name == "ring":
        return continuous_ring(sigma=s or 0.08)
    if name == "three_blobs":
        return three_blobs(k or DEFAULT_MODES["three_blobs"], sigma=s or 0.15)
    if name == "custom":
        if points is None:
            raise UserError("The custom data set needs points: draw some or upload a CSV of x,y rows.")
        return custom_points(points, sigma=s)
    raise UserError(f"Unknown data set {name!r}.")
