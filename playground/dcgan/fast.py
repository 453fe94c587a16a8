"""A faster CPU forward pass for an eval-mode DCGAN generator.

In eval mode batch norm is a fixed per-channel affine map, so it can be folded into the transposed
convolution before it: with s = gamma / sqrt(running_var + eps), the folded layer has weights
w[:, c] * s[c] and bias beta[c] - running_mean[c] * s[c] (a ConvTranspose2d's output channel is its
weight's dim 1). That removes four passes over the activations; the ReLUs run in place. The result
equals the original network up to float rounding (checked in the tests).
"""

from __future__ import annotations

import torch
from torch import nn

from playground.dcgan.models import Generator


def fold_batchnorm(generator: Generator) -> nn.Sequential:
    """An inference-only copy of ``generator.main`` with every BatchNorm folded into its ConvTranspose."""
    layers: list[nn.Module] = []
    mods = list(generator.main)
    i = 0
    while i < len(mods):
        m = mods[i]
        if isinstance(m, nn.ConvTranspose2d):
            conv = nn.ConvTranspose2d(
                m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, bias=True
            )
            w = m.weight.detach().clone().float()
            b = m.bias.detach().clone().float() if m.bias is not None else torch.zeros(m.out_channels)
            if i + 1 < len(mods) and isinstance(mods[i + 1], nn.BatchNorm2d):
                bn = mods[i + 1]
                s = bn.weight.detach().float() / torch.sqrt(bn.running_var.detach().float() + bn.eps)
                w = w * s[None, :, None, None]
                b = bn.bias.detach().float() + (b - bn.running_mean.detach().float()) * s
                i += 1
            conv.weight.data.copy_(w)
            conv.bias.data.copy_(b)
            layers.append(conv)
        elif isinstance(m, nn.ReLU):
            layers.append(nn.ReLU(inplace=True))
        else:
            layers.append(m)
        i += 1
    seq = nn.Sequential(*layers).eval()
    for p in seq.parameters():
        p.requires_grad_(False)
    return seq.to(next(generator.parameters()).device)


__all__ = ["fold_batchnorm"]
