"""Pictures made from generated images: grids, labelled strips, the arithmetic figure and GIFs."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image


def grid(images: np.ndarray, ncols: int, pad: int = 2, scale: int = 1, bg: int = 255) -> np.ndarray:
    """Tile uint8 images (N, H, W, C) into one image, row-major, ``pad`` pixels apart."""
    n, h, w, c = images.shape
    ncols = max(1, min(ncols, n)) if n else 1
    nrows = max(1, -(-n // ncols))
    out = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad, c), bg, dtype=np.uint8)
    for i in range(n):
        r, col = divmod(i, ncols)
        y, x = pad + r * (h + pad), pad + col * (w + pad)
        out[y : y + h, x : x + w] = images[i]
    if scale != 1:
        out = upscale(out, scale)
    return out


def upscale(image: np.ndarray, scale: int) -> np.ndarray:
    """Enlarge by an integer factor with bicubic resampling (64x64 faces look blocky at 1x)."""
    im = Image.fromarray(image)
    return np.asarray(im.resize((im.width * scale, im.height * scale), Image.BICUBIC))


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
    """An endlessly looping animated GIF from uint8 frames (F, H, W, 3)."""
    ims = [Image.fromarray(upscale(f, scale) if scale != 1 else f) for f in frames]
    buf = io.BytesIO()
    ims[0].save(buf, format="GIF", save_all=True, append_images=ims[1:], duration=int(1000 / fps), loop=0)
    return buf.getvalue()


__all__ = ["grid", "upscale", "strip", "save_png", "gif_bytes"]
