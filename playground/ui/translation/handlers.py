"""The translation tab's handlers (layout and wiring in ``translation_tab.py``, which this module never imports).

* :func:`translate_picture` / :func:`translate` (the page's event: errors as a toast): the chosen model on a
  drawing or an upload; :func:`translate_drawing` for each stroke; :func:`example_gallery` / :func:`examples`;
  models are loaded once per process, under a lock per model (:func:`load_shared`);

* :func:`first_view`: what every page shows on arrival: the default model's examples and the first one
  translated (a bundled model: milliseconds), computed once per process;
* :func:`make_link` / :func:`link_state`: the model and the example as a share link, both ways;
* :func:`after_link`: an opened link's examples and its example translated.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import threading

import gradio as gr
import numpy as np
import torch
from torch import nn

from playground import safe_input, share
from playground.device import get_device, gpu
from playground.errors import UserError
from playground.images import center_crop_resize, read_image, unit_to_uint8
from playground.ui import arrival
from playground.ui.common import LinkTarget, handler_log, named_inputs, user_errors, warning_toast
from playground.ui.pictures import ResultCache, cached_pictures, picture_file
from playground.ui.translation.texts import (  # the notes on a result
    CYCLE_NOTE, DROPOUT_OFF_NOTE, DROPOUT_ON_NOTE, NO_REALNESS_NOTE, PATCHGAN_NOTE,
)

TAB_ID = "translation"
GROUPS = share.schema(TAB_ID).groups  # the control groups a link may hide, in page order
N_OUTPUTS = 6  # seen, output, realness, reconstruction, error, notes


OFFICIAL_EXAMPLES_NOTE = ("These examples were made for the bundled models; an official model expects its own "
                          "kind of picture: upload one (an example still works as an input).")


PRESS_TRANSLATE_NOTE = "Press **Translate** to download **{name}** and run it on the drawing."

DISPLAY = 256  # shown size of the 64x64 images

# Models are loaded once per process and shared read-only by every session (inference's caches); loading
# takes a lock per model name, so one student's download of an official model (up to 218 MB) never holds
# up anyone else's translation, and two first uses of one model load it once.
_load_locks: dict[str, threading.Lock] = {}
_load_locks_guard = threading.Lock()
# Official 256x256 models take a core for seconds on a CPU (one torch thread each): one runs at a time,
# the others wait with a message, and the second core stays free for the bundled models of the class.
OFFICIAL_RUNS_AT_ONCE = 1
TRANSLATIONS_AT_ONCE = 8
_official_slots = threading.BoundedSemaphore(OFFICIAL_RUNS_AT_ONCE)
# Finished outputs of the bundled models (deterministic without dropout) by model and input pixels.
_results = ResultCache(max_items=256)


def _load_lock(name: str) -> threading.Lock:
    with _load_locks_guard:
        return _load_locks.setdefault(name, threading.Lock())


def load_shared(name: str, progress=None):
    """The listed model ``name``, loaded (and for an official one downloaded) once per process."""
    from playground.translation import inference

    with _load_lock(name):
        return inference.load_model(name, progress=progress)


def _choices() -> list[tuple[str, str]]:
    from playground.translation import inference, zoo

    bundled = [(f"{n} — {e['description']} [bundled]", n) for n, e in inference.bundled_entries().items()]
    remote = []
    for m in zoo.MODELS.values():
        state = "cached" if zoo.cached_path(m.name).exists() else "download ~{} MB".format(
            45 if m.arch.startswith("resnet") else 218)
        remote.append((f"{m.name} — {m.description} [official {m.kind}, {state}]", m.name))
    return bundled + remote


def _big(img: np.ndarray | None, smooth: bool = True) -> np.ndarray | None:
    """A [0, 1] image for display: uint8 RGB, enlarged to DISPLAY (images' one path to uint8 and resizing)."""
    if img is None:
        return None
    arr = unit_to_uint8(np.asarray(img, dtype=np.float32))
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = np.repeat(arr, 3, axis=-1)
    if arr.shape[0] >= DISPLAY:
        return arr
    return center_crop_resize(arr, DISPLAY, "bicubic" if smooth else "nearest")


SOURCES = ("drawing", "upload")
# The models see at most 256x256: JPEGs may be decoded at a reduced scale down to this side.
LARGEST_INPUT = 256


def _model_names() -> set[str]:
    from playground.translation import inference, zoo

    return {*inference.bundled_entries(), *zoo.MODELS}


class EmptyDrawing(UserError):
    """The input is the drawing and the sketchpad holds nothing."""

    def __init__(self):
        super().__init__("The sketchpad is empty: draw something (or switch the input to 'upload').")


def _pick_input(source: str, sketch, upload) -> np.ndarray:
    """The picture to translate, decoded here (sizes checked from the header first)."""
    if source == "drawing":
        comp = sketch.get("composite") if isinstance(sketch, dict) else sketch
        if comp is None:
            raise EmptyDrawing()
        img = read_image(safe_input.web_file(comp), "The drawing", mode="RGBA")
        if img.shape[-1] == 4 and img[..., 3].max() == 0:
            raise EmptyDrawing()
        return img
    if upload is None:
        raise UserError("Upload an image first (or draw one and switch the input to 'drawing').")
    return read_image(safe_input.web_file(upload), "The uploaded picture", mode="RGBA", shrink_to=LARGEST_INPUT)


def _progress_cb(progress):
    def cb(done, total):
        if total:
            progress(done / total, desc=f"Downloading the official weights: {done / 2**20:.0f} / {total / 2**20:.0f} MB")

    return cb


def _info(model) -> dict:
    """What the notes say about a model (plain data: it comes back from a ZeroGPU worker too)."""
    return {"name": model.name, "kind": model.kind, "source": model.source, "size": model.size,
            "input_kind": model.input_kind}


class _OnDevice(nn.Module):
    """A copy of a CPU network on ``device`` that takes and returns CPU tensors, so
    ``inference.translate`` runs unchanged around it (the shared CPU model is never moved)."""

    def __init__(self, net: nn.Module, device: torch.device):
        super().__init__()
        self.net = copy.deepcopy(net).to(device)
        self.device = device

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.to(self.device)).cpu()


_device_copies: dict[tuple[str, str], object] = {}


def _official_on(name: str, device: torch.device):
    model = load_shared(name)  # the file is on disk already: the caller downloaded it
    if device.type == "cpu":
        return model
    with _load_lock(name):
        key = (name, str(device))
        if key not in _device_copies:
            _device_copies[key] = dataclasses.replace(model, G=_OnDevice(model.G, device),
                                                      lock=threading.Lock())
        return _device_copies[key]


def _run_official(name: str, img: np.ndarray, dropout: bool) -> tuple[dict, dict]:
    """Run the official 256x256 model ``name`` on ``img`` on ``get_device()`` (CUDA inside a ZeroGPU
    call); returns (inference.translate's result, the model's description). Arguments and results are
    plain data, as ZeroGPU sends them to and from its worker process."""
    from playground.translation import inference

    model = _official_on(name, get_device())
    return inference.translate(model, img, dropout=dropout), _info(model)


# ZeroGPU: a cold worker reads up to 218 MB of weights and moves them to the GPU (seconds); one 256x256
# pass takes milliseconds. 30 s covers both with room and stays short (short requests are served first).
run_official = gpu(_run_official, duration=30)


def _present(info: dict, res: dict, dropout: bool) -> tuple:
    """The tab's outputs: pictures as files written once (JPEG, PNG for line art), and the notes."""
    from playground.translation import inference

    smooth = info["input_kind"] != "edges"
    notes = [f"**{info['name']}** ({info['kind']}, {info['source']}); G sees {info['size']}×{info['size']}."]
    realness = error = rec = None
    if info["kind"] == "pix2pix":
        if "realness" in res:
            realness = picture_file(_big(inference.heatmap(res["realness"], DISPLAY), smooth=False))
            h, w = res["realness"].shape
            notes.append(PATCHGAN_NOTE.format(h=h, w=w, d_mean=res["d_mean"]))
        else:
            notes.append(NO_REALNESS_NOTE)
        notes.append(DROPOUT_ON_NOTE if dropout else DROPOUT_OFF_NOTE)
    if "reconstruction" in res:
        rec = picture_file(_big(res["reconstruction"], smooth))
        error = picture_file(_big(inference.heatmap(res["cycle_error"], DISPLAY, 0.0, 0.25), smooth=False))
        notes.append(CYCLE_NOTE.format(cycle_l1=res["cycle_l1"]))
    seen = picture_file(_big(res["input"], smooth=False), "jpeg" if smooth else "png")
    return seen, picture_file(_big(res["output"], smooth)), realness, rec, error, "  \n".join(notes)


_first_use_done: set[str] = set()


def _translate_bundled(name: str, img: np.ndarray, dropout: bool, progress) -> tuple:
    from playground.translation import inference

    if name not in _first_use_done:
        progress(0.1, desc="Loading the model (first use)...")
    model = load_shared(name)
    _first_use_done.add(name)
    return _present(_info(model), inference.translate(model, img, dropout=dropout), dropout)


def _translate_official(name: str, img: np.ndarray, dropout: bool, progress) -> tuple:
    from playground.translation import zoo

    with _load_lock(name):  # the download (once, with its progress bar) happens outside any GPU call
        zoo.fetch(name, progress=_progress_cb(progress))
    if not _official_slots.acquire(blocking=False):
        progress(0.0, desc="Waiting: another student's official model is running (one at a time)...")
        _official_slots.acquire()
    try:
        progress(0.5, desc=f"Running the official {name} model at 256×256...")
        res, info = run_official(name, img, dropout)
    finally:
        _official_slots.release()
    return _present(info, res, dropout)


def _pixels_key(img: np.ndarray) -> tuple:
    arr = np.ascontiguousarray(img)
    return arr.shape, str(arr.dtype), hashlib.sha256(arr.tobytes()).hexdigest()


def translate_picture(model_name, source, sketch, upload, dropout, progress=gr.Progress()):
    """Run the chosen model; returns (input seen, output, realness map, reconstruction, error map, notes)."""
    from playground.translation import inference

    if not model_name:
        raise UserError("Choose a model.")
    # Only listed models: load_model would also read a local file path, which a visitor must not name.
    safe_input.choice(model_name, "The model", _model_names())
    source = safe_input.choice(source or "upload", "The input source", SOURCES)
    dropout = safe_input.flag(dropout if dropout is not None else False, "Dropout")
    img = _pick_input(source, sketch, upload)  # before loading the model: bad input fails fast
    if model_name not in inference.bundled_entries():
        try:
            return _translate_official(model_name, img, dropout, progress)
        except UserError as exc:  # offline, or a changed file: one message, and the pictures stay
            return model_unavailable(model_name, str(exc))
    if dropout:  # a random sample each time: nothing to reuse
        return _translate_bundled(model_name, img, dropout, progress)
    return _results.get_or_compute((model_name, *_pixels_key(img)),
                                   lambda: _translate_bundled(model_name, img, dropout, progress))


translate = user_errors(translate_picture)  # the page's event: errors as one toast


@user_errors
def translate_drawing(model_name, source, sketch, upload, dropout, progress=gr.Progress()):
    """The sketchpad changed: translate the drawing. A sketchpad just cleared (or erased) changes nothing and
    says nothing: only Translate on an empty sketchpad asks for a drawing. An official model not downloaded yet
    waits for Translate (a stroke never starts a 218 MB download, nor a message per stroke when offline)."""
    from playground.translation import zoo

    if isinstance(model_name, str) and model_name in zoo.MODELS and not zoo.cached_path(model_name).exists():
        return [*[gr.skip()] * (N_OUTPUTS - 1), PRESS_TRANSLATE_NOTE.format(name=model_name)]
    try:
        return translate_picture(model_name, source, sketch, upload, dropout, progress=progress)
    except EmptyDrawing:
        return [gr.skip()] * N_OUTPUTS


def example_gallery(model_name):
    """Example inputs for a bundled model (faces the models never saw, made from the DCGAN)."""
    from playground.translation import data as tdata
    from playground.translation import inference

    entries = inference.bundled_entries()
    if not isinstance(model_name, str) or model_name not in entries:
        # the examples stay (an official model has none of its own, and they still make an input)
        return gr.skip(), OFFICIAL_EXAMPLES_NOTE
    kind = entries[model_name]["input_kind"]

    def make():
        faces = tdata.make_faces(8, seed=424242)
        if kind == "edges":
            imgs = tdata.edge_map(faces)
        elif kind == "gray":
            imgs = tdata.to_gray(faces)
        elif kind == "sketch":
            imgs = tdata.pencil_sketch(faces[::-1])
        else:
            imgs = faces
        fmt = "png" if kind == "edges" else "jpeg"
        return [picture_file(_big(x, smooth=kind != "edges"), fmt) for x in imgs]

    return _results.get_or_compute(("examples", kind), make), "Click an example to translate it."


examples = user_errors(example_gallery)


def _use_example(gallery, evt: gr.SelectData):
    item = gallery[evt.index]
    img = item[0] if isinstance(item, (list, tuple)) else item
    if isinstance(img, dict):
        img = img.get("image", {}).get("path") or img.get("path")
    return read_image(safe_input.web_file(img), "The example"), "upload", evt.index



def model_unavailable(name: str, message: str) -> list:
    """The translation outputs when official model ``name`` could not be had (offline, a changed file):
    ``message`` once, as a warning toast, no red "Error" on each output (a raised error gives both), the
    pictures left as they were, and a note saying so in place of the last result's note."""
    handler_log.info("official model unavailable: %s", message, key="model_unavailable")
    warning_toast(message)
    note = (f"**{name}** could not be loaded (see the message), so the pictures above are from the last "
            "translation.")
    return [*[gr.skip()] * (N_OUTPUTS - 1), note]


def model_changed(model_name):
    """Show the realness map for pix2pix, the cycle pictures for CycleGAN."""
    from playground.translation import inference, zoo

    entries = inference.bundled_entries()
    if not isinstance(model_name, str):
        kind = "pix2pix"
    elif model_name in entries:
        kind = entries[model_name]["kind"]
    else:
        kind = zoo.MODELS[model_name].kind if model_name in zoo.MODELS else "pix2pix"
    p2p = kind == "pix2pix"
    return (gr.update(visible=p2p), gr.update(visible=p2p), gr.update(visible=not p2p), gr.update(visible=not p2p))


def link_state(model, example) -> dict:
    """The tab's model and example (gallery index, or None for a drawing or an upload) as a link state."""
    return {"model": model, "example": None if example is None else int(example)}


def make_link(v: dict, request: gr.Request | None = None) -> str:
    """The query part of a link that reopens this tab with this model and example."""
    from playground.errors import UserError

    if v["model"] not in share.schema(TAB_ID).field("model").choices:
        raise UserError("Choose a listed model first.")
    options = {"hide": tuple(v.get("link_hide") or ()), "big": bool(v.get("link_big"))}
    return share.build_link("", TAB_ID, link_state(v["model"], v["example"]), options)


def _translate_example(model: str, gallery: list, index: int) -> tuple:
    """Translate example ``index`` of ``gallery`` (its picture files) as a click on it would."""
    path = gallery[index]
    return path, translate_picture(model, "upload", None, path, False, progress=lambda *a, **k: None)


@cached_pictures
def first_view(model: str | None) -> dict:
    """The examples of ``model`` (a bundled one) and the first translated; empty for other models. Computed
    once and kept on disk (``arrival``)."""
    from playground.translation import inference

    if model not in inference.bundled_entries():
        return {}
    return arrival.cached("translation-first-view", (model,), lambda: _first_view(model))


def _first_view(model: str) -> dict:
    gallery, note = example_gallery(model)
    path, outputs = _translate_example(model, gallery, 0)
    return {"gallery": gallery, "note": note, "upload": path, "outputs": outputs}


def after_link(v: dict, request: gr.Request | None = None) -> list:
    """Outputs: gallery, gallery note, upload, source, inner tab selection, the 6 translation outputs."""
    from playground.translation import inference

    skip = [gr.skip()] * (5 + N_OUTPUTS)
    if not v.get("link_opened"):
        return skip
    model, index = v["model"], v["example"]
    if index is None:
        return skip
    if model not in inference.bundled_entries():
        gr.Warning("Examples exist for the bundled models only; upload a picture for this model.")
        return skip
    gallery, note = example_gallery(model)
    path, outputs = _translate_example(model, gallery, int(index))
    return [gallery, note, path, "upload", gr.Tabs(selected="examples"), *outputs]


def link_target(c: dict) -> LinkTarget:
    """What an opened share link sets in the translation tab: the model and the example; then the example is
    translated."""

    def after(event) -> None:
        names = ["link_opened", "model", "example"]
        outs = [c["gallery"], c["gallery_note"], c["upload"], c["source"], c["inner"], *c["outputs"]]
        event.then(named_inputs(names, after_link), [c[n] for n in names], outs, api_name=False, preprocess=False)

    return LinkTarget(c, TAB_ID, ("model", "example", "link_opened"),
                      lambda state, options: {"model": state["model"], "example": state["example"],
                                              "link_opened": True}, after)
