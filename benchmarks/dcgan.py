"""CPU latency of the DCGAN lab: a 64-sample grid and one arithmetic update (3 group means + 9 neighbours).

    python benchmarks/dcgan.py [--threads 2] [--repeats 15]

Prints JSON. The baseline is the plain eager fp32 module under ``torch.no_grad`` (what a tutorial
does), measured in the same run as the variants:

* ``inference_mode``: the same, under ``torch.inference_mode``;
* ``channels_last``: inference mode with channels-last activations and weights;
* ``folded``: batch norm folded into the transposed convolutions (``playground.dcgan.fast``);
* ``folded_channels_last``: both;
* ``jit_freeze``: ``torch.jit.trace`` + ``torch.jit.freeze`` of the folded network;
* ``end_to_end``: the whole arithmetic update the tab runs (``lab.arithmetic_update``: maths, one batched
  forward, the strips, the equation figure and the 3x3 grid), excluding the browser round trip.

Times are medians over ``--repeats`` runs after warm-up, in milliseconds.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground.dcgan import latent  # noqa: E402
from playground.dcgan.fast import fold_batchnorm  # noqa: E402
from playground.dcgan.lab import Renderer, arithmetic_update, parse_refs, PRESETS  # noqa: E402
from playground.dcgan.pretrained import load_bundled_generator  # noqa: E402


def interleaved_ms(fns: dict, repeats: int, warmup: int = 2) -> dict:
    """Median and minimum time of each function in ms. The functions take turns within every repeat,
    so load from other processes on a shared machine hits all of them alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    ts: dict = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            ts[k].append((time.perf_counter() - t) * 1000)
    return {
        k: {"median_ms": round(statistics.median(v), 2), "min_ms": round(min(v), 2)} for k, v in ts.items()
    }


def arithmetic_batch() -> torch.Tensor:
    """The 12 vectors of one arithmetic update: 3 group means and the 3x3 neighbourhood of the result."""
    p = next(iter(PRESETS.values()))
    zs = [latent.group_mean(torch.stack([latent.sample_z(*map(int, r.split(":"))) for r in parse_refs(p[k])]))
          for k in ("A", "B", "C")]
    result = zs[0] - zs[1] + zs[2]
    return torch.cat([torch.stack(zs), latent.neighbourhood(result)])


def measure(threads: int, repeats: int) -> dict:
    """All variants with ``threads`` torch threads."""
    torch.set_num_threads(threads)
    g = copy.deepcopy(load_bundled_generator("cpu")).eval()
    folded = fold_batchnorm(g)
    folded_cl = copy.deepcopy(folded).to(memory_format=torch.channels_last)
    g_cl = copy.deepcopy(g).to(memory_format=torch.channels_last)
    inputs = {
        "grid64": latent.seeded_z(0, 64)[:, :, None, None],
        "arithmetic12": arithmetic_batch()[:, :, None, None],
    }
    with torch.no_grad():
        traced = torch.jit.freeze(torch.jit.trace(copy.deepcopy(folded), inputs["arithmetic12"]))

    def eager(net, x, cl=False, mode="inference"):
        ctx = torch.inference_mode() if mode == "inference" else torch.no_grad()
        with ctx:
            if cl:
                x = x.contiguous(memory_format=torch.channels_last)
            return net(x)

    variants = {
        "eager_fp32_no_grad (baseline)": lambda x: eager(g.main, x, mode="no_grad"),
        "inference_mode": lambda x: eager(g.main, x),
        "channels_last": lambda x: eager(g_cl.main, x, cl=True),
        "folded": lambda x: eager(folded, x),
        "folded_channels_last (used by the tab)": lambda x: eager(folded_cl, x, cl=True),
        "jit_freeze": lambda x: eager(traced, x),
    }
    with torch.inference_mode():
        ref = {k: g.main(v) for k, v in inputs.items()}
    results: dict = {name: {} for name in variants}
    for key, x in inputs.items():
        timing = interleaved_ms({name: (lambda fn=fn, x=x: fn(x)) for name, fn in variants.items()}, repeats)
        for name, fn in variants.items():
            with torch.inference_mode():
                diff = float((fn(x) - ref[key]).abs().max())
            results[name][key] = {**timing[name], "max_abs_diff": diff}
    base = results["eager_fp32_no_grad (baseline)"]
    for row in results.values():
        for key in inputs:
            row[key]["speedup_median"] = round(base[key]["median_ms"] / row[key]["median_ms"], 2)

    p = next(iter(PRESETS.values()))
    a, b, c = parse_refs(p["A"]), parse_refs(p["B"]), parse_refs(p["C"])
    renderers = {
        "eager_fp32 renderer (baseline)": Renderer(copy.deepcopy(g), fast=False),
        "fast renderer (used by the tab)": Renderer(copy.deepcopy(g)),
    }
    end_to_end = interleaved_ms(
        {k: (lambda r=r: arithmetic_update(r, a, b, c)) for k, r in renderers.items()}, repeats
    )
    return {"forward_latency": results, "arithmetic_update_end_to_end": end_to_end}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2", help="comma-separated torch thread counts to measure")
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    load_before = round(os.getloadavg()[0], 2)  # other processes on a shared machine inflate every time
    by_threads = {f"threads={t}": measure(int(t), args.repeats) for t in args.threads.split(",")}
    print(json.dumps({
        "benchmark": "dcgan",
        "device": "cpu",
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "machine": platform.machine(),
        "repeats": args.repeats,
        "load_average_1min_before": load_before,
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        "results": by_threads,
        "goal_ms": 300,
        "note": "medians and minima in ms, variants interleaved; max_abs_diff is against the baseline "
        "output in [-1, 1]. On a shared, overloaded machine two OpenMP threads can be slower than one.",
    }, indent=2))


if __name__ == "__main__":
    main()
