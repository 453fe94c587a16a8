"""Pictures made from generated images: labelled strips and GIFs (grids and upscaling: playground.images)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from playground.images import grid, save_gif, upscale


def strip(exemplars: np.ndarray, mean_image: np.ndarray | None, pad: int = 2, gap: int = 12,
          scale: int = 2) -> np.ndarray:
    """Exemplars in a row, then (after a wider gap) the image of their mean z."""
    row = grid(exemplars, ncols=len(exemplars), pad=pad)
    if mean_image is None:
        return upscale(row, scale)
    h = row.shape[0]
    m = grid(mean_image[None], 1, pad=pad)
    spacer = np.full((h, gap, 3), 255, dtype=np.uint8)
    # a small arrow: "averages to"
    mid = h // 2
    spacer[mid - 1 : mid + 1, 1 : gap - 2] = 110
    for k in range(4):
        spacer[mid - 1 - k : mid + 1 + k, gap - 3 - k] = 110
    return upscale(np.concatenate([row, spacer, m], axis=1), scale)


def save_png(image: np.ndarray, path: str | Path) -> None:
    Image.fromarray(image).save(path)


def gif_bytes(frames: np.ndarray, fps: float = 12.0, scale: int = 2) -> bytes:
    """An endlessly looping animated GIF from uint8 frames (F, H, W, 3), enlarged ``scale`` times."""
    return save_gif([upscale(f, scale) if scale != 1 else f for f in frames], fps=fps)


__all__ = ["grid", "upscale", "strip", "save_png", "gif_bytes"]
