"""Command line: ``python -m playground.metrics GENERATED REFERENCE --metrics fid,kid,is,pr --json``.

GENERATED is a folder or zip of images; REFERENCE a folder, zip or pytorch-fid ``.npz``. Progress
goes to stderr, the result (one JSON object with --json) to stdout. Features are cached in
``~/.cache/gan-playground/features`` so a second run on the same images is instant. Bad options are
one ``error:`` line and exit code 2 before any work (:mod:`playground.cli_common`).
"""

from __future__ import annotations

import argparse
import json
import sys

from tqdm import tqdm

from playground.cli_common import output_file, resolve_device, run
from playground.errors import UserError
from playground.files import cache_root
from playground.metrics.compute import compute_metrics
from playground.metrics.features import MODES, FeatureCache, extract_features
from playground.metrics.inception import load_fid_network
from playground.metrics.io import load_image_set, write_stats
from playground.metrics.maths import gaussian_stats


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m playground.metrics",
        description="FID, KID, IS and precision/recall of generated images against real ones or .npz stats.",
    )
    ap.add_argument("generated", help="folder or .zip of generated images")
    ap.add_argument("reference", nargs="?", help="folder, .zip or .npz (mu, sigma) of real images")
    ap.add_argument("--metrics", default="fid,kid,pr", help="comma list of fid,kid,is,pr (default fid,kid,pr)")
    ap.add_argument("--mode", default="clean", choices=list(MODES), help="resize convention (default clean)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--save-stats", metavar="OUT.npz",
                    help="write pytorch-fid stats (mu, sigma) of the reference images "
                    "(of GENERATED when it is the only input)")
    ap.add_argument("--is-weights", metavar="PATH", help="local pt_inception-2015-12-05-6726825d.pth for IS")
    ap.add_argument("--offline", action="store_true", help="never download weights")
    ap.add_argument("--device", default=None, help="cpu, cuda, … (default: best available)")
    ap.add_argument("--batch-size", type=_positive_int, default=16)
    ap.add_argument("--no-cache", action="store_true", help="do not read or write the feature cache")
    return ap


class ProgressBars:
    """One tqdm bar on stderr per stage ("generated", "real", "images"), fed ``(stage, done, total, rate)``."""

    def __init__(self):
        self.bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int, rate: float) -> None:
        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=f"{stage} images", unit="img", file=sys.stderr)
        bar.n = done
        bar.set_postfix_str(f"{rate:.1f} img/s")
        bar.refresh()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _status(text: str) -> None:
    print(text, file=sys.stderr)


def _save_stats(path: str, features) -> None:
    try:
        write_stats(path, *gaussian_stats(features))
    except OSError as exc:
        raise UserError(f"--save-stats {path}: could not write it ({exc.strerror or exc}).") from None


def _stats_only(args, device, cache, progress) -> dict:
    """GENERATED alone with --save-stats: its statistics, nothing to compare."""
    net = load_fid_network(device, log=_status)
    res = extract_features(load_image_set(args.generated, label="images"), args.mode, net, "fid-ts", device,
                           args.batch_size, progress=lambda d, t, r: progress("images", d, t, r), cache=cache)
    if len(res.names) < 2:
        raise UserError("Statistics need at least 2 usable images.")
    _save_stats(args.save_stats, res.features)
    return {"saved_stats": args.save_stats, "n": len(res.names), "mode": args.mode}


def _compare(args, device, cache, progress) -> dict:
    report = compute_metrics(args.generated, args.reference, metrics=args.metrics, mode=args.mode, device=device,
                             batch_size=args.batch_size, is_weights=args.is_weights, download=not args.offline,
                             cache=cache, progress=progress, status=_status)
    if args.save_stats and report.real is not None:
        _save_stats(args.save_stats, report.real.features)
    return report.as_dict()


def _print(out: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(out))
        return
    for k, v in out.items():
        if k not in ("skipped", "notes"):
            print(f"{k}: {v}")
    for s in out.get("skipped", []):
        print(f"skipped ({s['set']}): {s['file']}: {s['reason']}")
    for n in out.get("notes", []):
        print(f"note: {n}")


def _main(args) -> None:
    device = resolve_device(args.device)  # options first: a bad one fails before any work
    if args.save_stats:
        output_file(args.save_stats, "--save-stats")
    if args.reference is None and not args.save_stats:
        raise UserError("Give a reference set to compare with, or --save-stats OUT.npz to only save statistics.")
    cache = None if args.no_cache else FeatureCache(cache_root() / "features")
    progress = ProgressBars()
    try:
        work = _stats_only if args.reference is None else _compare
        out = work(args, device, cache, progress)
    finally:
        progress.close()
    _print(out, args.json)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run(lambda: _main(args))


if __name__ == "__main__":
    sys.exit(main())
