"""One-click example sets that need no upload: generated faces against held-out and degraded faces.

With the bundled face DCGAN (``playground.dcgan``) the "real" stand-in is N samples from one seed
and the "generated" set N samples from another seed (same distribution: FID is only the small-N
bias), or degraded copies of them (blurred, noisy: a worse "generator", FID rises with the damage).
Without the
DCGAN the sets are small procedural pictures made from a fixed seed. N is tiny on purpose: the CPU
extracts ~3 images/s.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

N_EXAMPLE = 10

EXAMPLES = {
    "held_out": "generated samples vs held-out samples of the same model",
    "blurred": "blurred samples (Gaussian blur, radius 2) vs held-out samples",
    "noisy": "noisy samples (Gaussian noise, σ = 40 grey levels) vs held-out samples",
}

_lock = threading.Lock()
_root: Path | None = None

__all__ = ["EXAMPLES", "example_folders", "source_images", "degrade"]


def _procedural(seed: int, n: int, size: int = 64) -> np.ndarray:
    """Soft coloured blobs on a gradient: deterministic stand-ins for faces when no DCGAN exists."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    out = np.empty((n, size, size, 3), np.uint8)
    for i in range(n):
        img = np.stack([xx * rng.rand(), yy * rng.rand(), (1 - xx) * rng.rand()], axis=2)
        for _ in range(3):
            cx, cy, r = rng.rand(), rng.rand(), 0.1 + 0.2 * rng.rand()
            blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
            img += blob[..., None] * rng.rand(3)
        out[i] = np.clip(img / img.max() * 255, 0, 255).astype(np.uint8)
    return out


def source_images(seed: int, n: int = N_EXAMPLE) -> tuple[np.ndarray, str]:
    """n images (N×64×64×3 uint8) from the bundled DCGAN, or procedural ones; and which it was."""
    try:
        from playground.dcgan import latent
        from playground.dcgan.pretrained import generate, load_bundled_generator

        return generate(latent.seeded_z(seed, n), load_bundled_generator("cpu")), "bundled face DCGAN"
    except Exception:  # noqa: BLE001 - no DCGAN package or weights: fall back
        return _procedural(seed, n), "procedural pictures (the face DCGAN is not installed)"


def degrade(images: np.ndarray, kind: str, seed: int = 0) -> np.ndarray:
    if kind == "blurred":
        return np.stack(
            [np.asarray(Image.fromarray(im).filter(ImageFilter.GaussianBlur(2))) for im in images]
        )
    if kind == "noisy":
        noise = np.random.RandomState(seed).normal(0, 40, images.shape)
        return np.clip(images.astype(np.float64) + noise, 0, 255).astype(np.uint8)
    return images


def _write(folder: Path, images: np.ndarray) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, im in enumerate(images):
        Image.fromarray(im).save(folder / f"{i:03d}.png")
    return folder


def _cleanup() -> None:
    if _root is not None:
        shutil.rmtree(_root, ignore_errors=True)


def example_folders(kind: str) -> tuple[Path, Path, str]:
    """(generated folder, real folder, description) for an example; written once per process."""
    global _root
    if kind not in EXAMPLES:
        raise ValueError(f"unknown example {kind!r}")
    with _lock:
        if _root is None:
            _root = Path(tempfile.mkdtemp(prefix="gp-metrics-examples-"))
            atexit.register(_cleanup)
        gen, real = _root / kind, _root / "real"
        if not real.exists():
            held, source = source_images(seed=2)
            _write(real, held)
            (_root / "source.txt").write_text(source)
        if not gen.exists():
            fake, _ = source_images(seed=1)
            _write(gen, degrade(fake, kind, seed=3))
        source = (_root / "source.txt").read_text()
    return gen, real, f"{EXAMPLES[kind]} — {N_EXAMPLE} images each, from the {source}"
