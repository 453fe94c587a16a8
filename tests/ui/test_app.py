"""Smoke tests of the whole app: it builds, serves, answers gradio_client, and starts quickly."""

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def readme_tabs() -> list[str]:
    """The areas README.md's "The tabs" section lists ("### 1. 2-D GAN lab", ...), in order."""
    section = (ROOT / "README.md").read_text().split("## The tabs", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^### \d+\. (.+)$", section, flags=re.M)


def test_the_page_has_the_readmes_tabs_in_its_order(client):
    """build_demo() (the session's app) shows one top-level tab per area the README describes."""
    top = [(c["props"]["label"], c["props"]["id"]) for c in client.config["components"]
           if c.get("type") == "tabitem" and str(c["props"].get("id")).endswith("_tab")]
    assert readme_tabs() == ["2-D GAN lab", "Dirac-GAN", "DCGAN latent lab", "Image translation", "Metrics"]
    assert top == list(zip(readme_tabs(), ["toy2d_tab", "dirac_tab", "dcgan_tab", "translation_tab", "metrics_tab"]))


# Endpoints that the README, the tests and API users call by name.
ENDPOINTS = {"/toy2d_play", "/toy2d_step_it", "/dcgan_samples", "/dcgan_arithmetic", "/dcgan_invert",
             "/translate", "/metrics_compute"}


def test_client_sees_the_named_endpoints(client):
    api = client.view_api(return_format="dict", print_info=False)
    assert ENDPOINTS <= set(api["named_endpoints"]), ENDPOINTS - set(api["named_endpoints"])
    params = [p["parameter_name"] for p in api["named_endpoints"]["/metrics_compute"]["parameters"]]
    assert len(params) == 4  # generated files, real files, mode, metrics (as tests/metrics/test_ui.py calls it)


def test_python_app_py_serves_the_page():
    """The README's start command serves the app (start-up time is a benchmark matter, not a test's: on a
    busy 2-core machine importing torch alone can take several seconds), as the process app.py restarts
    itself into: a C allocator, jemalloc where it is installed (its library mapped into the served process) and
    else glibc's with two heaps per core (app.use_the_system_allocator says why)."""
    import ctypes.util

    from app import JEMALLOC_CONF

    port = free_port()
    allocator_vars = ("PYTHONMALLOC", "MALLOC_ARENA_MAX", "LD_PRELOAD", "MALLOC_CONF")
    env = {k: v for k, v in os.environ.items() if k not in allocator_vars}
    env.update(GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        start = time.monotonic()
        while time.monotonic() - start < 120 and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                    body = r.read().decode()
                    assert "GAN Playground" in body
                    served = dict(kv.split("=", 1) for kv in Path(f"/proc/{proc.pid}/environ").read_text().split("\0")
                                  if "=" in kv)
                    assert served["PYTHONMALLOC"] == "malloc"
                    assert served["MALLOC_ARENA_MAX"] == str(2 * len(os.sched_getaffinity(0)))
                    mapped = Path(f"/proc/{proc.pid}/maps").read_text()
                    jemalloc = ctypes.util.find_library("jemalloc")  # CI installs it (scripts/install-test-deps.sh)
                    if jemalloc:
                        assert (served["LD_PRELOAD"], served["MALLOC_CONF"]) == (jemalloc, JEMALLOC_CONF)
                        assert jemalloc in mapped
                    else:
                        assert "LD_PRELOAD" not in served and "jemalloc" not in mapped
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"python app.py did not serve the page (exit code {proc.poll()})")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_server_keeps_the_garbage_collector_off_its_start_up_objects():
    """app.py moves start-up objects out of the collector's way and collects young objects less often (a busy
    class server otherwise pauses on full collections: benchmarks/classroom.py)."""
    import gc

    import app

    before = gc.get_threshold()
    try:
        app.quiet_garbage_collector()
        assert gc.get_freeze_count() > 0 and gc.get_threshold()[0] >= 100_000
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
