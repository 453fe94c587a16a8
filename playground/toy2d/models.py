"""The two players: small MLPs, chosen by depth, width and activation.

``Generator``: z (N, z_dim) -> x (N, 2).  ``Discriminator``: x (N, 2 * pack) -> one raw score (N, 1):
a logit for the sigmoid losses, a critic value for WGAN/hinge, the least-squares output for LSGAN.
With PacGAN (pack = m) the discriminator sees m samples concatenated into one input row.

Conditional GAN (Mirza & Osindero 2014), by concatenation: with ``n_labels`` = K > 0 classes, G's input is
[z, onehot(y)] (N, z_dim + K) and each of D's samples is [x, onehot(y)] (2 + K numbers; a pack of m is m such
groups side by side). :func:`one_hot` and :func:`with_labels` build those rows. The label's 1 is
:data:`LABEL_SCALE`, not 1.
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


# The value of a one-hot label's one entry. At 1 the label starts quieter in the first layers than the point (x spans
# +-2) or the noise (z ~ N(0, 1)): with the collapse recipe (presets.COLLAPSE: 5 D steps, D at 10x G's rate) G moved
# every label towards the same modes first, and 2-5 labels of 8 stayed on a wrong mode (label accuracy 0.38-0.75 at
# 1,500 iterations) on 7 (AVX-512) and 6 (AVX2) of the 16 seeds 100-115; at 3, label accuracy 1.0 on 16 of 16 under both.
LABEL_SCALE = 3.0


def one_hot(labels: torch.Tensor, n_labels: int) -> torch.Tensor:
    """Class labels (N,) int64 -> one-hot rows (N, n_labels) float32, the one entry :data:`LABEL_SCALE`."""
    return torch.zeros(len(labels), n_labels).scatter_(1, labels.reshape(-1, 1), LABEL_SCALE)


def with_labels(x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
    """[x, y] row by row (x unchanged where y is None: an unconditional GAN)."""
    return x if y is None else torch.cat([x, y], 1)


class Generator(nn.Module):
    """z (N, z_dim) and, when conditional, one-hot labels y (N, n_labels) -> points (N, 2)."""

    def __init__(self, z_dim: int = 2, depth: int = 2, width: int = 64, activation: str = "relu", n_labels: int = 0):
        super().__init__()
        self.z_dim = z_dim
        self.n_labels = n_labels
        self.net = mlp(z_dim + n_labels, 2, depth, width, activation)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(with_labels(z, y))


class Discriminator(nn.Module):
    """rows of pack samples (N, (2 + n_labels) * pack), each sample [x, onehot(y)] -> raw score (N, 1)."""

    def __init__(self, depth: int = 2, width: int = 64, activation: str = "relu", pack: int = 1, n_labels: int = 0):
        super().__init__()
        self.pack = pack
        self.n_labels = n_labels
        self.net = mlp((2 + n_labels) * pack, 1, depth, width, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def build_models(cfg, n_labels: int = 0) -> tuple[Generator, Discriminator]:
    """G and D for a :class:`~playground.toy2d.config.ToyConfig` (initialised from torch's global RNG);
    ``n_labels`` > 0 for a conditional GAN (the data set's modes)."""
    G = Generator(cfg.z_dim, cfg.g_depth, cfg.g_width, cfg.activation, n_labels)
    D = Discriminator(cfg.d_depth, cfg.d_width, cfg.activation, cfg.pack, n_labels)
    return G, D


def parameter_bytes(*modules: nn.Module) -> int:
    return sum(p.numel() * p.element_size() for m in modules for p in m.parameters())
