"""The metrics inputs both ZeroGPU tests send through the app's GPU function (imported by their subprocess
scripts): six random 40×48 PNGs as two sets of three, and the FID network's features of a set computed here,
in this process, in the same batches of two, to compare with what came back through ZeroGPU's boundary."""

import io

import numpy as np
import torch
from PIL import Image

from playground.metrics.features import preprocess
from playground.metrics.io import ImageRef, ImageSet, decode_rgb

BATCH = 2


def png(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.RandomState(seed).randint(0, 256, (40, 48, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


PNGS = [png(i) for i in range(6)]
PARTS = {"gen": PNGS[:3], "real": PNGS[3:]}


def picture_sets() -> list[ImageSet]:
    """The generated and the real set, three pictures each."""
    return [ImageSet(label, [ImageRef(f"{i}.png", data=b) for i, b in enumerate(part)]) for label, part in PARTS.items()]


def direct_features(net, part: list[bytes]) -> np.ndarray:
    """``net`` called here on ``part``, in batches of BATCH (float64, as extract_features returns)."""
    x = torch.stack([preprocess(decode_rgb(b), "clean") for b in part])
    with torch.inference_mode():
        return np.concatenate([net(x[i:i + BATCH]).double().numpy() for i in range(0, len(x), BATCH)])
