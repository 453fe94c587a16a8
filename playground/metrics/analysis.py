"""Pictures behind the numbers: 2-D projection, FID against sample size, nearest real neighbours."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from playground.metrics.io import decode_rgb
from playground.metrics.maths import _pairwise_distances, fid_from_features

__all__ = ["pca_2d", "fid_vs_sample_size", "nearest_real_neighbours", "neighbours_sheet", "class_histogram"]


def pca_2d(real: np.ndarray, fake: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Project both sets on the top two principal axes of their union; also the explained variance ratio."""
    x = np.concatenate([real, fake]).astype(np.float64)
    x = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    proj = x @ vt[:2].T
    ratio = (s[:2] ** 2) / max((s**2).sum(), 1e-300)
    return proj[: len(real)], proj[len(real) :], ratio


def fid_vs_sample_size(real: np.ndarray, fake: np.ndarray, points: int = 6, repeats: int = 3, seed: int = 0):
    """FID of random subsets of growing size n (same n from each set): (n, mean, std) rows.

    FID is biased upward for small n (the covariance estimate is noisy), so the curve falls as n
    grows; where it still falls steeply the full-size number is not yet stable.
    """
    n_max = min(len(real), len(fake))
    if n_max < 2:
        return []
    sizes = np.unique(np.geomspace(2, n_max, num=min(points, n_max - 1)).astype(int))
    rng = np.random.RandomState(seed)
    rows = []
    for n in sizes:
        reps = 1 if n == n_max else repeats
        vals = [
            fid_from_features(
                real[rng.choice(len(real), n, replace=False)], fake[rng.choice(len(fake), n, replace=False)]
            )
            for _ in range(reps)
        ]
        rows.append((int(n), float(np.mean(vals)), float(np.std(vals))))
    return rows


def nearest_real_neighbours(real: np.ndarray, fake: np.ndarray, n_fakes: int = 4, k: int = 3):
    """For the first ``n_fakes`` fakes, the indices and feature distances of their k nearest reals.

    Also the median real-to-real nearest-neighbour distance, a yardstick: a fake much closer to a
    real image than reals are to each other may be a memorised copy.
    """
    d = _pairwise_distances(fake[:n_fakes], real)
    order = np.argsort(d, axis=1)[:, :k]
    dist = np.take_along_axis(d, order, axis=1)
    rr = _pairwise_distances(real, real)
    np.fill_diagonal(rr, np.inf)
    yardstick = float(np.median(rr.min(axis=1))) if len(real) > 1 else float("nan")
    return order, dist, yardstick


def _thumb(ref, size: int) -> Image.Image:
    """An image reference (anything with ``read_bytes``) fitted into a white size×size square."""
    try:
        im = Image.fromarray(decode_rgb(ref.read_bytes()))
    except (OSError, ValueError):
        im = Image.new("RGB", (size, size), (200, 200, 200))  # an unreadable file: a grey square
    im.thumbnail((size, size))
    canvas = Image.new("RGB", (size, size), (255, 255, 255))
    canvas.paste(im, ((size - im.width) // 2, (size - im.height) // 2))
    return canvas


def neighbours_sheet(fake_refs, real_refs, order: np.ndarray, size: int = 80, gap: int = 24) -> np.ndarray:
    """One row per generated image: the image, an orange line, then its nearest real images (``order``).

    ``fake_refs[i]`` is the i-th generated image and ``order[i]`` indexes ``real_refs``, as returned
    by :func:`nearest_real_neighbours`. Returns an RGB uint8 picture.
    """
    k = order.shape[1]
    canvas = Image.new("RGB", (size + gap + k * (size + 4), len(order) * (size + 6)), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    draw.line([(size + gap // 2, 0), (size + gap // 2, canvas.height)], fill=(200, 90, 0), width=3)
    for i, row in enumerate(order):
        y = i * (size + 6)
        canvas.paste(_thumb(fake_refs[i], size), (0, y))
        for j, idx in enumerate(row):
            canvas.paste(_thumb(real_refs[idx], size), (size + gap + j * (size + 4), y))
    return np.asarray(canvas)


def class_histogram(logits: np.ndarray, top: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """How often each class is the arg-max (sorted, the ``top`` most used): (class ids, counts)."""
    counts = np.bincount(np.argmax(logits, axis=1), minlength=logits.shape[1])
    idx = np.argsort(-counts)[:top]
    idx = idx[counts[idx] > 0]
    return idx, counts[idx]
