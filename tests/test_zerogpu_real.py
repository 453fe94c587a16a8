"""ZeroGPU with Hugging Face's real ``spaces`` package (written against spaces==0.51.3), on this CPU machine.

Skipped unless ``spaces`` is importable (nothing is installed at test time). A subprocess switches ZeroGPU on
(``SPACES_ZERO_GPU=true``) against a stand-in for its device API on localhost (``SPACES_ZERO_DEVICE_API_URL``:
the ``/startup-report``, ``/schedule``, ``/allow`` and ``/release`` endpoints of spaces/zero/api.py
``APIClient``), imports ``spaces`` first as app.py does, and calls the app's ``@spaces.GPU`` functions. Their
calls then take the real route: ``spaces/zero/wrappers.py`` schedules each with the device API, forks a worker
process (``Worker``, ``multiprocessing`` "fork" context) and sends arguments and results through pickling
queues (``spaces/utils.py`` ``SimpleQueue``), one result per yielded item for a generator.

What cannot run here, unchanged, is the worker's first step on the GPU. ``wrappers.worker_init`` calls
``spaces/zero/torch/patching.py`` ``init(nvidia_uuid)``, which sets ``CUDA_VISIBLE_DEVICES`` to the GPU the
device API handed out and runs ``torch.Tensor([0]).cuda()``, then ``move()``, which copies the tensors the
main process registered as "cuda" onto the device and ends in ``torch.cuda.synchronize()``. Both need an NVIDIA
driver and a real device; without one ``init`` raises "Found no NVIDIA driver on your system" and every call
fails with ``gr.Error("RuntimeError")`` (the first call below checks exactly that). So the test replaces those
two functions (``spaces.zero.torch.init`` and ``.move``) with no-ops, and everything else, the scheduling, the
fork, the pickling both ways, the worker reuse, the torch patching of the main process, is the package's own.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("spaces") is None,
    reason="Hugging Face's `spaces` package is not installed (the test deps pin spaces==0.51.3)",
)

SCRIPT = r"""
import json, os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

api_log, seen_tasks = [], set()


class DeviceAPI(BaseHTTPRequestHandler):  # ZeroGPU's device API, as spaces/zero/api.py APIClient calls it
    def log_message(self, *args):
        pass

    def do_POST(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        api_log.append([url.path, query])
        if url.path == "/schedule":  # a GPU at once: ScheduleResponse; idle once the task has had a worker
            body = json.dumps({"idle": query["taskId"] in seen_tasks, "nvidiaIndex": 0,
                               "nvidiaUUID": "GPU-stand-in", "allowToken": f"token-{len(api_log)}"}).encode()
            seen_tasks.add(query["taskId"])
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200 if url.path in ("/startup-report", "/allow", "/release") else 404)
        self.send_header("content-length", "0")
        self.end_headers()


server = ThreadingHTTPServer(("127.0.0.1", 0), DeviceAPI)
threading.Thread(target=server.serve_forever, daemon=True).start()
os.environ["SPACES_ZERO_DEVICE_API_URL"] = f"http://127.0.0.1:{server.server_port}"

from playground.zerogpu import import_spaces_first

assert "torch" not in sys.modules
assert import_spaces_first()
import spaces
import spaces.zero.torch as zero_torch
import torch

out = {"spaces": spaces.__file__, "cuda_patched": torch.cuda.is_available()}

from playground.device import default_threads
from playground.ui.app import build_demo

default_threads()
build_demo()  # every tab: the decorators run now, as on a Space
out["decorated"] = sorted(f"{f.__module__}.{f.__qualname__}" for f in spaces.zero.decorator.decorated_cache
                          if not hasattr(f, "zerogpu"))

# Unchanged, the worker's CUDA start fails on a machine without an NVIDIA device.
import numpy as np
from playground.translation import serving

try:
    serving.run_official("horse2zebra", np.zeros((8, 8, 3), np.uint8), False)
    out["unpatched"] = "ran"
except Exception as exc:
    out["unpatched"] = [type(exc).__name__, str(exc)]

# The two steps that need the device, replaced: the rest is the package's own.
zero_torch.init = lambda nvidia_uuid: None
zero_torch.move = lambda callback=None: None

from playground.metrics.compute import compute_metrics
from playground.metrics.inception import load_fid_network
from tests.zerogpu_inputs import BATCH, PARTS, direct_features, picture_sets

report = compute_metrics(*picture_sets(), metrics="fid", mode="clean", device="cpu", batch_size=BATCH)
zero_torch.unpatch()  # the check below runs the network here, outside ZeroGPU
direct = direct_features(load_fid_network("cpu"), PARTS["gen"])
zero_torch.patch()
out["features_equal"] = bool(np.array_equal(report.fake.features, direct))
out["fid"] = report.values["fid"]

from playground.dcgan.latent import sample_z
from playground.dcgan.pretrained import generate
from playground.ui.dcgan import handlers as dcgan_handlers

face = torch.from_numpy(generate(sample_z(2, 22)[None])[0].astype(np.float32) / 127.5 - 1).permute(2, 0, 1)[None]
steps = list(dcgan_handlers.run_inversion(None, face, 2, 0.001))
out["inversion"] = [[s.step, None if s.preview is None else list(s.preview.shape)] for s in steps]

out["workers"] = sorted({int(q["pid"]) for path, q in api_log if path == "/allow"})
out["main_pid"] = os.getpid()
out["api"] = [path for path, _ in api_log]
print("RESULT " + json.dumps(out), flush=True)
import multiprocessing
for worker in multiprocessing.active_children():  # ZeroGPU's workers (daemons) hold our stdout open
    worker.terminate()
    worker.join(10)
os._exit(0)  # skip interpreter teardown (gradio's and spaces' threads)
"""


def test_the_real_spaces_package_runs_the_app_s_gpu_functions_in_a_forked_worker(tmp_path):
    (tmp_path / "cgroup").write_text("0::/stand-in\n")
    path = os.pathsep.join(p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p)
    env = dict(os.environ, PYTHONPATH=path, PLAYGROUND_DEVICE="cpu", GRADIO_ANALYTICS_ENABLED="False",
               SPACES_ZERO_GPU="true", ZEROGPU_PROC_SELF_CGROUP_PATH=str(tmp_path / "cgroup"),
               ZEROGPU_OFFLOAD_DIR=str(tmp_path / "offload"), PLAYGROUND_ZOO_DIR=str(tmp_path / "zoo"))
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=400)
    finally:  # the worker processes too, whatever happened
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == 0, stdout[-2000:] + stderr[-3000:]
    out = json.loads(next(line for line in stdout.splitlines() if line.startswith("RESULT "))[7:])

    assert Path(out["spaces"]).parent.name == "spaces" and "fixtures" not in out["spaces"]  # the real one
    assert out["cuda_patched"]  # ZeroGPU's main process: torch says CUDA, and never starts it
    assert out["decorated"] == ["playground.metrics.features.network_features",
                                "playground.translation.serving._run_official",
                                "playground.ui.dcgan.handlers._inversion_steps"]
    # patching.py init(): torch.Tensor([0]).cuda() in the worker, printed with its traceback by wrappers.py
    assert out["unpatched"][0] == "Error" and "RuntimeError" in out["unpatched"][1]
    assert "torch.Tensor([0]).cuda()" in stdout and "in init" in stdout and "NVIDIA driver" in stdout

    assert out["features_equal"] and out["fid"] > 0  # 4 batches through the worker, the same numbers
    assert out["inversion"] == [[1, None], [2, [64, 64, 3]]]  # each step pickled back as it came
    assert out["workers"] and out["main_pid"] not in out["workers"]  # computed in forked processes
    # one schedule and one release per call (1 failed, 4 batches, 1 inversion); a worker per task, then reused
    assert out["api"].count("/schedule") == 1 + 4 + 1 and out["api"].count("/release") == 1 + 4 + 1
    assert out["api"].count("/allow") == len(out["workers"]) == 3
