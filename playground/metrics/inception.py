"""The Inception networks: the FID feature TorchScript, and an nn.Module with the 1008 logits for IS.

``FIDInceptionV3`` reproduces the network definition of pytorch-fid's ``inception.py`` (Apache-2.0,
© Maximilian Seitzer; derived from torchvision's Inception3 and the TensorFlow graph
``inception-2015-12-05``): torchvision's blocks with the FID patches (average pools that ignore the
zero padding, a max pool in the last block). Module names match torchvision's, so pytorch-fid's
published state_dict ``pt_inception-2015-12-05-6726825d.pth`` loads unchanged.
"""

from __future__ import annotations

import functools
import threading
import warnings
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models import inception as tv_inception

from playground.metrics import assets
from playground.safe_weights import read_weights

__all__ = ["load_fid_network", "FIDInceptionV3", "load_is_network"]

_lock = threading.Lock()


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


# ------------------------------------------------------------------------- IS network definition


class FIDInceptionA(tv_inception.InceptionA):
    """InceptionA with TF's average pool (padding excluded from the mean). N×C×35×35 → N×(224+pool)×35×35."""

    def forward(self, x):
        branch1x1 = self.branch1x1(x)
        branch5x5 = self.branch5x5_2(self.branch5x5_1(x))
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        branch_pool = self.branch_pool(F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False))
        return torch.cat([branch1x1, branch5x5, branch3x3dbl, branch_pool], 1)


class FIDInceptionC(tv_inception.InceptionC):
    """InceptionC with TF's average pool. N×768×17×17 → N×768×17×17."""

    def forward(self, x):
        branch1x1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            bd = layer(bd)
        branch_pool = self.branch_pool(F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False))
        return torch.cat([branch1x1, b7, bd, branch_pool], 1)


class FIDInceptionE(tv_inception.InceptionE):
    """InceptionE; the first uses TF's average pool, the second a max pool (as in TF). → N×2048×8×8."""

    def __init__(self, in_channels: int, pool: str):
        super().__init__(in_channels)
        self.pool = pool

    def forward(self, x):
        branch1x1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        if self.pool == "avg":
            pooled = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
        else:
            pooled = F.max_pool2d(x, 3, stride=1, padding=1)
        return torch.cat([branch1x1, b3, bd, self.branch_pool(pooled)], 1)


class FIDInceptionV3(nn.Module):
    """The FID Inception with its classifier: N×3×299×299 in (-1, 1) → (pool3 N×2048, logits N×1008).

    The logits are returned without the fc bias, as the original TF Inception Score code and
    torch-fidelity (``logits_unbiased``) compute them.
    """

    def __init__(self):
        super().__init__()
        conv = tv_inception.BasicConv2d
        self.Conv2d_1a_3x3 = conv(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = conv(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = conv(32, 64, kernel_size=3, padding=1)
        self.maxpool1 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Conv2d_3b_1x1 = conv(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = conv(80, 192, kernel_size=3)
        self.maxpool2 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Mixed_5b = FIDInceptionA(192, pool_features=32)
        self.Mixed_5c = FIDInceptionA(256, pool_features=64)
        self.Mixed_5d = FIDInceptionA(288, pool_features=64)
        self.Mixed_6a = tv_inception.InceptionB(288)
        self.Mixed_6b = FIDInceptionC(768, channels_7x7=128)
        self.Mixed_6c = FIDInceptionC(768, channels_7x7=160)
        self.Mixed_6d = FIDInceptionC(768, channels_7x7=160)
        self.Mixed_6e = FIDInceptionC(768, channels_7x7=192)
        self.Mixed_7a = tv_inception.InceptionD(768)
        self.Mixed_7b = FIDInceptionE(1280, pool="avg")
        self.Mixed_7c = FIDInceptionE(2048, pool="max")
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(2048, 1008)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for name, module in self.named_children():
            if name == "fc":
                break
            x = module(x)
        pool3 = torch.flatten(x, 1)
        return pool3, pool3 @ self.fc.weight.T


_is_cache: dict = {}


def load_is_network(
    device: str | torch.device = "cpu", path=None, download: bool = True, log=None
) -> FIDInceptionV3:
    """FIDInceptionV3 with pytorch-fid's weights (downloaded once, sha256-checked); cached per process.

    Raises :class:`assets.WeightsUnavailable` with instructions when the file cannot be had.
    """
    with _lock:
        p = assets.is_weights_path(path, download=download, log=log)
        key = (str(p), str(torch.device(device)))
        if key not in _is_cache:
            _is_cache[key] = build_is_network(p, device)
        return _is_cache[key]


def build_is_network(path: str | Path, device: str | torch.device = "cpu") -> FIDInceptionV3:
    """Load a state_dict file of pytorch-fid's layout into the definition (strict: every key must match)."""
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
