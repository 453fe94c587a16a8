"""The translation models as a server shares them: one loaded copy of each per process, and the official models'
run on the GPU (the app's ZeroGPU entry point).

Every session translates with the same read-only models (``inference``'s caches). Loading takes a lock per model
name, so one student's download of an official model (up to 218 MB) never holds up anyone else's translation,
and two first uses of one model load it once. On a GPU the official models run as a device copy of the shared CPU
model (the CPU model is never moved); on ZeroGPU that happens in a forked worker, so :func:`run_official` takes
and returns plain data only.
"""

from __future__ import annotations

import copy
import dataclasses
import threading

import numpy as np
import torch
from torch import nn

from playground.device import get_device, gpu
from playground.translation import inference

_load_locks: dict[str, threading.Lock] = {}
_load_locks_guard = threading.Lock()


def load_lock(name: str) -> threading.Lock:
    """The lock held while model ``name`` is loaded (or its file downloaded)."""
    with _load_locks_guard:
        return _load_locks.setdefault(name, threading.Lock())


def load_shared(name: str, progress=None) -> inference.TranslationModel:
    """The listed model ``name``, loaded (and for an official one downloaded) once per process."""
    with load_lock(name):
        return inference.load_model(name, progress=progress)


def describe(model: inference.TranslationModel) -> dict:
    """What a result's notes say about a model (plain data: it comes back from a ZeroGPU worker too)."""
    return {"name": model.name, "kind": model.kind, "source": model.source, "size": model.size,
            "input_kind": model.input_kind}


class OnDevice(nn.Module):
    """A copy of a CPU network on ``device`` that takes and returns CPU tensors, so ``inference.translate`` runs
    unchanged around it (the shared CPU model is never moved)."""

    def __init__(self, net: nn.Module, device: torch.device):
        super().__init__()
        self.net = copy.deepcopy(net).to(device)
        self.device = device

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.to(self.device)).cpu()


_device_copies: dict[tuple[str, str], inference.TranslationModel] = {}


def _official_on(name: str, device: torch.device) -> inference.TranslationModel:
    model = load_shared(name)  # the file is on disk already: the caller downloaded it
    if device.type == "cpu":
        return model
    with load_lock(name):
        key = (name, str(device))
        if key not in _device_copies:
            _device_copies[key] = dataclasses.replace(model, G=OnDevice(model.G, device), lock=threading.Lock())
        return _device_copies[key]


def _run_official(name: str, img: np.ndarray, dropout: bool) -> tuple[dict, dict]:
    """Run the official 256x256 model ``name`` on ``img`` on ``get_device()`` (CUDA inside a ZeroGPU call);
    returns (inference.translate's result, :func:`describe` of the model). Arguments and results are plain
    data, as ZeroGPU sends them to and from its worker process."""
    model = _official_on(name, get_device())
    return inference.translate(model, img, dropout=dropout), describe(model)


# ZeroGPU: a cold worker reads up to 218 MB of weights and moves them to the GPU (seconds); one 256x256
# pass takes milliseconds. 30 s covers both with room and stays short (short requests are served first).
run_official = gpu(_run_official, duration=30)
