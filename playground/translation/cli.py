"""``python -m playground.translation``: train a model, or run one on an image without the UI.

    python -m playground.translation train --task pix2pix --data runs/translation_data/edges2face.npz --out runs/e2f
    python -m playground.translation run --list-models
    python -m playground.translation run --model edges2face --input in.png --out out.png
    python -m playground.translation run --model horse2zebra --input horse.jpg --out zebra.png   # downloads once
    python -m playground.translation run --model latest_net_G.pth --arch resnet_9blocks --norm instance \\
        --input in.png --out out.png

Bad arguments (an unreadable or oversized --input, an --out that cannot be written, a weights file that
does not fit) print one line starting with "error:" and exit with code 2, checked before the work starts.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields

from playground.cli_common import run
from playground.errors import UserError


def _train(args) -> int:
    from playground.translation.train import TrainConfig, train

    cfg = TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig) if hasattr(args, f.name)})
    path = train(cfg)
    print(f"saved {path}")
    return 0


def _run(args) -> int:
    from playground.translation import inference

    if args.list_models:
        for row in inference.list_models():
            print(f"{row['name']:<26} {row['kind']:<9} {row['where']:<11} {row['arch']:<15} {row['norm']:<9} "
                  f"{row['description']}")
        return 0
    if not (args.model and args.input and args.out):
        raise UserError("run needs --model, --input and --out (or --list-models).")
    progress = None if args.quiet else _print_progress
    inference.check_model_name(args.model)  # before any work: bad arguments fail at once
    inference.check_output_path(args.out)
    img = inference.read_image(args.input)  # checked decoding: no bomb gets past its header
    model = inference.load_model(args.model, arch=args.arch, norm=args.norm, ngf=args.ngf, progress=progress)
    out = inference.translate(model, img, dropout=args.dropout)
    inference.write_image(args.out, out["output"])
    print(f"{model.name}: {args.input} -> {args.out} ({out['output'].shape[1]}x{out['output'].shape[0]})")
    return 0


def _print_progress(done: int, total: int | None) -> None:
    if total:
        print(f"\rdownloading {done / 2**20:.1f} / {total / 2**20:.1f} MB", end="", file=sys.stderr, flush=True)
        if done >= total:
            print(file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    from playground.translation.train import TrainConfig

    p = argparse.ArgumentParser(prog="python -m playground.translation", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("train", help="train pix2pix or CycleGAN on an .npz made by scripts/translation_make_data.py")
    defaults = TrainConfig()
    for f in fields(TrainConfig):
        if f.name == "extra":
            continue
        default = getattr(defaults, f.name)
        if isinstance(default, bool):
            t.add_argument(f"--{f.name}", type=lambda s: s.lower() in ("1", "true", "yes"), default=default)
        else:
            t.add_argument(f"--{f.name}", type=type(default), default=default,
                           choices=("pix2pix", "cyclegan") if f.name == "task" else None)
    t.set_defaults(func=_train)

    r = sub.add_parser("run", help="translate one image with a bundled, zoo or local model")
    r.add_argument("--list-models", action="store_true", help="list bundled and zoo models")
    r.add_argument("--model", help="a model name from --list-models, or the path of a .pth/.safetensors file")
    r.add_argument("--arch", help="for a local file: unet_64|unet_128|unet_256|resnet_6blocks|resnet_9blocks")
    r.add_argument("--norm", help="for a local file: batch|instance")
    r.add_argument("--ngf", type=int, default=64, help="for a local file: generator width (official: 64)")
    r.add_argument("--input", help="input image (png/jpg)")
    r.add_argument("--out", help="where to write the output PNG")
    r.add_argument("--dropout", action="store_true", help="keep pix2pix's dropout noise on")
    r.add_argument("--quiet", action="store_true")
    r.set_defaults(func=_run)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run(lambda: args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
