"""Command line: ``python -m playground.metrics GENERATED REFERENCE --metrics fid,kid,is,pr --json``.

GENERATED is a folder or zip of images; REFERENCE a folder, zip or pytorch-fid ``.npz``. Progress
goes to stderr, the result (one JSON object with --json) to stdout. Features are cached in
``~/.cache/gan-playground/features`` so a second run on the same images is instant.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch
from tqdm import tqdm

from playground.device import get_device
from playground.errors import UserError
from playground.metrics import assets
from playground.metrics.compute import compute_metrics
from playground.metrics.features import MODES, FeatureCache, extract_features
from playground.metrics.inception import load_fid_network
from playground.metrics.io import load_image_set, write_stats
from playground.metrics.maths import gaussian_stats


def parse_device(spec: str | None) -> torch.device:
    """The torch device for --device, or a UserError naming what is wrong (never a torch traceback)."""
    if spec is None:
        return get_device()
    try:
        dev = torch.device(spec)
    except (RuntimeError, ValueError):
        raise UserError(f"--device {spec!r} is not a device name; use cpu, cuda, cuda:N or mps.") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError(f"--device {spec}: this machine has no usable CUDA GPU; use --device cpu.")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise UserError(f"--device {spec}: there are only {torch.cuda.device_count()} CUDA GPU(s).")
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise UserError(f"--device {spec}: Apple MPS is not available here; use --device cpu.")
    elif dev.type != "cpu":
        raise UserError(f"--device {spec}: only cpu, cuda and mps are supported.")
    return dev


def check_writable(path: str, flag: str) -> None:
    """Fail before the long computation, not after it, when the output file cannot be written."""
    p = Path(path)
    if p.is_dir():
        raise UserError(f"{flag} {path} is a folder; give a file name such as stats.npz.")
    existing = next((q for q in (p.parent, *p.parent.parents) if q.exists()), None)
    if existing is not None and not existing.is_dir():
        raise UserError(f"{flag} {path}: {existing} is a file, not a folder.")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=p.parent, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise UserError(f"{flag} {path}: cannot write there ({exc.strerror or exc}).") from None


def _save_stats(path: str, features) -> None:
    try:
        write_stats(path, *gaussian_stats(features))
    except OSError as exc:
        raise UserError(f"--save-stats {path}: could not write it ({exc.strerror or exc}).") from None


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m playground.metrics",
        description="FID, KID, IS and precision/recall of generated images against real ones or .npz stats.",
    )
    ap.add_argument("generated", help="folder or .zip of generated images")
    ap.add_argument("reference", nargs="?", help="folder, .zip or .npz (mu, sigma) of real images")
    ap.add_argument(
        "--metrics", default="fid,kid,pr", help="comma list of fid,kid,is,pr (default fid,kid,pr)"
    )
    ap.add_argument("--mode", default="clean", choices=list(MODES), help="resize convention (default clean)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument(
        "--save-stats",
        metavar="OUT.npz",
        help="write pytorch-fid stats (mu, sigma) of the reference images "
        "(of GENERATED when it is the only input)",
    )
    ap.add_argument("--is-weights", metavar="PATH", help="local pt_inception-2015-12-05-6726825d.pth for IS")
    ap.add_argument("--offline", action="store_true", help="never download weights")
    ap.add_argument("--device", default=None, help="cpu, cuda, … (default: best available)")
    ap.add_argument("--batch-size", type=_positive_int, default=16)
    ap.add_argument("--no-cache", action="store_true", help="do not read or write the feature cache")
    args = ap.parse_args(argv)

    cache = None if args.no_cache else FeatureCache(assets.cache_dir() / "features")
    bars: dict = {}

    def progress(stage, done, total, rate):
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=f"{stage} images", unit="img", file=sys.stderr)
        bar.n = done
        bar.set_postfix_str(f"{rate:.1f} img/s")
        bar.refresh()

    def status(text):
        print(text, file=sys.stderr)

    try:
        device = parse_device(args.device)
        if args.save_stats:
            check_writable(args.save_stats, "--save-stats")
        if args.reference is None:
            if not args.save_stats:
                raise UserError(
                    "Give a reference set to compare with, or --save-stats OUT.npz to only save statistics."
                )
            images = load_image_set(args.generated, label="images")
            net = load_fid_network(device, log=status)
            res = extract_features(
                images,
                args.mode,
                net,
                "fid-ts",
                device,
                args.batch_size,
                progress=lambda d, t, r: progress("images", d, t, r),
                cache=cache,
            )
            if len(res.names) < 2:
                raise UserError("Statistics need at least 2 usable images.")
            _save_stats(args.save_stats, res.features)
            out = {"saved_stats": args.save_stats, "n": len(res.names), "mode": args.mode}
        else:
            report = compute_metrics(
                args.generated,
                args.reference,
                metrics=args.metrics,
                mode=args.mode,
                device=device,
                batch_size=args.batch_size,
                is_weights=args.is_weights,
                download=not args.offline,
                cache=cache,
                progress=progress,
                status=status,
            )
            if args.save_stats and report.real is not None:
                _save_stats(args.save_stats, report.real.features)
            out = report.as_dict()
    except UserError as exc:
        for bar in bars.values():
            bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for bar in bars.values():
        bar.close()
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            if k not in ("skipped", "notes"):
                print(f"{k}: {v}")
        for s in out.get("skipped", []):
            print(f"skipped ({s['set']}): {s['file']}: {s['reason']}")
        for n in out.get("notes", []):
            print(f"note: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
