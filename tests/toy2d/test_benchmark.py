"""The benchmark script runs and reports sane numbers (a fraction of a second each)."""

import importlib.util
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


def test_trainer_loops_and_tab_frame_measure_something():
    from playground.toy2d import Trainer

    cfg = ToyConfig(batch_size=32, g_width=16, d_width=16)
    assert bench.trainer_loop(cfg, 0.2, True) > 0 and bench.trainer_loop(cfg, 0.2, False) > 0
    assert bench.tab_frame(Trainer(cfg)) > 10_000  # two inline JPEG pictures
