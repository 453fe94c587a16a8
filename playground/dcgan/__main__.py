"""Command line for the DCGAN lab.

    python -m playground.dcgan generate --z Z.npy --out DIR      # one PNG per row of an (N, 100) array
    python -m playground.dcgan sample --seed 0 --n 64 --out grid.png
    python -m playground.dcgan train --data DIR --epochs 5 --out runs/faces
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from playground.errors import UserError


def _generator(path: str | None):
    if path:
        from playground.dcgan.checkpoints import load_generator

        return load_generator(path)
    from playground.dcgan.pretrained import load_bundled_generator

    return load_bundled_generator()


def cmd_generate(args) -> None:
    from playground.dcgan.figures import save_png
    from playground.dcgan.pretrained import generate

    try:
        z = np.load(args.z, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise UserError(f"Cannot read {args.z} as a .npy array ({exc}).") from exc
    g = _generator(args.weights)
    if z.ndim != 2 or z.shape[1] != g.nz:
        raise UserError(f"{args.z} must hold an (N, {g.nz}) array; it has shape {z.shape}.")
    images = generate(z.astype(np.float32), generator=g)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(len(images) - 1)))
    for i, im in enumerate(images):
        save_png(im, out / f"{i:0{width}d}.png")
    print(f"wrote {len(images)} images to {out}")


def cmd_sample(args) -> None:
    from playground.dcgan.figures import grid, save_png
    from playground.dcgan.latent import seeded_z
    from playground.dcgan.pretrained import generate

    if args.n < 1:
        raise UserError("--n must be at least 1.")
    g = _generator(args.weights)
    images = generate(seeded_z(args.seed, args.n, nz=g.nz), generator=g)
    ncols = args.cols or math.ceil(math.sqrt(args.n))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    save_png(grid(images, ncols=ncols), args.out)
    print(f"wrote a grid of {args.n} samples (seed {args.seed}) to {args.out}")


def cmd_train(args) -> None:
    from playground.dcgan.train import TrainConfig, train

    cfg = TrainConfig(
        data=args.data, out=args.out, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        ngf=args.ngf, ndf=args.ndf, seed=args.seed, device=args.device,
    )
    for r in train(cfg):
        print(
            f"epoch {r.epoch}/{cfg.epochs}  loss_D {r.loss_d:.3f}  loss_G {r.loss_g:.3f}  "
            f"D(x) {r.d_real:.3f}  D(G(z)) {r.d_fake:.3f}  {r.seconds:.1f}s  -> {r.samples_png}",
            flush=True,
        )
    print(f"generator checkpoint: {Path(args.out) / 'netG.safetensors'}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m playground.dcgan", description="DCGAN latent lab tools")
    sub = p.add_subparsers(dest="cmd", required=True)

    g = sub.add_parser("generate", help="one PNG per row of an (N, 100) float32 .npy array of z")
    g.add_argument("--z", required=True, help="path of an .npy file holding an (N, nz) array")
    g.add_argument("--out", required=True, help="folder for the PNGs (0000.png, 0001.png, ...)")
    g.add_argument("--weights", help="generator .pt/.pth/.safetensors (default: bundled faces)")
    g.set_defaults(fn=cmd_generate)

    s = sub.add_parser("sample", help="a grid of N samples from a seed")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--n", type=int, default=64)
    s.add_argument("--cols", type=int, default=0, help="columns (default: about sqrt(n))")
    s.add_argument("--out", required=True, help="output PNG")
    s.add_argument("--weights", help="generator .pt/.pth/.safetensors (default: bundled faces)")
    s.set_defaults(fn=cmd_sample)

    t = sub.add_parser("train", help="train a DCGAN on a folder of images")
    t.add_argument("--data", required=True, help="folder with images (searched recursively)")
    t.add_argument("--out", default="runs/dcgan", help="folder for sample grids and checkpoints")
    t.add_argument("--epochs", type=int, default=5)
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--lr", type=float, default=2e-4)
    t.add_argument("--ngf", type=int, default=64, help="generator width (64 as in the paper)")
    t.add_argument("--ndf", type=int, default=64, help="discriminator width (64 as in the paper)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default=None, help="cpu, cuda, mps (default: best available)")
    t.set_defaults(fn=cmd_train)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.fn(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
