"""The 2-D benchmark's pieces measure what they say (tiny settings, a second or two)."""

import importlib.util
from pathlib import Path

from playground.toy2d import ToyConfig

SPEC = importlib.util.spec_from_file_location("bench_toy2d", Path(__file__).resolve().parents[2] / "benchmarks" / "toy2d.py")
bench = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench)


def test_live_loop_counts_the_frames_and_iterations_of_a_real_run():
    cfg = ToyConfig(batch_size=32, g_width=16, d_width=16)
    r = bench.live_loop(cfg, 1.0)
    # every frame the page received moved the run on by at most its speed allowance (200 iterations)
    assert r["frames_per_s"] >= 1 and r["iterations_per_s"] <= 200 * r["frames_per_s"] * 1.2
    assert r["frame_kb"] <= 12  # compact frames: the wire budget


def test_tab_frame_is_the_compact_json_frame():
    import json

    from playground.toy2d import Trainer
    from playground.toy2d.frames import encode_frame

    t = Trainer(ToyConfig(batch_size=32, g_width=16, d_width=16))
    assert bench.tab_frame(t) == len(json.dumps(encode_frame(t.snapshot(), t.dataset.extent)))


def test_the_classroom_benchmark_drives_a_page_s_whole_protocol():
    """benchmarks/classroom.py against the real app (its own process): a student opens the teacher's link (the
    page's load events), presses Play through Gradio's queue, pulls frames with the chart rows, follows the shared
    run to the preset's last iteration and pauses, with no error. Behaviour only; the figures are the benchmark's."""
    import json
    import socket
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = subprocess.run([sys.executable, "benchmarks/classroom.py", "--scenarios", "link1", "--seconds", "1",
                          "--port", str(port)], cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["scenario"] == "link1" and r["errors"] == 0, r
    assert r["time_to_last_iteration_s"]["reached"] == "1/1" and r["pause_s_max"] is not None
    assert r["frames_per_s"]["min"] > 0 and r["frame_kb"] <= 12
