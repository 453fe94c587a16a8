"""One place that decides where tensors live.

Code that wants an accelerator asks :func:`get_device` instead of calling ``.cuda()``, so the same code
runs on a laptop (CPU or Apple MPS), a GPU box and a Hugging Face ZeroGPU Space. The small interactive
models (the 2-D lab, the bundled 64×64 models) stay on the CPU on purpose: they answer in milliseconds
there, and a GPU would mostly add transfers.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, TypeVar

import torch

from playground.errors import UserError

F = TypeVar("F", bound=Callable)


def get_device(prefer: str | None = None) -> torch.device:
    """CUDA when available, else Apple MPS, else CPU.

    ``prefer`` (or the ``PLAYGROUND_DEVICE`` environment variable) forces a device, e.g. ``"cpu"``
    for deterministic tests on a GPU machine; a name torch does not know, or a GPU this machine does not
    have, is a :class:`UserError` that says so (not a traceback from deep inside a model).
    """
    if prefer:
        return _checked_device(prefer, "The device")
    if os.environ.get("PLAYGROUND_DEVICE"):
        return _checked_device(os.environ["PLAYGROUND_DEVICE"], "PLAYGROUND_DEVICE")
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _checked_device(name: str, what: str) -> torch.device:
    try:
        device = torch.device(name.strip())
    except (RuntimeError, ValueError):
        raise UserError(f"{what} is {name!r}, which is not a device: use cpu, cuda, cuda:N or mps.") from None
    mps = getattr(torch.backends, "mps", None)
    missing = (device.type == "cuda" and (not torch.cuda.is_available()
                                          or (device.index or 0) >= torch.cuda.device_count())
               or device.type == "mps" and not (mps is not None and mps.is_available()))
    if missing:
        raise UserError(f"{what} is {name!r}, but this machine has no such device: use cpu, or unset it.")
    return device


def gpu(fn: F | None = None, *, duration: int = 60):
    """Decorate a function that wants a GPU on Hugging Face ZeroGPU Spaces.

    Uses ``spaces.GPU`` when the ``spaces`` package is importable and is a no-op otherwise, so the
    decorated function runs unchanged on a laptop. Usable as ``@gpu`` or ``@gpu(duration=120)``.

    On ZeroGPU the call runs in a forked worker process and its arguments and result (each yielded item, for
    a generator) are pickled: a decorated function takes and returns plain data (arrays, CPU tensors,
    strings, numbers, dicts and dataclasses of those) and finds its model in a per-process cache, never as
    an argument (a TorchScript module, a callback or a lock does not pickle). ``tests/test_zerogpu.py`` holds
    every decorated function to that. A ``spaces`` that is installed but fails to import is an error here (on
    a Space, an app without its GPU functions would not start); ``app.py`` imports it first
    (:func:`playground.zerogpu.import_spaces_first`).
    """

    def wrap(f: F) -> F:
        try:
            import spaces  # type: ignore[import-not-found]
        except ModuleNotFoundError as exc:  # not on Spaces: nothing to do
            if exc.name != "spaces":
                raise
            return f
        return spaces.GPU(duration=duration)(f)

    if fn is not None:
        return wrap(fn)
    return wrap


def default_threads() -> int:
    """Set torch's intra-op thread count for the app (1 unless ``PLAYGROUND_THREADS`` says otherwise).

    The app serves many sessions at once, each request on its own Python thread, and every such
    thread would start its own team of OpenMP workers on the same few cores. Measured here on 2 cores
    with one other busy process: the 2-D GAN trainer ran 433 iterations/s on 1 thread and 7 on 2;
    the Inception forward pass keeps ~3 images/s on 1 thread. Set PLAYGROUND_THREADS=N on a dedicated
    machine to let one computation use N cores.
    """
    n = os.environ.get("PLAYGROUND_THREADS") or "1"
    torch.set_num_threads(max(1, int(n)))
    # Python threads hand the interpreter lock over every 5 ms by default. A thread that calls into
    # torch gives the lock up on every call and may wait that long to get it back whenever another
    # Python thread is busy (drawing frames, serving another session): measured on 2 cores, the 2-D
    # trainer fell from ~1,400 to ~240 iterations/s beside one busy Python thread; with 0.2 ms it
    # kept ~1,260.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    return torch.get_num_threads()


SWITCH_INTERVAL_S = 0.0002


__all__ = ["get_device", "gpu", "default_threads"]
