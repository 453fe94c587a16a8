"""Train a DCGAN on a folder of images (the loop of pytorch/examples' dcgan/main.py, readable top to bottom).

    python -m playground.dcgan train --data DIR --epochs 5 --out runs/faces

Every image file under DIR (any depth) is centre-cropped, resized to 64x64 and scaled to [-1, 1].
Each epoch writes a grid of samples from a fixed z (``samples_epoch_XXX.png``) and the generator as
``netG.safetensors`` (plus ``netD.safetensors``), which the DCGAN tab and ``load_generator`` read.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn
from tqdm import tqdm

from playground import safe_input
from playground.cli_common import output_folder, resolve_device
from playground.dcgan.checkpoints import save_generator
from playground.dcgan.figures import save_png
from playground.dcgan.models import Discriminator, Generator, weights_init
from playground.errors import UserError
from playground.images import IMAGE_EXTENSIONS, center_crop_resize, grid, read_image, tanh_to_uint8

MAX_PIXELS = 64_000_000  # per training image (a folder on your own disk: larger than uploads may be)
MAX_FILE_BYTES = 256 * 2**20


@dataclass
class TrainConfig:
    data: str
    out: str = "runs/dcgan"
    epochs: int = 5
    batch_size: int = 64
    lr: float = 2e-4  # Adam, as in the DCGAN paper
    beta1: float = 0.5
    nz: int = 100
    ngf: int = 64
    ndf: int = 64
    seed: int = 0
    num_samples: int = 64  # images in each epoch's sample grid
    device: str | None = None  # None: playground.device.get_device()
    progress: bool = True  # tqdm progress bar


class ImageFolder(torch.utils.data.Dataset):
    """All images under ``root`` as (3, 64, 64) tensors in [-1, 1] (no labels: a GAN needs none)."""

    def __init__(self, root: str | Path, size: int = 64):
        root = Path(root)
        if not root.is_dir():
            raise UserError(f"{root} is not a folder of images.")
        self.files = sorted(
            p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()
        )
        if not self.files:
            raise UserError(f"No images ({', '.join(sorted(IMAGE_EXTENSIONS))}) found under {root}.")
        self.size = size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> torch.Tensor:
        # Checked decoding (size and pixel count from the header first); a broken file names itself.
        im = read_image(self.files[i], f"Training image {self.files[i]}", max_pixels=MAX_PIXELS,
                        max_bytes=MAX_FILE_BYTES, shrink_to=self.size)
        x = torch.from_numpy(center_crop_resize(im, self.size, "bicubic").astype(np.float32) / 127.5 - 1.0)
        return x.permute(2, 0, 1)


@dataclass
class EpochReport:
    epoch: int
    loss_d: float
    loss_g: float
    d_real: float  # mean D(x) on real images
    d_fake: float  # mean D(G(z)) before G's step
    seconds: float
    samples_png: str
    checkpoint: str


def check_config(cfg: TrainConfig) -> None:
    """Every number in range before anything is allocated (a UserError names the first one that is not)."""
    from playground.dcgan.checkpoints import MAX_NGF, MAX_NZ
    from playground.dcgan.latent import MAX_SEED

    if safe_input.integer(cfg.epochs, "epochs", 0, 100_000) < 1:
        raise UserError("Train for at least one epoch.")
    safe_input.integer(cfg.batch_size, "batch size", 1, 4096)
    safe_input.number(cfg.lr, "learning rate", 1e-12, 1.0)
    safe_input.number(cfg.beta1, "beta1", 0.0, 0.9999)
    safe_input.integer(cfg.nz, "nz", 1, MAX_NZ)
    # The app loads generators up to MAX_NGF wide; D follows the same bound.
    safe_input.integer(cfg.ngf, "ngf", 1, MAX_NGF)
    safe_input.integer(cfg.ndf, "ndf", 1, MAX_NGF)
    safe_input.integer(cfg.seed, "seed", 0, MAX_SEED)
    safe_input.integer(cfg.num_samples, "num_samples", 1, 1024)


def train(cfg: TrainConfig) -> Iterator[EpochReport]:
    """Train, yielding one :class:`EpochReport` per epoch (after its samples and checkpoint are written)."""
    check_config(cfg)
    device = resolve_device(cfg.device)
    out = output_folder(cfg.out)
    torch.manual_seed(cfg.seed)
    data = ImageFolder(cfg.data)
    loader = torch.utils.data.DataLoader(
        data, batch_size=min(cfg.batch_size, len(data)), shuffle=True, drop_last=len(data) >= cfg.batch_size,
        num_workers=0,
    )
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2))

    netG = Generator(nz=cfg.nz, ngf=cfg.ngf).to(device)
    netD = Discriminator(ndf=cfg.ndf).to(device)
    netG.apply(weights_init)
    netD.apply(weights_init)
    criterion = nn.BCELoss()
    optD = torch.optim.Adam(netD.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    fixed_z = torch.randn(cfg.num_samples, cfg.nz, generator=torch.Generator().manual_seed(cfg.seed))
    fixed_z = fixed_z.to(device)

    for epoch in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        netG.train()
        netD.train()
        sums = np.zeros(4)
        batches = 0
        bar = tqdm(loader, desc=f"epoch {epoch}/{cfg.epochs}", disable=not cfg.progress, leave=False)
        for real in bar:
            real = real.to(device)
            b = real.shape[0]
            ones = torch.ones(b, device=device)
            zeros = torch.zeros(b, device=device)

            # (1) D step: maximise log D(x) + log(1 - D(G(z)))
            optD.zero_grad(set_to_none=True)
            out_real = netD(real)
            fake = netG(torch.randn(b, cfg.nz, device=device))
            out_fake = netD(fake.detach())
            loss_d = criterion(out_real, ones) + criterion(out_fake, zeros)
            loss_d.backward()
            optD.step()

            # (2) G step, non-saturating: maximise log D(G(z))
            optG.zero_grad(set_to_none=True)
            loss_g = criterion(netD(fake), ones)
            loss_g.backward()
            optG.step()

            sums += [loss_d.item(), loss_g.item(), out_real.mean().item(), out_fake.mean().item()]
            batches += 1
            bar.set_postfix(loss_d=f"{loss_d.item():.3f}", loss_g=f"{loss_g.item():.3f}")

        png, ckpt = _write_epoch(out, epoch, netG, netD, fixed_z, cfg)
        m = sums / max(batches, 1)
        yield EpochReport(epoch, m[0], m[1], m[2], m[3], time.perf_counter() - t0, str(png), str(ckpt))


def _write_epoch(out: Path, epoch: int, netG: Generator, netD: Discriminator, fixed_z: torch.Tensor,
                 cfg: TrainConfig) -> tuple[Path, Path]:
    """The epoch's sample grid (from the fixed z, G in eval mode) and both networks as safetensors."""
    netG.eval()
    with torch.no_grad():
        imgs = tanh_to_uint8(netG(fixed_z))
    png = out / f"samples_epoch_{epoch:03d}.png"
    save_png(grid(imgs, ncols=int(np.ceil(np.sqrt(len(imgs))))), png)
    meta = {"architecture": "pytorch-examples-dcgan-generator", "epoch": str(epoch), "data": str(cfg.data)}
    ckpt = out / "netG.safetensors"
    save_generator(netG, ckpt, metadata=meta)
    save_file({k: v.detach().cpu().contiguous() for k, v in netD.state_dict().items()},
              str(out / "netD.safetensors"), metadata=meta)
    return png, ckpt


__all__ = ["TrainConfig", "ImageFolder", "EpochReport", "train"]
