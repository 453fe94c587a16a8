"""Maths on the latent space z ~ N(0, I) of a DCGAN: seeded samples, group means, vector arithmetic,
interpolation (lerp and slerp) and walks along directions.

Everything works on float32 torch tensors of shape (nz,) or (N, nz) on the CPU; the generator renders
them. Why these operations make sense:

* A single z carries its attribute (glasses, smile) mixed with many others. Averaging k exemplars of a
  concept keeps what they share and shrinks the rest by ~1/sqrt(k) -- Radford et al. (2016) average
  three per concept before ``mean(A) - mean(B) + mean(C)``.
* In high dimension a Gaussian sample's norm concentrates near sqrt(nz) (= 10 for nz = 100). The straight
  line between two samples passes much closer to the origin (its midpoint has norm ~ 10 / sqrt(2)),
  a region the generator rarely saw; slerp (White 2016) follows the great circle instead, keeping norms
  typical.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from playground.dcgan.models import NZ

# Per-sample seeds: sample i of grid seed s is drawn from its own generator, so it does not depend on how
# many samples the grid shows (a z referenced as (seed, index) is always the same vector).
MAX_INDEX = 1 << 20
# torch's generator takes a 64-bit seed and sample i of grid s uses s * MAX_INDEX + i, so grid seeds must
# stay below 2**44; the UI and CLI accept 0 .. 2**32 - 1 for every seed (grid, noise, direction).
MAX_SEED = 2**32 - 1


def sample_z(seed: int, index: int, nz: int = NZ) -> torch.Tensor:
    """The z of sample ``index`` of grid ``seed``: N(0, I), shape (nz,), the same on every machine."""
    if not 0 <= index < MAX_INDEX:
        raise ValueError(f"sample index must be in [0, {MAX_INDEX}); got {index}")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be in [0, {MAX_SEED}]; got {seed}")
    g = torch.Generator().manual_seed(int(seed) * MAX_INDEX + int(index))
    return torch.randn(nz, generator=g)


def seeded_z(seed: int, n: int, nz: int = NZ, start: int = 0) -> torch.Tensor:
    """Samples ``start .. start+n-1`` of grid ``seed``: shape (n, nz)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    if n == 0:
        return torch.zeros(0, nz)
    return torch.stack([sample_z(seed, start + i, nz) for i in range(n)])


def group_mean(zs: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
    """Mean of k latent vectors (k, nz) -> (nz,)."""
    z = zs if isinstance(zs, torch.Tensor) else torch.stack(list(zs))
    if z.dim() == 1:
        return z.clone()
    if z.shape[0] == 0:
        raise ValueError("a group needs at least one vector")
    return z.mean(dim=0)


def arithmetic(a, b, c) -> torch.Tensor:
    """Radford et al.'s vector arithmetic: mean(A) - mean(B) + mean(C)."""
    return group_mean(a) - group_mean(b) + group_mean(c)


def neighbourhood(center: torch.Tensor, seed: int = 0, scale: float = 0.25, n: int = 9) -> torch.Tensor:
    """``n`` vectors around ``center`` for a 3x3 figure: the middle one (index n // 2) is ``center``
    itself, the others add uniform noise in [-scale, scale] per coordinate (Radford et al. use 0.25)."""
    g = torch.Generator().manual_seed(int(seed))
    noise = (torch.rand(n, center.numel(), generator=g) * 2 - 1) * scale
    noise[n // 2] = 0
    return center.reshape(1, -1) + noise


def lerp(z0: torch.Tensor, z1: torch.Tensor, t) -> torch.Tensor:
    """Linear interpolation (1 - t) z0 + t z1; ``t`` scalar -> (nz,), 1-D tensor of T values -> (T, nz)."""
    t = torch.as_tensor(t, dtype=z0.dtype)
    if t.dim() == 0:
        return (1 - t) * z0 + t * z1
    return (1 - t)[:, None] * z0[None] + t[:, None] * z1[None]


def slerp(z0: torch.Tensor, z1: torch.Tensor, t, eps: float = 1e-6) -> torch.Tensor:
    """Spherical interpolation (White 2016, "Sampling Generative Networks").

    slerp(z0, z1; t) = sin((1 - t) w) / sin(w) z0 + sin(t w) / sin(w) z1, with w the angle between
    z0 and z1. When z0 and z1 are (anti)parallel sin(w) ~ 0 and the great circle is undefined; then it
    falls back to lerp, which is also the limit of the formula as w -> 0.
    """
    t = torch.as_tensor(t, dtype=torch.float64)
    a, b = z0.double(), z1.double()
    cos = torch.dot(a / a.norm(), b / b.norm()).clamp(-1.0, 1.0)
    omega = torch.arccos(cos)
    so = torch.sin(omega)
    if so.abs() < eps:
        return lerp(z0, z1, t.to(z0.dtype))
    w0 = torch.sin((1 - t) * omega) / so
    w1 = torch.sin(t * omega) / so
    if t.dim() == 0:
        out = w0 * a + w1 * b
    else:
        out = w0[:, None] * a[None] + w1[:, None] * b[None]
    return out.to(z0.dtype)


def interpolate(z0: torch.Tensor, z1: torch.Tensor, steps: int, method: str = "slerp") -> torch.Tensor:
    """``steps`` vectors from z0 to z1 inclusive, shape (steps, nz); method 'lerp' or 'slerp'."""
    if steps < 2:
        raise ValueError("an interpolation needs at least 2 steps")
    t = torch.linspace(0, 1, steps)
    if method == "lerp":
        return lerp(z0, z1, t)
    if method == "slerp":
        return slerp(z0, z1, t)
    raise ValueError(f"unknown interpolation method {method!r} (use 'lerp' or 'slerp')")


def attribute_direction(group1, group2) -> torch.Tensor:
    """Direction of an attribute: mean(group1) - mean(group2), e.g. 'smiling' minus 'neutral'."""
    return group_mean(group1) - group_mean(group2)


def apply_direction(z: torch.Tensor, direction: torch.Tensor, scale: float) -> torch.Tensor:
    """z + scale * direction (scale 1 adds the whole difference of the two group means)."""
    return z + scale * direction


def random_direction(seed: int, nz: int = NZ) -> torch.Tensor:
    """A random unit direction (seeded), scaled to the typical norm of z so scale 1 is a big step."""
    g = torch.Generator().manual_seed(int(seed))
    d = torch.randn(nz, generator=g)
    return d / d.norm() * math.sqrt(nz) * 0.5


def walk(z: torch.Tensor, direction: torch.Tensor, frames: int = 24, extent: float = 1.0,
         pingpong: bool = True) -> torch.Tensor:
    """Frames of a latent walk z + s * direction for s from -extent to +extent (and back when
    ``pingpong``, so a looping GIF has no jump). Shape (F, nz)."""
    if frames < 2:
        raise ValueError("a walk needs at least 2 frames")
    s = torch.linspace(-extent, extent, frames)
    if pingpong:
        s = torch.cat([s, s.flip(0)[1:-1]])
    return z.reshape(1, -1) + s[:, None] * direction.reshape(1, -1)


def norms(z: torch.Tensor) -> torch.Tensor:
    """Euclidean norm of each row."""
    return z.reshape(-1, z.shape[-1]).norm(dim=1)


__all__ = [
    "MAX_SEED",
    "MAX_INDEX",
    "sample_z",
    "seeded_z",
    "group_mean",
    "arithmetic",
    "neighbourhood",
    "lerp",
    "slerp",
    "interpolate",
    "attribute_direction",
    "apply_direction",
    "random_direction",
    "walk",
    "norms",
]
