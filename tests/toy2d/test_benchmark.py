"""The benchmark script runs and reports sane numbers (a fraction of a second each)."""

import importlib.util
import json
from pathlib import Path

from playground.toy2d import ToyConfig

SPEC = importlib.util.spec_from_file_location("bench_toy2d", Path(__file__).resolve().parents[2] / "benchmarks" / "toy2d.py")
bench = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench)


def test_live_and_bare_loops_measure_something():
    cfg = ToyConfig(batch_size=32, g_width=16, d_width=16)
    assert bench.bare_loop(cfg, 0.2) > 0
    r = bench.live_loop(cfg, 0.5, fps=10)
    assert r["iterations_per_s"] > 0 and r["frames_per_s"] > 0 and r["frame_kb"] > 1


def test_wire_format_is_json():
    from playground.toy2d import Trainer

    s = Trainer(ToyConfig(batch_size=32, g_width=16, d_width=16)).snapshot(res=8)
    d = json.loads(bench.to_wire(s))
    assert len(d["d_grid"]) == 8 and len(d["real"][0]) == 2
