"""The DCGAN generator and discriminator (Radford et al. 2016), module tree of pytorch/examples.

The layers sit in one ``nn.Sequential`` called ``main`` exactly as in ``pytorch/examples/dcgan/main.py``
and the PyTorch DCGAN faces tutorial, so their checkpoints (keys ``main.0.weight``, ``main.1.running_mean``
...) load unchanged. The architecture follows the paper's rules: no pooling or fully connected layers,
(transposed) strided convolutions to change resolution, batch norm everywhere except G's output and D's
input, ReLU in G with tanh at the output, LeakyReLU(0.2) in D.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

NZ = 100  # length of z
IMAGE_SIZE = 64


@dataclass(frozen=True)
class DCGANConfig:
    """Sizes of a 64x64 DCGAN; the defaults are pytorch/examples' (nz=100, ngf=ndf=64, nc=3)."""

    nz: int = NZ
    ngf: int = 64
    ndf: int = 64
    nc: int = 3


class Generator(nn.Module):
    """z of shape (N, nz) or (N, nz, 1, 1) -> images (N, nc, 64, 64) in [-1, 1]."""

    def __init__(self, nz: int = NZ, ngf: int = 64, nc: int = 3) -> None:
        super().__init__()
        self.nz, self.ngf, self.nc = nz, ngf, nc
        self.main = nn.Sequential(
            # z (nz x 1 x 1) -> (ngf*8) x 4 x 4
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            # -> (ngf*4) x 8 x 8
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # -> (ngf*2) x 16 x 16
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # -> ngf x 32 x 32
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            # -> nc x 64 x 64, pixels in [-1, 1]
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() == 2:
            z = z[:, :, None, None]
        return self.main(z)


class Discriminator(nn.Module):
    """Images (N, nc, 64, 64) in [-1, 1] -> probability of "real", shape (N,)."""

    def __init__(self, ndf: int = 64, nc: int = 3) -> None:
        super().__init__()
        self.ndf, self.nc = ndf, nc
        self.main = nn.Sequential(
            # nc x 64 x 64 -> ndf x 32 x 32 (no batch norm on D's input layer)
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # -> (ndf*2) x 16 x 16
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            # -> (ndf*4) x 8 x 8
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            # -> (ndf*8) x 4 x 4
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            # -> 1 x 1 x 1
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1, 1).squeeze(1)


def weights_init(m: nn.Module) -> None:
    """DCGAN initialisation: conv weights N(0, 0.02), batch-norm scale N(1, 0.02), shift 0."""
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def infer_generator_config(state_dict: dict) -> DCGANConfig:
    """Read nz, ngf and nc from a generator state_dict's first and last transposed convolutions."""
    first = state_dict["main.0.weight"]  # (nz, ngf*8, 4, 4)
    last = state_dict["main.12.weight"]  # (ngf, nc, 4, 4)
    return DCGANConfig(nz=int(first.shape[0]), ngf=int(last.shape[0]), nc=int(last.shape[1]))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


__all__ = [
    "NZ",
    "IMAGE_SIZE",
    "DCGANConfig",
    "Generator",
    "Discriminator",
    "weights_init",
    "infer_generator_config",
    "count_parameters",
]
