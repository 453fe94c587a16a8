"""Do the bundled models beat trivial baselines on fresh held-out faces?

Every check draws new faces from the DCGAN with a seed the training sets never used, applies the
known transform to get exact pairs, and compares mean absolute errors in pixel units ([0, 1]):

* edges2face: L1(G(edges), face) vs L1(mean face, face) - the best constant image.
* gray2color: L1(G(gray), face) vs L1(gray replicated to RGB, face) - "do nothing".
* face2sketch / sketch2face (trained without pairs; the pairs here are only for scoring):
  L1(G_A(face), sketch(face)) vs L1(face, sketch(face)) (identity mapping), the same the other way
  (and sketch -> face also vs the mean face), and the cycle errors |G_B(G_A(face)) - face| and
  |G_A(G_B(sketch)) - sketch|, next to the mean face's error as a scale.
"""

from __future__ import annotations

import numpy as np
import torch

from playground.translation import data as tdata
from playground.translation.inference import TranslationModel, load_model

HELDOUT_SEED = 777_000  # training sets use seeds 1001-1003


def _apply(net: torch.nn.Module, x: np.ndarray, batch: int = 64) -> np.ndarray:
    outs = []
    with torch.inference_mode():
        for i in range(0, len(x), batch):
            outs.append(tdata.to_image(net(tdata.to_tensor(x[i : i + batch]))))
    return np.concatenate(outs)


def l1(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.broadcast_arrays(np.asarray(a, np.float32), np.asarray(b, np.float32))
    return float(np.abs(a - b).mean())


def evaluate_paired(name: str, n: int = 64, seed: int = HELDOUT_SEED) -> dict:
    model: TranslationModel = load_model(name)
    faces = tdata.make_faces(n, seed)
    if name == "edges2face":
        x = tdata.edge_map(faces)
        baseline_name, baseline = "mean face", l1(faces.mean(0, keepdims=True), faces)
    elif name == "gray2color":
        x = tdata.to_gray(faces)
        baseline_name, baseline = "gray input replicated", l1(np.repeat(x, 3, -1), faces)
    else:
        raise ValueError(name)
    with model.lock:
        y = _apply(model.G, x)
    return {"model": name, "n": n, "seed": seed, "l1": l1(y, faces), "baseline": baseline_name,
            "baseline_l1": baseline}


def evaluate_cycle(n: int = 64, seed: int = HELDOUT_SEED) -> dict:
    fwd: TranslationModel = load_model("face2sketch")
    faces = tdata.make_faces(n, seed)
    sketches = np.repeat(tdata.pencil_sketch(faces), 3, -1)
    with fwd.lock:
        to_sketch = _apply(fwd.G, faces)
        back = _apply(fwd.G_back, to_sketch)
        to_face = _apply(fwd.G_back, sketches)
        back_s = _apply(fwd.G, to_face)
    return {
        "n": n, "seed": seed,
        "face2sketch_l1": l1(to_sketch, sketches), "face2sketch_identity_l1": l1(faces, sketches),
        "sketch2face_l1": l1(to_face, faces), "sketch2face_identity_l1": l1(sketches, faces),
        "cycle_face_l1": l1(back, faces), "cycle_sketch_l1": l1(back_s, sketches),
        # Scale for the cycle errors: how far the faces are from their mean (a "reconstruction" that
        # kept nothing of the input would be about this far off).
        "mean_face_l1": l1(faces.mean(0, keepdims=True), faces),
    }
