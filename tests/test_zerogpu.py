"""ZeroGPU: the heavy handlers are wrapped by ``spaces.GPU`` at import time, with their durations, cross
ZeroGPU's process boundary with plain data only, and still run on a machine without a GPU.

A subprocess imports ``spaces`` first (``playground.zerogpu.import_spaces_first``, as app.py does), with the
stand-in package first on its path (tests/fixtures/zerogpu/spaces.py: it records what it wraps and each call,
and pickles every call's arguments and results as ZeroGPU does between its processes), builds the whole app,
then goes through every wrapped function on tiny real input: two picture sets through ``compute_metrics``
(the Metrics tab's route) and the real FID network, a 2-step DCGAN inversion of the bundled face model and of
a "session's own" generator, and an official-layout ``resnet_9blocks`` CycleGAN generator (random weights,
saved as the official ``latest_net_G.pth`` files are) run as a zoo model; and a 2-D lab trainer, which must
never ask for the GPU.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STAND_IN = ROOT / "tests" / "fixtures" / "zerogpu"

SCRIPT = r"""
from playground.zerogpu import import_spaces_first

assert import_spaces_first()  # before torch, as in app.py

import json, sys
import numpy as np
import torch

import spaces
from playground.device import default_threads, get_device
from playground.ui.app import build_demo

default_threads()
build_demo()  # imports every tab: the decorators run now, as on a Space
out = {"spaces": spaces.__file__, "torch_at_import": spaces.TORCH_AT_IMPORT, "wrapped": dict(spaces.WRAPPED),
       "device": str(get_device())}

# Metrics: two sets of three pictures through compute_metrics and the real FID network, two per batch.
from playground.metrics.compute import compute_metrics
from playground.metrics.inception import load_fid_network
from tests.zerogpu_inputs import BATCH, PARTS, direct_features, picture_sets

progress = []
report = compute_metrics(*picture_sets(), metrics="fid", mode="clean", device="cpu", batch_size=BATCH,
                         progress=lambda stage, done, total, rate: progress.append([stage, done, total]))
net = load_fid_network("cpu")

out["features"] = {"shapes": [list(report.fake.features.shape), list(report.real.features.shape)],
                   "equal": bool(np.array_equal(report.fake.features, direct_features(net, PARTS["gen"]))
                                 and np.array_equal(report.real.features, direct_features(net, PARTS["real"]))),
                   "spread": float(report.fake.features.std()), "fid": report.values["fid"],
                   "progress": progress}

# DCGAN inversion: 2 steps of the bundled generator on one of its own faces, then of a session's own model.
from playground.dcgan.checkpoints import generator_from_state_dict
from playground.dcgan.latent import sample_z
from playground.dcgan.pretrained import generate, load_bundled_generator
from playground.images import tanh_to_uint8
from playground.ui.dcgan import handlers as dcgan_handlers

face = generate(sample_z(2, 22)[None])[0].astype(np.float32) / 127.5 - 1
face = torch.from_numpy(face).permute(2, 0, 1)[None]
steps = list(dcgan_handlers.run_inversion(None, face, 2, 0.001))
g = load_bundled_generator("cpu")
with torch.inference_mode():
    again = tanh_to_uint8(g(steps[-1].z[None]))[0]
own = generator_from_state_dict({k: v.clone() for k, v in g.state_dict().items()}, "own")  # a session's model
before = {k: v.clone() for k, v in own.state_dict().items()}
own_steps = list(dcgan_handlers.run_inversion({k: v.detach().cpu() for k, v in own.state_dict().items()}, face,
                                              2, 0.001))
out["inversion"] = {"steps": [s.step for s in steps], "preview_shape": list(steps[-1].preview.shape),
                    "preview_is_g_of_z": bool(np.array_equal(steps[-1].preview, again)),
                    "z_norm": float(steps[-1].z.norm()),
                    "own_same_as_bundled": bool(torch.equal(own_steps[-1].z, steps[-1].z)),
                    "own_untouched": all(torch.equal(v, before[k]) for k, v in own.state_dict().items())
                                     and not any(p.requires_grad for p in own.parameters())}

# An official 256x256 model (official resnet_9blocks layout, random weights) run as a zoo model.
from playground.translation import inference, zoo
from playground.translation.networks import define_G
from playground.translation import serving

zoo.MODELS["tiny_official"] = zoo.ZooModel("tiny_official", "cyclegan", "tiny", "test", "resnet_9blocks",
                                           "instance", ngf=8)
torch.manual_seed(0)
src = define_G("resnet_9blocks", "instance", 8)
zoo.cache_dir().mkdir(parents=True)
torch.save(src.state_dict(), zoo.cached_path("tiny_official"))  # as latest_net_G.pth, placed by hand
img = np.random.RandomState(3).randint(0, 256, (48, 48, 3), dtype=np.uint8)
result, info = serving.run_official("tiny_official", img, False)
model = inference.load_model("tiny_official")
with torch.inference_mode():
    x = inference.prepare_input(model, img)
    expected = ((src.eval()(torch.from_numpy(x).permute(2, 0, 1)[None] * 2 - 1).clamp(-1, 1) + 1) / 2)
expected = expected[0].permute(1, 2, 0).numpy()
out["official"] = {"shape": list(result["output"].shape), "info": info,
                   "max_diff": float(np.abs(result["output"] - expected).max()),
                   "spread": float(result["output"].std())}

# The 2-D lab trains on the Space's CPU: a few steps must not go near a GPU function.
from playground.toy2d.config import ToyConfig
from playground.toy2d.trainer import Trainer

calls_before = len(spaces.CALLS)
trainer = Trainer(ToyConfig())
trainer.step(20)
out["toy2d"] = {"new_calls": len(spaces.CALLS) - calls_before,
                "devices": sorted({str(p.device) for p in trainer.G.parameters()})}
out["calls"] = spaces.CALLS
print("RESULT " + json.dumps(out), flush=True)
import os
os._exit(0)  # skip interpreter teardown: with all of the above loaded it can abort in a C++ destructor
"""

NETWORK = "playground.metrics.features.network_features"
INVERSION = "playground.ui.dcgan.handlers._inversion_steps"
OFFICIAL = "playground.translation.serving._run_official"

# What may cross ZeroGPU's boundary (top-level types; pickling checks everything inside them): plain data.
PLAIN = {"numpy.ndarray", "torch.Tensor", "builtins.str", "builtins.int", "builtins.float", "builtins.bool",
         "builtins.NoneType", "builtins.dict", "builtins.tuple", "builtins.list",
         "playground.metrics.inception.NetworkRef", "playground.dcgan.invert.InversionStep"}
BATCH_BYTES = 3 * 299 * 299 * 4  # one picture's network input, float32


def _env(tmp_path) -> dict:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(STAND_IN), str(ROOT)]), PLAYGROUND_DEVICE="cpu",
                PLAYGROUND_ZOO_DIR=str(tmp_path / "zoo"), GRADIO_ANALYTICS_ENABLED="False")


def _result(proc) -> dict:
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))[7:])


def test_heavy_handlers_cross_the_zerogpu_boundary_with_plain_data_and_still_run_on_the_cpu(tmp_path):
    from playground.ui.metrics.handlers import APP_MAX_SECONDS

    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=_env(tmp_path), capture_output=True,
                          text=True, timeout=300)
    out = _result(proc)

    assert Path(out["spaces"]) == STAND_IN / "spaces.py"
    assert out["torch_at_import"] is False  # spaces came before torch
    # Exactly the three heavy functions, each asking for the time its work can take (see their comments):
    # metrics as long as the app lets one request compute, inversion 400 steps at most, a zoo model's
    # cold load plus one pass.
    assert out["wrapped"] == {NETWORK: APP_MAX_SECONDS, INVERSION: 20, OFFICIAL: 30}
    assert out["device"] == "cpu"

    # Every call went through the wrapper with real arguments of plain types, which pickled, and what came back
    # (each yielded step of the inversion) pickled too. A TorchScript network, a callback or a lock among them
    # fails the call in the stand-in; a model that happens to pickle (an nn.Module) fails the type check.
    calls = out["calls"]
    assert [c["name"] for c in calls] == [NETWORK] * 4 + [INVERSION] * 2 + [OFFICIAL]
    for c in calls:
        assert set(c["arg_types"]) <= PLAIN and set(c["kwarg_types"].values()) <= PLAIN, c
        assert set(c["result_types"]) <= PLAIN, c
        assert len(c["arg_bytes"]) == 1 and c["arg_bytes"][0] > 0 and all(n > 0 for n in c["result_bytes"])
    network = [c for c in calls if c["name"] == NETWORK]
    for c, n in zip(network, [2, 1, 2, 1]):  # each set of three in batches of two: one call per batch
        assert c["arg_types"] == ["numpy.ndarray", "playground.metrics.inception.NetworkRef", "builtins.str"]
        assert n * BATCH_BYTES < c["arg_bytes"][0] < n * BATCH_BYTES + 4096  # the batch and a few names
        assert c["result_types"] == ["builtins.tuple"]
        assert n * 2048 * 8 < c["result_bytes"][0] < n * 2048 * 8 + 1024  # float64 features, no logits
    bundled, own = [c for c in calls if c["name"] == INVERSION]
    for c in bundled, own:
        assert c["arg_types"][1:] == ["torch.Tensor", "builtins.int", "builtins.float"]
        assert c["result_types"] == ["playground.dcgan.invert.InversionStep"] * 2  # one per step, each pickled
    assert bundled["arg_types"][0] == "builtins.NoneType" and bundled["arg_bytes"][0] < 100_000
    assert own["arg_types"][0] == "builtins.dict" and own["arg_bytes"][0] > 3_500_000 * 4  # its fp32 weights
    official = calls[-1]
    assert official["arg_types"] == ["builtins.str", "numpy.ndarray", "builtins.bool"]
    assert official["result_types"] == ["builtins.tuple"] and official["result_bytes"][0] > 256 * 256 * 3 * 4

    f = out["features"]
    assert f["shapes"] == [[3, 2048], [3, 2048]] and f["equal"] and f["spread"] > 0.01  # the network's own pool3
    assert f["fid"] > 0
    # progress still advances batch by batch, reported here in the calling process
    assert f["progress"] == [["generated", 0, 3], ["generated", 2, 3], ["generated", 3, 3],
                             ["real", 0, 3], ["real", 2, 3], ["real", 3, 3]]

    inv = out["inversion"]
    assert inv["steps"] == [1, 2] and inv["preview_shape"] == [64, 64, 3] and inv["preview_is_g_of_z"]
    assert 5 < inv["z_norm"] < 15  # a z near the shell of N(0, I) in 100-d (norm about 10), not zeros
    assert inv["own_same_as_bundled"] and inv["own_untouched"]  # same weights, same z; the session's model kept

    off = out["official"]
    assert off["shape"] == [256, 256, 3] and off["max_diff"] < 1e-5 and off["spread"] > 0.01
    assert off["info"] == {"name": "tiny_official", "kind": "cyclegan", "source": "zoo", "size": 256,
                           "input_kind": "rgb"}

    assert out["toy2d"] == {"new_calls": 0, "devices": ["cpu"]}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_the_2d_lab_never_asks_for_a_gpu():
    """The 2-D lab trains its tiny models on the Space's CPU: none of its modules reaches for ``spaces`` or for
    ``playground.device`` (``gpu``, ``get_device``, which on ZeroGPU's main process would answer "cuda")."""
    files = sorted((ROOT / "playground" / "toy2d").glob("*.py")) + sorted((ROOT / "playground" / "ui").glob("toy2d_*.py"))
    assert len(files) > 10
    for path in files:
        bad = {n for n in _imports(path) if n.startswith(("spaces", "playground.device"))}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def _import_order(code: str, tmp_path) -> dict:
    probe = code + (
        "\nimport json, sys\nimport spaces\n"
        "print('RESULT ' + json.dumps({'spaces': spaces.__file__, 'torch_at_import': spaces.TORCH_AT_IMPORT,"
        " 'torch': 'torch' in sys.modules}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=_env(tmp_path), capture_output=True,
                          text=True, timeout=120)
    return _result(proc)


def test_import_spaces_first_imports_spaces_before_torch(tmp_path):
    out = _import_order("from playground.zerogpu import import_spaces_first\n"
                        "heavy = {'torch', 'gradio', 'numpy'} & set(__import__('sys').modules)\n"
                        "assert not heavy, heavy  # the module itself imports nothing heavy\n"
                        "assert import_spaces_first()\nimport torch\n", tmp_path)
    assert Path(out["spaces"]) == STAND_IN / "spaces.py"
    assert out["torch"] and out["torch_at_import"] is False


def test_import_spaces_first_is_a_no_op_without_spaces(monkeypatch):
    from playground.zerogpu import import_spaces_first

    monkeypatch.setitem(sys.modules, "spaces", None)  # `import spaces` raises ModuleNotFoundError
    assert import_spaces_first() is False


def test_the_app_imports_spaces_before_torch(tmp_path):
    if "import_spaces_first()" not in (ROOT / "app.py").read_text(encoding="utf-8"):
        pytest.xfail("app.py does not call playground.zerogpu.import_spaces_first() before its other imports yet")
    out = _import_order("import app\n", tmp_path)
    assert Path(out["spaces"]) == STAND_IN / "spaces.py"
    assert out["torch"] and out["torch_at_import"] is False


def test_a_zerogpu_space_keeps_the_gates_queue_bound(monkeypatch):
    """On ZeroGPU, Gradio turns ``queue(max_size=None)`` into a queue of one waiting event (gradio/blocks.py
    ``queue``: ``if utils.is_zero_gpu_space(): max_size = 1 if max_size is None``), and every page of a class
    would be told "Queue is full" as soon as two events wait. The app's queue is bounded by its gate's own
    bound (playground.ui.queue_gate), on a Space as here. Gradio's check is switched on here as a Space
    switches it on, without importing ``spaces`` (which would patch torch for the rest of the test run)."""
    import gradio.utils

    from playground.ui import queue_gate
    from playground.ui.app import build_demo

    monkeypatch.setattr(gradio.utils, "is_zero_gpu_space", lambda: True)
    demo = build_demo()
    assert demo._queue.max_size == queue_gate.MAX_PLACES > queue_gate.PER_ADDRESS
