"""Command line for the DCGAN lab.

    python -m playground.dcgan generate --z Z.npy --out DIR      # one PNG per row of an (N, 100) array
    python -m playground.dcgan sample --seed 0 --n 64 --out grid.png
    python -m playground.dcgan train --data DIR --epochs 5 --out runs/faces

Bad arguments (an unknown --device, an --out that cannot be written, a file that is not what it should
be) print one line starting with "error:" and exit with code 2; they are checked before any work.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from playground import safe_input
from playground.cli_common import output_file, output_folder, run
from playground.errors import UserError

MAX_IMAGES = 10_000  # images one `generate` or `sample` call writes


def _generator(path: str | None):
    if path:
        from playground.dcgan.checkpoints import load_generator

        return load_generator(path)
    from playground.dcgan.pretrained import load_bundled_generator

    return load_bundled_generator()


def read_z(path: str, nz: int) -> np.ndarray:
    """An (N, nz) float array from a .npy file, its shape and dtype checked from the header first."""
    p = Path(path)
    if not p.is_file():
        raise UserError(f"--z {p}: no such file.")
    try:
        with open(p, "rb") as f:
            shape, dtype = safe_input.npy_header(f)
    except (ValueError, OSError, EOFError) as exc:
        raise UserError(f"--z {p.name} is not a .npy array ({str(exc)[:100]}).") from None
    if len(shape) != 2 or shape[1] != nz:
        raise UserError(f"--z {p.name} must hold an (N, {nz}) array; it has shape {shape}.")
    if dtype.kind not in "fiu":
        raise UserError(f"--z {p.name} holds {dtype}; it must hold numbers (float32).")
    if not 1 <= shape[0] <= MAX_IMAGES:
        raise UserError(f"--z {p.name} has {shape[0]:,} rows; give 1 to {MAX_IMAGES:,} per call.")
    try:
        z = np.load(p, allow_pickle=False).astype(np.float32)
    except (OSError, ValueError, EOFError) as exc:
        raise UserError(f"Cannot read --z {p.name} ({str(exc)[:100]}).") from None
    if not np.isfinite(z).all():
        raise UserError(f"--z {p.name} contains NaN or infinite numbers.")
    return z


def cmd_generate(args) -> None:
    from playground.dcgan.figures import save_png
    from playground.dcgan.pretrained import generate

    out = output_folder(args.out)
    g = _generator(args.weights)
    z = read_z(args.z, g.nz)
    images = generate(z, generator=g)
    width = max(4, len(str(len(images) - 1)))
    for i, im in enumerate(images):
        save_png(im, out / f"{i:0{width}d}.png")
    print(f"wrote {len(images)} images to {out}")


def cmd_sample(args) -> None:
    from playground.dcgan.figures import save_png
    from playground.images import grid
    from playground.dcgan.lab import check_seed
    from playground.dcgan.latent import seeded_z
    from playground.dcgan.pretrained import generate

    n = safe_input.integer(args.n, "--n", 1, MAX_IMAGES)
    seed = check_seed(args.seed, "--seed")
    cols = safe_input.integer(args.cols, "--cols", 0, n)
    out = output_file(args.out, suffixes=(".png", ".jpg", ".jpeg"))
    g = _generator(args.weights)
    images = generate(seeded_z(seed, n, nz=g.nz), generator=g)
    ncols = cols or math.ceil(math.sqrt(n))
    save_png(grid(images, ncols=ncols), out)
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
    return run(lambda: args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
