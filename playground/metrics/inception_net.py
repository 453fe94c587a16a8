"""The IS network definition: the FID Inception with its 1008 logits, built from torchvision's blocks.

``FIDInceptionV3`` reproduces the network definition of pytorch-fid's ``inception.py`` (Apache-2.0,
© Maximilian Seitzer; derived from torchvision's Inception3 and the TensorFlow graph
``inception-2015-12-05``): torchvision's blocks with the FID patches (average pools that ignore the
zero padding, a max pool in the last block). Module names match torchvision's, so pytorch-fid's
published state_dict ``pt_inception-2015-12-05-6726825d.pth`` loads unchanged.

Its own module because importing torchvision takes seconds (it imports all its models): only the Inception
Score needs it, so ``playground.metrics.inception`` imports this module on first use.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models import inception as tv_inception

__all__ = ["FIDInceptionV3"]


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
