"""GAN inversion: find a z whose generated image matches a given picture.

The generator is fixed; z is optimised with Adam to minimise the pixel MSE between G(z) and the target
(resized to 64x64, pixels in [-1, 1]), plus an optional small Gaussian prior term ``prior * mean(z^2)``
that keeps z in the region the generator was trained on. Several starting points are optimised together
in one batch and the best one is reported, because the loss surface has many poor local minima.

:func:`invert` is a generator yielding :class:`InversionStep` so a UI can show progress and a live
preview; its last step holds the best z and the final picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch

from playground.dcgan.models import Generator
from playground.errors import UserError
from playground.images import center_crop_resize, read_image, tanh_to_uint8


@dataclass
class InversionStep:
    step: int  # 1-based step just finished
    steps: int
    loss: float  # objective of the best start (MSE + prior)
    mse: float  # pixel MSE of the best start, pixels in [-1, 1]
    z: torch.Tensor  # (nz,) the best start's current z
    preview: np.ndarray | None  # uint8 (64, 64, 3) of G(z), when a preview was due

    @property
    def fraction(self) -> float:
        return self.step / self.steps


def prepare_target(image, size: int = 64) -> torch.Tensor:
    """A picture (upload payload or path, PIL image, uint8/float HxWx3 array) -> (1, 3, size, size) in
    [-1, 1]: centre-cropped to a square, then resized with a Lanczos filter.

    Files are decoded by :func:`playground.images.read_image` (size, format and pixel count checked
    from the header first); every problem is a UserError."""
    if image is None:
        raise UserError("Upload a picture of a face first.")
    square = center_crop_resize(read_image(image, "The face to invert", shrink_to=size), size, "lanczos")
    x = torch.from_numpy(square.astype(np.float32) / 127.5 - 1.0)
    return x.permute(2, 0, 1)[None]


def invert(
    generator: Generator,
    target,
    steps: int = 200,
    lr: float = 0.05,
    prior: float = 1e-3,
    starts: int = 4,
    seed: int = 0,
    preview_every: int = 10,
) -> Iterator[InversionStep]:
    """Optimise z so that G(z) matches ``target``; yields an :class:`InversionStep` after every step
    (with a preview image every ``preview_every`` steps and at the last step)."""
    if steps < 1:
        raise UserError("Inversion needs at least one optimisation step.")
    if starts < 1:
        raise UserError("Inversion needs at least one starting point.")
    device = next(generator.parameters()).device
    x = (target if isinstance(target, torch.Tensor) else prepare_target(target)).to(device)
    if generator.nc == 1 and x.shape[-3] == 3:  # a grayscale generator matches the picture's luma
        x = (x * torch.tensor([0.299, 0.587, 0.114], device=device).view(1, 3, 1, 1)).sum(1, keepdim=True)
    if x.shape[-3:] != (generator.nc, 64, 64):
        raise UserError(f"The target must be {generator.nc}x64x64; got {tuple(x.shape[-3:])}.")
    was_training = generator.training
    generator.eval()
    flags = [p.requires_grad for p in generator.parameters()]
    for p in generator.parameters():
        p.requires_grad_(False)
    try:
        g = torch.Generator().manual_seed(int(seed))
        z = torch.randn(starts, generator.nz, generator=g).to(device).requires_grad_(True)
        opt = torch.optim.Adam([z], lr=lr)
        for step in range(1, steps + 1):
            opt.zero_grad(set_to_none=True)
            out = generator(z)
            mse = ((out - x) ** 2).flatten(1).mean(dim=1)  # per start
            loss = mse + prior * (z**2).mean(dim=1)
            loss.sum().backward()
            opt.step()
            loss, mse = loss.detach(), mse.detach()
            with torch.no_grad():
                best = int(torch.argmin(loss))
                zb = z.detach()[best].clone().cpu()
                preview = None
                if step % preview_every == 0 or step == steps:
                    preview = tanh_to_uint8(generator(z.detach()[best : best + 1]))[0]
            yield InversionStep(step, steps, float(loss[best]), float(mse[best]), zb, preview)
    finally:
        for p, f in zip(generator.parameters(), flags):
            p.requires_grad_(f)
        generator.train(was_training)


__all__ = ["InversionStep", "prepare_target", "invert"]
