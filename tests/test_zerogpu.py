"""ZeroGPU: the heavy handlers are wrapped by ``spaces.GPU`` at import time, with their durations, and still
run on a machine without a GPU.

A subprocess imports the whole app with the stand-in ``spaces`` package first on its path
(tests/fixtures/zerogpu/spaces.py records what it wraps and each call), then calls every wrapped function
on tiny real input: two pictures through the real FID network, a 2-step DCGAN inversion of the bundled
face model, and an official-layout ``resnet_9blocks`` CycleGAN generator (random weights, saved as the
official ``latest_net_G.pth`` files are) run as a zoo model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import io, json, pickle, sys
import numpy as np
import torch
from PIL import Image

import spaces
from playground.device import default_threads, get_device
from playground.ui.app import build_demo

default_threads()
build_demo()  # imports every tab: the decorators run now, as on a Space
out = {"spaces": spaces.__file__, "wrapped": dict(spaces.WRAPPED), "device": str(get_device())}

# Metrics feature extraction: two small pictures through the real FID network.
from playground.metrics.features import extract_features, preprocess
from playground.metrics.inception import load_fid_network
from playground.metrics.io import ImageRef, ImageSet, decode_rgb

def png(seed):
    buf = io.BytesIO()
    Image.fromarray(np.random.RandomState(seed).randint(0, 256, (40, 48, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()

pngs = [png(1), png(2)]
net = load_fid_network("cpu")
res = extract_features(ImageSet("two", [ImageRef(f"{i}.png", data=b) for i, b in enumerate(pngs)]), "clean",
                       net, "fid-ts", "cpu")
with torch.inference_mode():
    direct = net(torch.stack([preprocess(decode_rgb(b), "clean") for b in pngs])).double().numpy()
out["features"] = {"shape": list(res.features.shape), "max_diff": float(np.abs(res.features - direct).max()),
                   "spread": float(res.features.std())}

# DCGAN inversion: 2 steps of the bundled generator on one of its own faces.
from playground.dcgan.latent import sample_z
from playground.dcgan.pretrained import generate, load_bundled_generator
from playground.images import tanh_to_uint8
from playground.ui import dcgan_tab

face = generate(sample_z(2, 22)[None])[0].astype(np.float32) / 127.5 - 1
face = torch.from_numpy(face).permute(2, 0, 1)[None]
args = (None, face, 2, 0.001)
steps = list(dcgan_tab.run_inversion(*args))
g = load_bundled_generator("cpu")
with torch.inference_mode():
    again = tanh_to_uint8(g(steps[-1].z[None]))[0]
out["inversion"] = {"steps": [s.step for s in steps], "preview_shape": list(steps[-1].preview.shape),
                    "preview_is_g_of_z": bool(np.array_equal(steps[-1].preview, again)),
                    "z_norm": float(steps[-1].z.norm()), "pickles": len(pickle.dumps((args, steps))) > 0}

# An official 256x256 model (official resnet_9blocks layout, random weights) run as a zoo model.
from playground.translation import inference, zoo
from playground.translation.networks import define_G
from playground.ui import translation_tab

zoo.MODELS["tiny_official"] = zoo.ZooModel("tiny_official", "cyclegan", "tiny", "test", "resnet_9blocks",
                                           "instance", ngf=8)
torch.manual_seed(0)
src = define_G("resnet_9blocks", "instance", 8)
zoo.cache_dir().mkdir(parents=True)
torch.save(src.state_dict(), zoo.cached_path("tiny_official"))  # as latest_net_G.pth, placed by hand
img = np.random.RandomState(3).randint(0, 256, (48, 48, 3), dtype=np.uint8)
args = ("tiny_official", img, False)
result, info = translation_tab.run_official(*args)
model = inference.load_model("tiny_official")
with torch.inference_mode():
    x = inference.prepare_input(model, img)
    direct = ((src.eval()(torch.from_numpy(x).permute(2, 0, 1)[None] * 2 - 1).clamp(-1, 1) + 1) / 2)
direct = direct[0].permute(1, 2, 0).numpy()
out["official"] = {"shape": list(result["output"].shape), "info": info,
                   "max_diff": float(np.abs(result["output"] - direct).max()),
                   "spread": float(result["output"].std()),
                   "pickles": len(pickle.dumps((args, result, info))) > 0}
out["calls"] = list(spaces.CALLS)
print("RESULT " + json.dumps(out))
"""

FEATURES = "playground.metrics.features.extract_features"
INVERSION = "playground.ui.dcgan_tab._inversion_steps"
OFFICIAL = "playground.ui.translation_tab._run_official"


def test_heavy_handlers_run_under_spaces_gpu_and_still_on_the_cpu(tmp_path):
    from playground.ui.metrics_handlers import APP_MAX_SECONDS

    stand_in = ROOT / "tests" / "fixtures" / "zerogpu"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(stand_in), str(ROOT)]), PLAYGROUND_DEVICE="cpu",
               PLAYGROUND_ZOO_DIR=str(tmp_path / "zoo"), GRADIO_ANALYTICS_ENABLED="False")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))[7:])

    assert Path(out["spaces"]) == stand_in / "spaces.py"
    # Exactly the three heavy functions, each asking for the time its work can take (see their comments):
    # metrics as long as the app lets one request compute, inversion 400 steps at most, a zoo model's
    # cold load plus one pass.
    assert out["wrapped"] == {FEATURES: APP_MAX_SECONDS, INVERSION: 20, OFFICIAL: 30}
    assert out["calls"] == [FEATURES, INVERSION, OFFICIAL]  # each call went through the wrapper
    assert out["device"] == "cpu"

    f = out["features"]
    assert f["shape"] == [2, 2048] and f["max_diff"] < 1e-6 and f["spread"] > 0.01  # the network's own pool3

    inv = out["inversion"]
    assert inv["steps"] == [1, 2] and inv["preview_shape"] == [64, 64, 3] and inv["preview_is_g_of_z"]
    assert 5 < inv["z_norm"] < 15  # a z near the shell of N(0, I) in 100-d (norm about 10), not zeros
    assert inv["pickles"]  # ZeroGPU sends arguments and steps between processes

    off = out["official"]
    assert off["shape"] == [256, 256, 3] and off["max_diff"] < 1e-5 and off["spread"] > 0.01
    assert off["info"] == {"name": "tiny_official", "kind": "cyclegan", "source": "zoo", "size": 256,
                           "input_kind": "rgb"}
    assert off["pickles"]
