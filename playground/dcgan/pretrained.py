"""The bundled face generator (``pretrained/dcgan_faces.safetensors``) and a helper to render z.

The weights come from the ``gan-face-generate`` package (MIT), converted once by
``scripts/convert_dcgan_faces.py``; see ``pretrained/manifest.json`` for source, licence and sha256.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import torch

from playground.dcgan.checkpoints import generator_from_state_dict, read_state_dict
from playground.dcgan.models import Generator
from playground.device import get_device
from playground.errors import UserError
from playground.files import PRETRAINED_DIR
from playground.images import tanh_to_uint8

BUNDLED_FILE = PRETRAINED_DIR / "dcgan_faces.safetensors"

_cache: dict[str, Generator] = {}
_lock = threading.Lock()


def load_bundled_generator(device: torch.device | str | None = None) -> Generator:
    """The bundled 64x64 face DCGAN generator in eval mode (fp32), loaded once per process and device.

    Eval mode matters: batch norm then uses the running statistics saved with the weights, so each
    image depends on its own z only (in train mode a sample would change with its batch neighbours).
    """
    device = torch.device(device) if device is not None else get_device()
    key = str(device)
    with _lock:
        if key not in _cache:
            if not BUNDLED_FILE.exists():
                raise UserError(
                    f"The bundled face model {BUNDLED_FILE.name} is missing; "
                    "run scripts/convert_dcgan_faces.py to create it."
                )
            # Build outside inference mode even when called from one, so the weights are ordinary
            # tensors that autograd can use (inversion differentiates through the generator).
            with torch.inference_mode(False):
                g = generator_from_state_dict(read_state_dict(BUNDLED_FILE), BUNDLED_FILE.name)
                _cache[key] = g.to(device)
        return _cache[key]


def generate(z, generator: Generator | None = None, batch_size: int = 256) -> np.ndarray:
    """Render latent vectors to images.

    ``z``: array or tensor of shape (N, nz) (or (nz,) for one image). Returns uint8 of shape
    (N, 64, 64, 3), pixels = round((x + 1) / 2 * 255) of the generator's tanh output.
    """
    g = generator if generator is not None else load_bundled_generator()
    with torch.inference_mode():
        return _render(g, z, batch_size)


def _render(g: Generator, z, batch_size: int) -> np.ndarray:
    z = torch.as_tensor(np.asarray(z, dtype=np.float32) if not isinstance(z, torch.Tensor) else z)
    if z.dim() == 1:
        z = z[None]
    if z.dim() == 4:
        z = z.flatten(1)
    if z.dim() != 2 or z.shape[1] != g.nz:
        raise UserError(f"z must have shape (N, {g.nz}); got {tuple(z.shape)}.")
    device = next(g.parameters()).device
    out = []
    for i in range(0, z.shape[0], batch_size):
        out.append(tanh_to_uint8(g(z[i : i + batch_size].to(device=device, dtype=torch.float32))))
    if not out:
        return np.zeros((0, 64, 64, 3), dtype=np.uint8)
    return np.concatenate(out)


__all__ = ["BUNDLED_FILE", "load_bundled_generator", "generate"]
