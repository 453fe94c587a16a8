"""Load a translation model (bundled, official zoo, or a local file) and run it on one image.

A loaded model is a :class:`TranslationModel`: the generator, for CycleGAN the generator of the way
back (A -> B -> A'), and for our bundled pix2pix models the PatchGAN discriminator too, so the UI can
show which patches of the output D finds real. Models are cached once per process.
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from playground import images
from playground.errors import UserError
from playground.files import PRETRAINED_DIR
from playground.safe_weights import TORCH_SUFFIXES
from playground.seeding import seeded
from playground.translation import data as tdata
from playground.translation import weights, zoo
from playground.translation.networks import define_D, define_G, required_size, set_dropout

MANIFEST = PRETRAINED_DIR / "manifest.json"
PREFIX = "translation_"  # our entries in pretrained/manifest.json


@dataclass
class TranslationModel:
    name: str
    kind: str  # pix2pix | cyclegan
    G: nn.Module
    size: int  # side of the square the generator sees
    input_kind: str  # edges | gray | rgb | sketch: how an uploaded image is turned into G's input
    G_back: nn.Module | None = None
    D: nn.Module | None = None
    description: str = ""
    source: str = "bundled"  # bundled | zoo | file
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def input_nc(self) -> int:
        return _first_conv(self.G).in_channels


def _first_conv(net: nn.Module) -> nn.Conv2d:
    return next(m for m in net.modules() if isinstance(m, nn.Conv2d))


def _prepare_net(net: nn.Module) -> nn.Module:
    net.eval().requires_grad_(False)
    # channels_last speeds up the U-Nets' strided convs on CPU (benchmarks/translation.py) but slows the
    # ResNets, whose reflection padding has no channels_last kernel; so only U-Nets and PatchGANs use it.
    net.channels_last = not any(isinstance(m, nn.ReflectionPad2d) for m in net.modules())
    return net.to(memory_format=torch.channels_last) if net.channels_last else net


# ----------------------------------------------------------------------------- bundled
def bundled_entries() -> dict[str, dict]:
    """Our models in pretrained/manifest.json, by short name (e.g. ``edges2face``)."""
    if not MANIFEST.exists():
        return {}
    models = json.loads(MANIFEST.read_text()).get("models", {})
    return {e["name"]: e for k, e in models.items() if k.startswith(PREFIX) and "name" in e}


def _build(cfg: dict, tensors: dict, prefix: str, source: str) -> nn.Module:
    return weights.fit_new(
        lambda: define_G(cfg["arch"], cfg["norm"], cfg["ngf"], cfg.get("use_dropout", False), cfg["input_nc"],
                         cfg["output_nc"]),
        weights.sub_dict(tensors, prefix), source)


@functools.lru_cache(maxsize=8)
def _load_bundled(name: str) -> TranslationModel:
    e = bundled_entries()[name]
    path = PRETRAINED_DIR / e["file"]
    if not path.exists():
        raise UserError(f"The bundled model file {path.name} is missing; rebuild it with "
                        "scripts/translation_train_bundled.py.")
    tensors, _ = weights.read(path)
    tensors = {k: v.float() for k, v in tensors.items()}
    g = _build(e, tensors, e["generator"], path.name)
    back = _build({**e, "input_nc": e["output_nc"], "output_nc": e["input_nc"]}, tensors, e["back"], path.name) \
        if e.get("back") else None
    d = None
    if e.get("discriminator"):
        dc = e["discriminator"]
        d = define_D("n_layers", e["input_nc"] + e["output_nc"], dc["ndf"], dc["n_layers"], e["norm"])
        d = weights.fit_state_dict(d, weights.sub_dict(tensors, dc["prefix"]), path.name)
    return TranslationModel(name, e["kind"], _prepare_net(g), e["size"], e["input_kind"],
                            _prepare_net(back) if back else None, _prepare_net(d) if d else None,
                            e.get("description", ""), "bundled")


# ----------------------------------------------------------------------------- official files
def _official_generator(sd: dict, arch: str, norm: str, ngf: int, source: str, batch_stats: bool) -> nn.Module:
    guess = weights.guess_architecture(sd) or {}
    # pix2pix's U-Nets were trained with dropout (no weights of its own, so the keys do not change);
    # building it in lets the UI switch the noise on as the official test script does.
    hint = "Check --arch/--norm/--ngf (official pix2pix: unet_256 + batch; CycleGAN: resnet_9blocks + instance)."
    # Checked against a meta-device copy first: a file that does not fit allocates no network.
    g = weights.fit_new(lambda: define_G(arch, norm, ngf, arch.startswith("unet"), guess.get("input_nc", 3),
                                         guess.get("output_nc", 3)), sd, source, hint)
    if batch_stats:
        # The official test script runs pix2pix without --eval: batch norm normalises with the
        # statistics of the image itself, which is what these weights were checked with.
        for m in g.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.track_running_stats, m.running_mean, m.running_var = False, None, None
    return _prepare_net(g)


@functools.lru_cache(maxsize=4)
def _load_zoo(name: str, path: str) -> TranslationModel:
    m = zoo.get(name)
    sd, _ = weights.read(path)
    g = _official_generator(sd, m.arch, m.norm, m.ngf, f"{Path(path).name} ({name})", m.kind == "pix2pix")
    return TranslationModel(name, m.kind, g, m.size, "rgb", description=m.description, source="zoo")


@functools.lru_cache(maxsize=4)
def _load_file(path: str, mtime: float, arch: str | None, norm: str | None, ngf: int) -> TranslationModel:
    p = Path(path)
    tensors, meta = weights.read(p)
    cfg = weights.safetensors_config(meta)
    if cfg.get("task") in ("pix2pix", "cyclegan") and any(k.startswith(("G.", "G_A.")) for k in tensors):
        # One of our training checkpoints.
        guess = weights.guess_architecture(weights.sub_dict(tensors, "G" if cfg["task"] == "pix2pix" else "G_A"))
        if not guess or not isinstance(cfg.get("netG"), str) or "ngf" not in cfg:
            raise UserError(f"{p.name} looks like one of this project's training checkpoints, but its config "
                            "or generator weights are incomplete.")
        c = {"arch": cfg["netG"], "norm": cfg.get("norm") or ("batch" if cfg["task"] == "pix2pix" else "instance"),
             "ngf": cfg["ngf"], "input_nc": guess["input_nc"], "output_nc": guess["output_nc"]}
        tensors = {k: v.float() for k, v in tensors.items()}
        if cfg["task"] == "pix2pix":
            g = _build(c, tensors, "G", p.name)
            return TranslationModel(p.stem, "pix2pix", _prepare_net(g), required_size(c["arch"]) or 64, "rgb",
                                    source="file")
        g = _build(c, tensors, "G_A", p.name)
        back = _build({**c, "input_nc": c["output_nc"], "output_nc": c["input_nc"]}, tensors, "G_B", p.name)
        return TranslationModel(p.stem, "cyclegan", _prepare_net(g), 64, "rgb", _prepare_net(back), source="file")
    guess = weights.guess_architecture(tensors)
    if not arch:
        if not guess or not guess["arch"].startswith(("unet_", "resnet_")):
            raise UserError(f"Could not tell the architecture of {p.name}: pass --arch (unet_256, resnet_9blocks, ...) "
                            "and --norm (batch or instance).")
        arch = guess["arch"]
    norm = norm or (guess or {}).get("norm") or "batch"
    g = _official_generator(tensors, arch, norm, ngf, p.name, batch_stats=False)
    kind = "pix2pix" if arch.startswith("unet") else "cyclegan"
    return TranslationModel(p.stem, kind, g, required_size(arch) or 256, "rgb", source="file")


def check_model_name(name_or_path: str) -> str:
    """"bundled", "zoo" or "file" for a usable model name or weights path; a UserError otherwise
    (cheap: nothing is loaded or downloaded)."""
    if not name_or_path:
        raise UserError("Choose a model.")
    if name_or_path in bundled_entries():
        return "bundled"
    if name_or_path in zoo.MODELS:
        return "zoo"
    p = Path(name_or_path).expanduser()
    if p.suffix.lower() in (*TORCH_SUFFIXES, ".safetensors"):
        if not p.exists():
            raise UserError(f"The file {p} does not exist.")
        return "file"
    names = ", ".join([*bundled_entries(), *zoo.MODELS])
    raise UserError(f"Unknown model {name_or_path!r}: use one of {names}, or the path of a .pth/.safetensors file.")


def load_model(name_or_path: str, arch: str | None = None, norm: str | None = None, ngf: int = 64,
               progress: zoo.Progress | None = None) -> TranslationModel:
    """A bundled model by name, a zoo model by name (downloaded once), or a local weights file."""
    where = check_model_name(name_or_path)
    if where == "bundled":
        return _load_bundled(name_or_path)
    if where == "zoo":
        path = zoo.fetch(name_or_path, progress=progress)
        return _load_zoo(name_or_path, str(path))
    p = Path(name_or_path).expanduser()
    return _load_file(str(p.resolve()), p.stat().st_mtime, arch, norm, ngf)


def list_models() -> list[dict]:
    rows = [{"name": n, "kind": e["kind"], "where": "bundled", "arch": e["arch"], "norm": e["norm"],
             "description": e.get("description", "")} for n, e in bundled_entries().items()]
    for m in zoo.MODELS.values():
        where = "cached" if zoo.cached_path(m.name).exists() else "download"
        rows.append({"name": m.name, "kind": m.kind, "where": where, "arch": m.arch, "norm": m.norm,
                     "description": m.description})
    return rows



# ----------------------------------------------------------------------------- images
def read_image(path: str | Path) -> np.ndarray:
    """An input picture (RGB, or RGBA when it has transparency), decoded only after its file size and
    header-declared pixel count passed :func:`playground.images.read_image`'s checks."""
    if not Path(path).exists():
        raise UserError(f"Could not read the image {path}: the file does not exist.")
    return images.read_image(path, f"The image {Path(path).name}", mode="RGBA", shrink_to=256)


def check_output_path(path: str | Path) -> Path:
    """Refuse an output path PIL cannot write (unknown extension) or a folder we cannot create, before
    any work is done."""
    from PIL import Image

    p = Path(path)
    Image.init()
    if p.suffix.lower() not in Image.registered_extensions():
        raise UserError(f"--out {p}: unknown image extension {p.suffix or '(none)'!r}; use .png or .jpg.")
    if p.is_dir():
        raise UserError(f"--out {p} is a folder; give a file name such as {p / 'out.png'}.")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"Cannot create the folder for --out {p} ({exc.strerror or exc}).") from None
    return p


def write_image(path: str | Path, img: np.ndarray) -> None:
    from PIL import Image

    arr = images.unit_to_uint8(img)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    p = check_output_path(path)
    try:
        Image.fromarray(arr).save(p)
    except OSError as exc:
        raise UserError(f"Cannot write {p} ({exc.strerror or exc}).") from None


def looks_like_drawing(img: np.ndarray) -> bool:
    """True for line art (nearly all pixels near black or white), False for photos."""
    g = tdata.to_gray(tdata.resize_rgb(img, 64))
    return float(((g > 0.2) & (g < 0.8)).mean()) < 0.12


def prepare_input(model: TranslationModel, img: np.ndarray) -> np.ndarray:
    """Turn any image into what G expects: (size, size, input_nc) in [0, 1]."""
    if img is None:
        raise UserError("Give an input image (upload one, draw one, or pick an example).")
    arr = np.asarray(img)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[-1] not in (1, 3, 4) or min(arr.shape[:2]) < 8:
        raise UserError(f"Expected an image of shape (H, W, 1|3|4) at least 8x8; got {arr.shape}.")
    if model.input_kind == "edges":
        if looks_like_drawing(arr):
            return tdata.drawing_to_edges(arr)
        return tdata.edge_map(tdata.resize_rgb(arr, model.size))
    rgb = tdata.resize_rgb(arr, model.size)
    if model.input_kind == "gray":
        return tdata.to_gray(rgb)
    if model.input_kind == "sketch":
        if not looks_like_drawing(arr) and _saturation(rgb) > 0.08:
            return np.repeat(tdata.pencil_sketch(rgb), 3, axis=-1)  # a colour photo: sketch it first
        return np.repeat(tdata.to_gray(rgb), 3, axis=-1)
    return rgb[..., : model.input_nc] if model.input_nc < 3 else rgb


def _saturation(rgb: np.ndarray) -> float:
    return float((rgb.max(-1) - rgb.min(-1)).mean())


def _run(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return net(x.contiguous(memory_format=torch.channels_last) if getattr(net, "channels_last", False) else x)


def translate(model: TranslationModel, img: np.ndarray, dropout: bool = False, seed: int | None = None) -> dict:
    """Run the model on one image.

    Returns ``input`` (what G saw), ``output`` (H, W, C) in [0, 1]; for pix2pix with a bundled D,
    ``realness`` (h, w) = sigmoid(D(input, output)) per patch and ``d_mean``; for CycleGAN
    ``reconstruction`` = G_back(G(input)), ``cycle_error`` = |input - reconstruction| averaged over
    channels and ``cycle_l1`` its mean.
    """
    x_img = prepare_input(model, img)
    x = tdata.to_tensor(x_img[None])
    out: dict = {"input": x_img}
    with model.lock, torch.inference_mode():
        set_dropout(model.G, dropout)
        try:
            if seed is None:
                y = _run(model.G, x)
            else:
                with seeded(seed):  # the dropout noise: the seed's alone, whatever other threads draw
                    y = _run(model.G, x)
        finally:
            set_dropout(model.G, False)
        out["output"] = tdata.to_image(y)[0]
        if model.D is not None:
            logits = _run(model.D, torch.cat([x, y], 1))
            p = torch.sigmoid(logits)[0, 0]
            out["realness"] = p.numpy()
            out["d_mean"] = float(p.mean())
        if model.G_back is not None:
            rec = _run(model.G_back, y)
            out["reconstruction"] = tdata.to_image(rec)[0]
            err = (rec - x).abs().mean(1)[0] / 2  # in [0, 1] pixel units
            out["cycle_error"] = err.numpy()
            out["cycle_l1"] = float(err.mean())
    return out


def heatmap(values: np.ndarray, size: int, vmin: float = 0.0, vmax: float = 1.0) -> np.ndarray:
    """A (h, w) map -> (size, size, 3) RGB image with a blue (low) to yellow (high) colour ramp."""
    v = np.clip((np.asarray(values, dtype=np.float32) - vmin) / max(vmax - vmin, 1e-8), 0, 1)
    t = F.interpolate(torch.from_numpy(v)[None, None], size=(size, size), mode="nearest")[0, 0].numpy()
    stops = np.array([[0.05, 0.03, 0.35], [0.0, 0.45, 0.6], [0.3, 0.75, 0.35], [1.0, 0.9, 0.15]], dtype=np.float32)
    pos = t * (len(stops) - 1)
    i = np.clip(pos.astype(int), 0, len(stops) - 2)
    f = (pos - i)[..., None]
    return stops[i] * (1 - f) + stops[i + 1] * f
