"""One place that decides where tensors live.

Every model in the package asks :func:`get_device` instead of calling ``.cuda()`` so the same code
runs on a laptop (CPU or Apple MPS), a GPU box and a Hugging Face ZeroGPU Space.
"""

from __future__ import annotations

import os
from typing import Callable, TypeVar

import torch

F = TypeVar("F", bound=Callable)


def get_device(prefer: str | None = None) -> torch.device:
    """CUDA when available, else Apple MPS, else CPU.

    ``prefer`` (or the ``PLAYGROUND_DEVICE`` environment variable) forces a device, e.g. ``"cpu"``
    for deterministic tests on a GPU machine.
    """
    prefer = prefer or os.environ.get("PLAYGROUND_DEVICE")
    if prefer:
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def gpu(fn: F | None = None, *, duration: int = 60):
    """Decorate a function that wants a GPU on Hugging Face ZeroGPU Spaces.

    Uses ``spaces.GPU`` when the ``spaces`` package is importable and is a no-op otherwise, so the
    decorated function runs unchanged on a laptop. Usable as ``@gpu`` or ``@gpu(duration=120)``.
    """

    def wrap(f: F) -> F:
        try:
            import spaces  # type: ignore[import-not-found]
        except Exception:  # not on Spaces: nothing to do
            return f
        return spaces.GPU(duration=duration)(f)  # pragma: no cover - only on Spaces

    if fn is not None:
        return wrap(fn)
    return wrap


def default_threads() -> None:
    """Keep torch from oversubscribing small machines (a Space has 2 vCPUs)."""
    n = os.environ.get("PLAYGROUND_THREADS")
    if n:
        torch.set_num_threads(int(n))


__all__ = ["get_device", "gpu", "default_threads"]
