"""The two players: small MLPs, chosen by depth, width and activation.

``Generator``: z (N, z_dim) -> x (N, 2).  ``Discriminator``: x (N, 2 * pack) -> one raw score (N, 1):
a logit for the sigmoid losses, a critic value for WGAN/hinge, the least-squares output for LSGAN.
With PacGAN (pack = m) the discriminator sees m samples concatenated into one input row.
"""

from __future__ import annotations

import torch
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
}


def mlp(n_in: int, n_out: int, depth: int, width: int, activation: str) -> nn.Sequential:
    """``depth`` hidden layers of ``width`` units, each followed by ``activation``; linear output."""
    layers: list[nn.Module] = []
    d = n_in
    for _ in range(depth):
        layers += [nn.Linear(d, width), ACTIVATIONS[activation]()]
        d = width
    layers.append(nn.Linear(d, n_out))
    return nn.Sequential(*layers)


class Generator(nn.Module):
    """z (N, z_dim) -> points (N, 2)."""

    def __init__(self, z_dim: int = 2, depth: int = 2, width: int = 64, activation: str = "relu"):
        super().__init__()
        self.z_dim = z_dim
        self.net = mlp(z_dim, 2, depth, width, activation)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class Discriminator(nn.Module):
    """points (N, 2 * pack) -> raw score (N, 1)."""

    def __init__(self, depth: int = 2, width: int = 64, activation: str = "relu", pack: int = 1):
        super().__init__()
        self.pack = pack
        self.net = mlp(2 * pack, 1, depth, width, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def build_models(cfg) -> tuple[Generator, Discriminator]:
    """G and D for a :class:`~playground.toy2d.config.ToyConfig` (initialised from torch's global RNG)."""
    G = Generator(cfg.z_dim, cfg.g_depth, cfg.g_width, cfg.activation)
    D = Discriminator(cfg.d_depth, cfg.d_width, cfg.activation, cfg.pack)
    return G, D


def parameter_bytes(*modules: nn.Module) -> int:
    return sum(p.numel() * p.element_size() for m in modules for p in m.parameters())
