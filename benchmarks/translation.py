"""CPU latency per image of the translation generators: eager fp32 baseline vs our inference path.

    python benchmarks/translation.py [--repeats 10] [--threads 2]

Variants, measured in the same run on the same inputs:

* ``eager_fp32``: ``model.eval()`` under ``torch.no_grad()``, NCHW (the baseline);
* ``inference_channels_last``: ``torch.inference_mode()``, with weights and input in channels_last for
  the U-Nets (the ResNets stay NCHW: reflection padding has no channels_last kernel) - what
  ``playground.translation.inference`` does;
* ``bf16_autocast``: the same plus CPU autocast to bfloat16 (reported, not used: see the numbers).

Models: every bundled model at 64x64 and the official ``unet_256`` (batch norm) and
``resnet_9blocks`` (instance norm) at 256x256 with random weights (latency does not depend on them).
Prints one JSON object; the load average is included because the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground.translation import inference  # noqa: E402
from playground.translation.networks import define_G  # noqa: E402


def _time_interleaved(fns: dict, repeats: int) -> dict:
    """Median ms per variant; variants alternate within each round so a busy machine hurts all alike."""
    for fn in fns.values():
        fn()  # warm-up
    times = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) * 1000 for k, v in times.items()}


def bench(net: torch.nn.Module, x: torch.Tensor, repeats: int) -> dict:
    net = net.eval()
    base = net.to(memory_format=torch.contiguous_format)

    def eager():
        with torch.no_grad():
            base(x)

    import copy

    cl = not any(isinstance(m, torch.nn.ReflectionPad2d) for m in net.modules())  # as inference._prepare_net
    fast = copy.deepcopy(net).to(memory_format=torch.channels_last) if cl else copy.deepcopy(net)
    xc = x.contiguous(memory_format=torch.channels_last) if cl else x

    def ours():
        with torch.inference_mode():
            fast(xc)

    def bf16():
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            fast(xc)

    res = _time_interleaved({"eager_fp32_ms": eager, "inference_channels_last_ms": ours, "bf16_autocast_ms": bf16},
                            repeats)
    res["speedup_ours"] = res["eager_fp32_ms"] / res["inference_channels_last_ms"]
    return {k: round(v, 3) for k, v in res.items()}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = {"threads": args.threads, "repeats": args.repeats, "torch": torch.__version__,
           "loadavg_before": os.getloadavg()[0], "models": {}}
    for name in inference.bundled_entries():
        m = inference.load_model(name)
        x = torch.rand(1, m.input_nc, m.size, m.size) * 2 - 1
        out["models"][f"{name}@{m.size}"] = bench(m.G, x, args.repeats)
    for arch, norm in (("unet_256", "batch"), ("resnet_9blocks", "instance")):
        torch.manual_seed(0)
        g = define_G(arch, norm, 64)
        out["models"][f"{arch}@256"] = bench(g, torch.rand(1, 3, 256, 256) * 2 - 1, max(3, args.repeats // 3))
    out["loadavg_after"] = os.getloadavg()[0]
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
