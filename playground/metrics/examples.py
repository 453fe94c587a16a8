"""One-click example sets that need no upload: generated faces against held-out and degraded faces.

With the bundled face DCGAN (``playground.dcgan``) the "real" stand-in is N samples from one seed
and the "generated" set N samples from another seed (same distribution: FID is only the small-N
bias), or degraded copies of them (blurred, noisy: a worse "generator", FID rises with the damage).
Without the DCGAN the sets are small procedural pictures made from a fixed seed. N is tiny on purpose:
a CPU extracts Inception features slowly (README, Speed).

The pictures stay in memory as PNG bytes (made once per process): no temporary files to outlive a
killed server.
"""

from __future__ import annotations

import io
import logging
import threading

import numpy as np
from PIL import Image, ImageFilter

from playground.metrics.io import ImageRef, ImageSet

N_EXAMPLE = 10

EXAMPLES = {
    "held_out": "generated samples vs held-out samples of the same model",
    "blurred": "blurred samples (Gaussian blur, radius 2) vs held-out samples",
    "noisy": "noisy samples (Gaussian noise, σ = 40 grey levels) vs held-out samples",
}

_lock = threading.Lock()
_pngs: dict[str, list[bytes]] = {}  # "real" and each kind -> PNG bytes, made on first use
_source: list[str] = []

log = logging.getLogger("playground.metrics")

__all__ = ["EXAMPLES", "example_sets", "source_images", "degrade"]


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
    except (ImportError, OSError) as exc:  # no DCGAN package, or its weights cannot be read
        why = "is not installed" if isinstance(exc, ImportError) else "weights cannot be read"
    except Exception as exc:  # noqa: BLE001 - the example still works; the log keeps the failure
        log.exception("the face DCGAN failed to make the metrics example's pictures")
        why = f"failed ({type(exc).__name__})"
    return _procedural(seed, n), f"fallback procedural pictures, because the face DCGAN {why}"


def degrade(images: np.ndarray, kind: str, seed: int = 0) -> np.ndarray:
    if kind == "blurred":
        return np.stack(
            [np.asarray(Image.fromarray(im).filter(ImageFilter.GaussianBlur(2))) for im in images]
        )
    if kind == "noisy":
        noise = np.random.RandomState(seed).normal(0, 40, images.shape)
        return np.clip(images.astype(np.float64) + noise, 0, 255).astype(np.uint8)
    return images


def _png(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()


def _image_set(label: str, pngs: list[bytes]) -> ImageSet:
    return ImageSet(label, [ImageRef(name=f"{label}/{i:03d}.png", data=b) for i, b in enumerate(pngs)])


def example_sets(kind: str) -> tuple[ImageSet, ImageSet, str]:
    """(generated set, real set, description) for an example; the pictures are made once per process."""
    if kind not in EXAMPLES:
        raise ValueError(f"unknown example {kind!r}")
    with _lock:
        if "real" not in _pngs:
            held, source = source_images(seed=2)
            _pngs["real"] = [_png(im) for im in held]
            _source.append(source)
        if kind not in _pngs:
            fake, _ = source_images(seed=1)
            _pngs[kind] = [_png(im) for im in degrade(fake, kind, seed=3)]
        gen, real, source = _pngs[kind], _pngs["real"], _source[0]
    text = f"{EXAMPLES[kind]} — {N_EXAMPLE} images each, from the {source}"
    return _image_set(kind, gen), _image_set("real", real), text
