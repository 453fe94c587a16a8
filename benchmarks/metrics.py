"""Benchmark of the metrics pipeline; prints one JSON object.

1. Feature extraction: images/s of the whole pipeline (PNG decode + resize in worker threads +
   network) against the network's forward pass alone on the same number of pre-resized tensors,
   in the same run. Goal: ratio >= 0.9 (decoding never stalls the network).
2. FID square root: Tr sqrt(Σ1Σ2) from eigenvalues (ours) against ``scipy.linalg.sqrtm`` on 2048-d
   covariances. Goal: >= 10× faster, equal to 1e-6 relative.

    python benchmarks/metrics.py [--images 16] [--batch-size 8] [--device cpu] [--threads 1]

On a machine shared with other jobs, ``--threads 1`` gives steadier numbers: OpenMP/BLAS thread teams
spin at barriers and slow down by several times when their cores are oversubscribed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

if "--threads" in sys.argv:  # must be set before numpy/torch load their thread pools
    _n = sys.argv[sys.argv.index("--threads") + 1]
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _n
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.linalg
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground.device import get_device  # noqa: E402
from playground.metrics.features import extract_features, preprocess  # noqa: E402
from playground.metrics.inception import load_fid_network  # noqa: E402
from playground.metrics.io import decode_rgb, load_image_set  # noqa: E402
from playground.metrics.maths import trace_sqrt_product  # noqa: E402


def make_folder(folder: Path, n: int, size: int = 256) -> None:
    rng = np.random.RandomState(0)
    yy, xx = np.mgrid[0:size, 0:size] / size
    for i in range(n):
        base = np.stack([xx * rng.rand(), yy * rng.rand(), (1 - xx) * rng.rand()], axis=2) * 255
        img = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(folder / f"{i:04d}.png")


def bench_pipeline(n: int, batch_size: int, device, mode: str = "clean", repeats: int = 2) -> dict:
    net = load_fid_network(device)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_folder(folder, n)
        images = load_image_set(folder)
        # pre-resized tensors for the network-only run (prepared outside the timed region)
        tensors = torch.stack([preprocess(decode_rgb(r.read_bytes()), mode) for r in images.images])
        with torch.inference_mode():  # warm-up: first call compiles/allocates
            net(tensors[:batch_size].to(device))

        def network_only() -> float:
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            with torch.inference_mode():
                for i in range(0, n, batch_size):
                    net(tensors[i : i + batch_size].to(device)).cpu()
            if device.type == "cuda":
                torch.cuda.synchronize()
            return time.perf_counter() - t0

        def pipeline() -> float:
            t0 = time.perf_counter()
            res = extract_features(images, mode, net, "fid-ts", device, batch_size=batch_size)
            assert len(res.names) == n
            return time.perf_counter() - t0

        # Interleaved and best-of-`repeats`, so a busy shared machine hurts both sides alike.
        t_net, t_pipe = float("inf"), float("inf")
        for _ in range(repeats):
            t_net = min(t_net, network_only())
            t_pipe = min(t_pipe, pipeline())
    return {
        "images": n,
        "image_size": "256x256 PNG",
        "mode": mode,
        "batch_size": batch_size,
        "repeats_best_of": repeats,
        "network_only_images_per_s": round(n / t_net, 3),
        "pipeline_images_per_s": round(n / t_pipe, 3),
        "ratio_pipeline_over_network": round(t_net / t_pipe, 3),
        "goal_ratio": 0.9,
    }


def bench_sqrt(d: int = 2048, repeats: int = 2) -> dict:
    """Best of ``repeats`` timed calls each (the first call of either also pays for thread-pool start-up)."""
    rng = np.random.RandomState(0)
    a, b = rng.randn(d, d + 200), rng.randn(d, d + 200) * 0.5 + 0.1 * rng.randn(d, 1)
    s1, s2 = a @ a.T / a.shape[1], b @ b.T / b.shape[1]

    def best(fn):
        times, value = [], None
        for _ in range(repeats):
            t0 = time.perf_counter()
            value = fn()
            times.append(time.perf_counter() - t0)
        return min(times), value

    t_ours, ours = best(lambda: trace_sqrt_product(s1, s2))
    t_ref, ref = best(lambda: np.trace(scipy.linalg.sqrtm(s1 @ s2)).real)
    return {
        "dimension": d,
        "repeats_best_of": repeats,
        "ours_seconds": round(t_ours, 3),
        "scipy_sqrtm_seconds": round(t_ref, 3),
        "speedup": round(t_ref / t_ours, 2),
        "relative_difference": float(abs(ours - ref) / abs(ref)),
        "goal_speedup": 10,
        "goal_relative_difference": 1e-6,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=2, help="best of N interleaved runs")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--device", default=None)
    ap.add_argument("--skip-pipeline", action="store_true")
    ap.add_argument("--threads", type=int, default=None, help="torch/BLAS threads (default: library default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device) if args.device else get_device()
    out = {
        "device": str(device),
        "gpu": torch.cuda.get_device_name(0) if device.type == "cuda" else None,
        "cpu_threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }
    if not args.skip_pipeline:
        out["features"] = bench_pipeline(args.images, args.batch_size, device, repeats=args.repeats)
    out["fid_sqrt"] = bench_sqrt()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
