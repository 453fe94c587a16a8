"""Start-up of ``python app.py``: seconds until the page is served, and until the Metrics tab's example is there.

Each run starts ``python app.py`` as a subprocess on a free port (``GRADIO_SERVER_PORT``,
``GRADIO_ANALYTICS_ENABLED=False``) and measures from the moment the process is started:

- ``page_s``: until ``GET /`` answers 200 (the page is served);
- ``example_s``: until the Metrics tab's precomputed example is available to a page, i.e. the page is
  served and the stored result exists. The tab reads ``ui.metrics.handlers.precomputed()`` (on load, and on
  its timer until the result is there), which is the in-memory copy of the JSON file
  ``<PLAYGROUND_CACHE>/metrics/example-*.json``, written just before that copy is set; this polls the file.

Two cache states, each over ``--runs`` runs (default 5):

- ``warm``: a cache folder that one untimed start has filled (every later start of a server);
- ``cold``: an empty cache folder (and Gradio temp folder) per run: a server's very first start.
  The FID network file is handed over (``PLAYGROUND_FID_NETWORK``) so no run downloads it.

The baseline, measured in the same run and interleaved with the app's runs, is the floor every start pays:
``python -c "import torch, gradio"``. Prints one JSON object: min/median/max of each figure and
``page_over_floor`` (median page_s / median floor).

    python benchmarks/startup.py [--runs 5] [--cache warm,cold] [--app-dir .] [--importtime]

``--app-dir`` starts another checkout's ``app.py`` with this Python (e.g. a ``git worktree`` of the old
commit, to compare in the same sitting). ``--importtime`` adds the slowest imports of one
``python -X importtime`` start (cumulative seconds). On a shared machine the spread is wide: compare medians
measured in the same sitting.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLL_S = 0.05
GOAL_PAGE_S = 5.0
GOAL_EXAMPLE_S = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fid_network() -> str | None:
    """The FID TorchScript to hand to cold runs: ``PLAYGROUND_FID_NETWORK``, else the default cache's copy."""
    given = os.environ.get("PLAYGROUND_FID_NETWORK")
    if given and Path(given).is_file():
        return given
    default = Path(os.environ.get("PLAYGROUND_CACHE") or Path.home() / ".cache" / "gan-playground")
    p = default / "fid" / "default_1.pt"
    return str(p) if p.is_file() else None


def page_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def example_stored(cache: Path) -> bool:
    for p in (cache / "metrics").glob("example-*.json"):
        try:
            if json.loads(p.read_text()).get("table"):
                return True
        except (OSError, ValueError):
            pass
    return False


def start_once(app_dir: Path, cache: Path, tmp: Path, timeout: float, importtime: bool = False) -> dict:
    """One start of ``app_dir/app.py`` with ``cache`` as its cache folder; the figures, then the server stopped."""
    port = free_port()
    env = dict(os.environ, GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(port),
               GRADIO_ANALYTICS_ENABLED="False", PLAYGROUND_CACHE=str(cache), GRADIO_TEMP_DIR=str(tmp / "gradio"))
    fid = fid_network()
    if fid:
        env["PLAYGROUND_FID_NETWORK"] = fid
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "app.py"]
    tmp.mkdir(parents=True, exist_ok=True)
    log_path = tmp / f"app-{port}.log"
    url = f"http://127.0.0.1:{port}/"
    out: dict = {"page_s": None, "example_s": None}
    with open(log_path, "w") as log:  # a file, never a pipe that can fill
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            while time.perf_counter() - t0 < timeout:
                if proc.poll() is not None:
                    raise RuntimeError(f"app.py exited: {log_path.read_text()[-2000:]}")
                now = time.perf_counter() - t0
                if out["page_s"] is None and page_ok(url):
                    out["page_s"] = now = time.perf_counter() - t0
                if out["page_s"] is not None and example_stored(cache):
                    out["example_s"] = max(out["page_s"], now)
                    break
                time.sleep(POLL_S)
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if importtime:
        out["log"] = log_path.read_text()
    return out


def floor_once() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch, gradio"], check=True, capture_output=True)
    return time.perf_counter() - t0


def spread(values: list) -> dict:
    got = [v for v in values if v is not None]
    if not got:
        return {"min": None, "median": None, "max": None, "missing": len(values)}
    out = {"min": round(min(got), 2), "median": round(statistics.median(got), 2), "max": round(max(got), 2)}
    if len(got) < len(values):
        out["missing"] = len(values) - len(got)  # runs that hit --timeout
    return out


def slowest_imports(log: str, n: int = 15) -> list:
    """The ``n`` largest cumulative times among the top two levels of a ``-X importtime`` log, in seconds."""
    rows = []
    for line in log.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|", 2)
        try:
            us = int(cumulative.strip())
        except ValueError:
            continue
        depth = (len(name) - len(name.lstrip())) // 2
        if depth <= 2:
            rows.append((us, name.strip()))
    return [[name, round(us / 1e6, 2)] for us, name in sorted(rows, reverse=True)[:n]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cache", default="warm,cold", help="comma-separated cache states: warm, cold")
    ap.add_argument("--app-dir", default=str(ROOT), help="the checkout whose app.py is started")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds one run may take")
    ap.add_argument("--importtime", action="store_true", help="add one -X importtime start's slowest imports")
    a = ap.parse_args()
    app_dir = Path(a.app_dir).resolve()
    states = [s.strip() for s in a.cache.split(",") if s.strip()]
    if unknown := set(states) - {"warm", "cold"}:
        ap.error(f"unknown cache state(s): {sorted(unknown)}")
    result: dict = {"app_dir": str(app_dir), "runs": a.runs, "cpu_count": os.cpu_count(),
                    "load_average_1min_before": round(os.getloadavg()[0], 2)}
    floors: list[float] = []
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp_name:
        tmp = Path(tmp_name)
        warm_cache = tmp / "warm-cache"
        if "warm" in states:  # one untimed start fills the cache (and warms the disk cache for the imports)
            start_once(app_dir, warm_cache, tmp, a.timeout)
        floor_once()  # warm-up
        for state in states:
            figures = []
            for i in range(a.runs):
                floors.append(floor_once())
                if state == "warm":
                    figures.append(start_once(app_dir, warm_cache, tmp, a.timeout))
                else:
                    run_dir = tmp / f"cold-{i}"
                    figures.append(start_once(app_dir, run_dir / "cache", run_dir, a.timeout))
                    shutil.rmtree(run_dir, ignore_errors=True)
                print(f"{state} run {i + 1}: floor {floors[-1]:.2f} s, {figures[-1]}", file=sys.stderr, flush=True)
            result[state] = {k: spread([f[k] for f in figures]) for k in ("page_s", "example_s")}
        floor = spread(floors)
        result["floor_import_torch_gradio_s"] = floor
        for state in states:
            page = result[state]["page_s"]["median"]
            if page is not None:
                result[state]["page_over_floor"] = round(page / floor["median"], 2)
        if a.importtime:
            log = start_once(app_dir, warm_cache, tmp, a.timeout, importtime=True)["log"]
            result["slowest_imports_s"] = slowest_imports(log)
    result["goal"] = {"page_s_median_below": GOAL_PAGE_S, "example_s_below": GOAL_EXAMPLE_S}
    result["load_average_1min_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
