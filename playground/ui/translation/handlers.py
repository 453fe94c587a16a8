"""The image translation tab's handlers: what each event computes, inputs and outputs by name (the layout and the
wiring are :mod:`playground.ui.translation.layout`, which this module never imports).

* :func:`translate`: the chosen model on a drawing or an upload (Translate, an upload, a clicked example);
  :func:`translate_drawing` for each stroke. The models are shared by every session and the official ones run
  on the GPU through :mod:`playground.translation.serving`;
* :func:`examples` / :func:`use_example`: the example gallery, and a clicked example as the input;
* :func:`model_changed`, :func:`drawing_is_input`, :func:`upload_is_input`: the outputs a model has, and where
  the input comes from;
* :func:`first_view`: what every page shows on arrival: the default model's examples and the first one
  translated (a bundled model: milliseconds), computed once per process;
* :func:`make_link` / :func:`link_state`: the model and the example as a share link, both ways;
  :func:`after_link`: an opened link's examples and its example translated.

Each handler takes its inputs as a dict by name and returns its outputs the same way
(``playground.ui.common.on`` wires them); an output it leaves out stays as it is. The pictures come as Gradio's
raw values (the events run with ``preprocess=False``) and are decoded here with
``playground.images.read_image``.
"""

from __future__ import annotations

import hashlib
import threading

import gradio as gr
import numpy as np

from playground import safe_input, share
from playground.errors import UserError
from playground.images import center_crop_resize, read_image, unit_to_uint8
from playground.translation import data as tdata
from playground.translation import inference, serving, zoo
from playground.ui import arrival
from playground.ui.common import handler_log, warning_toast
from playground.ui.pictures import ResultCache, cached_pictures, picture_file
from playground.ui.translation.texts import (  # the notes on a result and on the examples
    CYCLE_NOTE, DROPOUT_OFF_NOTE, DROPOUT_ON_NOTE, EXAMPLES_NOTE, LINK_NO_EXAMPLES, NO_REALNESS_NOTE,
    OFFICIAL_EXAMPLES_NOTE, PATCHGAN_NOTE, PRESS_TRANSLATE_NOTE, UNAVAILABLE_NOTE,
)

TAB_ID = "translation"
GROUPS = share.schema(TAB_ID).groups  # the control groups a link may hide, in page order
INPUTS = ("model", "source", "sketch", "upload", "dropout")  # what a translation reads
OUTPUTS = ("seen", "output", "realness", "recon", "error", "notes")  # what it shows
EXAMPLES = ("gallery", "gallery_note")  # the example gallery and its note
SOURCES = ("drawing", "upload")

DISPLAY = 256  # shown size of the 64x64 images
# The models see at most 256x256: JPEGs may be decoded at a reduced scale down to this side.
LARGEST_INPUT = 256

# Official 256x256 models take a core for seconds on a CPU (one torch thread each): one runs at a time,
# the others wait with a message, and the second core stays free for the bundled models of the class.
OFFICIAL_RUNS_AT_ONCE = 1
TRANSLATIONS_AT_ONCE = 8
_official_slots = threading.BoundedSemaphore(OFFICIAL_RUNS_AT_ONCE)
# Finished outputs of the bundled models (deterministic without dropout) by model and input pixels.
_results = ResultCache(max_items=256)


def model_choices() -> list[tuple[str, str]]:
    """The model dropdown's (label, name) pairs: the bundled models, then the official zoo's."""
    bundled = [(f"{n} — {e['description']} [bundled]", n) for n, e in inference.bundled_entries().items()]
    remote = []
    for m in zoo.MODELS.values():
        state = "cached" if zoo.cached_path(m.name).exists() else "download ~{} MB".format(
            45 if m.arch.startswith("resnet") else 218)
        remote.append((f"{m.name} — {m.description} [official {m.kind}, {state}]", m.name))
    return bundled + remote


def _model_names() -> set[str]:
    return {*inference.bundled_entries(), *zoo.MODELS}


def _shown(img: np.ndarray | None, smooth: bool = True) -> np.ndarray | None:
    """A [0, 1] image as the page shows it: uint8 RGB, enlarged to DISPLAY (bicubic, or nearest for line art and
    maps) through images' one path to uint8 and resizing."""
    if img is None:
        return None
    arr = unit_to_uint8(np.asarray(img, dtype=np.float32))
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = np.repeat(arr, 3, axis=-1)
    if arr.shape[0] >= DISPLAY:
        return arr
    return center_crop_resize(arr, DISPLAY, "bicubic" if smooth else "nearest")


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


def _no_progress(*_, **__) -> None:
    """A progress tracker for work done outside an event (the arrival view, an opened link's example)."""


# ---- translating --------------------------------------------------------------------------------------------


def _present(info: dict, res: dict, dropout: bool) -> dict:
    """The translation's outputs by name: pictures as files written once (JPEG, PNG for line art), and the notes.
    Every output is set: a model's missing picture (None) clears what the last model showed."""
    smooth = info["input_kind"] != "edges"
    notes = [f"**{info['name']}** ({info['kind']}, {info['source']}); G sees {info['size']}×{info['size']}."]
    realness = error = rec = None
    if info["kind"] == "pix2pix":
        if "realness" in res:
            realness = picture_file(_shown(inference.heatmap(res["realness"], DISPLAY), smooth=False))
            h, w = res["realness"].shape
            notes.append(PATCHGAN_NOTE.format(h=h, w=w, d_mean=res["d_mean"]))
        else:
            notes.append(NO_REALNESS_NOTE)
        notes.append(DROPOUT_ON_NOTE if dropout else DROPOUT_OFF_NOTE)
    if "reconstruction" in res:
        rec = picture_file(_shown(res["reconstruction"], smooth))
        error = picture_file(_shown(inference.heatmap(res["cycle_error"], DISPLAY, 0.0, 0.25), smooth=False))
        notes.append(CYCLE_NOTE.format(cycle_l1=res["cycle_l1"]))
    return {"seen": picture_file(_shown(res["input"], smooth=False), "jpeg" if smooth else "png"),
            "output": picture_file(_shown(res["output"], smooth)), "realness": realness, "recon": rec,
            "error": error, "notes": "  \n".join(notes)}


_first_use_done: set[str] = set()


def _translate_bundled(name: str, img: np.ndarray, dropout: bool, progress) -> dict:
    if name not in _first_use_done:
        progress(0.1, desc="Loading the model (first use)...")
    model = serving.load_shared(name)
    _first_use_done.add(name)
    return _present(serving.describe(model), inference.translate(model, img, dropout=dropout), dropout)


def _translate_official(name: str, img: np.ndarray, dropout: bool, progress) -> dict:
    with serving.load_lock(name):  # the download (once, with its progress bar) happens outside any GPU call
        zoo.fetch(name, progress=_progress_cb(progress))
    if not _official_slots.acquire(blocking=False):
        progress(0.0, desc="Waiting: another student's official model is running (one at a time)...")
        _official_slots.acquire()
    try:
        progress(0.5, desc=f"Running the official {name} model at 256×256...")
        res, info = serving.run_official(name, img, dropout)
    finally:
        _official_slots.release()
    return _present(info, res, dropout)


def _pixels_key(img: np.ndarray) -> tuple:
    arr = np.ascontiguousarray(img)
    return arr.shape, str(arr.dtype), hashlib.sha256(arr.tobytes()).hexdigest()


def model_unavailable(name: str, message: str) -> dict:
    """The translation's outputs when official model ``name`` could not be had (offline, a changed file):
    ``message`` once, as a warning toast, no red "Error" on each output (a raised error gives both), the
    pictures left as they were, and a note saying so in place of the last result's note."""
    handler_log.info("official model unavailable: %s", message, key="model_unavailable")
    warning_toast(message)
    return {"notes": UNAVAILABLE_NOTE.format(name=name)}


def translate(v: dict, request: gr.Request | None = None, progress=gr.Progress()) -> dict:
    """Run the chosen model (``v``: the :data:`INPUTS`) on the drawing or the upload; returns the :data:`OUTPUTS`:
    what G sees, its output, the realness map, the reconstruction, the error map and the notes."""
    model_name = v["model"]
    if not model_name:
        raise UserError("Choose a model.")
    # Only listed models: load_model would also read a local file path, which a visitor must not name.
    safe_input.choice(model_name, "The model", _model_names())
    source = safe_input.choice(v["source"] or "upload", "The input source", SOURCES)
    dropout = safe_input.flag(v["dropout"] if v["dropout"] is not None else False, "Dropout")
    img = _pick_input(source, v["sketch"], v["upload"])  # before loading the model: bad input fails fast
    if model_name not in inference.bundled_entries():
        try:
            return _translate_official(model_name, img, dropout, progress)
        except UserError as exc:  # offline, or a changed file: one message, and the pictures stay
            return model_unavailable(model_name, str(exc))
    if dropout:  # a random sample each time: nothing to reuse
        return _translate_bundled(model_name, img, dropout, progress)
    return _results.get_or_compute((model_name, *_pixels_key(img)),
                                   lambda: _translate_bundled(model_name, img, dropout, progress))


def translate_drawing(v: dict, request: gr.Request | None = None, progress=gr.Progress()) -> dict:
    """The sketchpad changed: translate the drawing. A sketchpad just cleared (or erased) changes nothing and
    says nothing: only Translate on an empty sketchpad asks for a drawing. An official model not downloaded yet
    waits for Translate (a stroke never starts a 218 MB download, nor a message per stroke when offline)."""
    name = v["model"]
    if isinstance(name, str) and name in zoo.MODELS and not zoo.cached_path(name).exists():
        return {"notes": PRESS_TRANSLATE_NOTE.format(name=name)}
    try:
        return translate(v, request, progress=progress)
    except EmptyDrawing:
        return {}


def drawing_is_input(v: dict, request: gr.Request | None = None) -> dict:
    """A stroke makes the drawing the input (and no example is the input any more)."""
    return {"source": "drawing", "example": None}


def upload_is_input(v: dict, request: gr.Request | None = None) -> dict:
    """An upload makes itself the input (and no example is the input any more)."""
    return {"source": "upload", "example": None}


def model_changed(v: dict, request: gr.Request | None = None) -> dict:
    """Show the realness map and G's dropout for pix2pix, the cycle pictures for CycleGAN."""
    name = v["model"]
    entries = inference.bundled_entries()
    if not isinstance(name, str):
        kind = "pix2pix"
    elif name in entries:
        kind = entries[name]["kind"]
    else:
        kind = zoo.MODELS[name].kind if name in zoo.MODELS else "pix2pix"
    p2p = kind == "pix2pix"
    return {"realness": gr.update(visible=p2p), "dropout": gr.update(visible=p2p),
            "recon": gr.update(visible=not p2p), "error": gr.update(visible=not p2p)}


# ---- examples -----------------------------------------------------------------------------------------------


def examples(v: dict, request: gr.Request | None = None) -> dict:
    """The :data:`EXAMPLES` for model ``v["model"]``: inputs for a bundled model (faces the models never saw,
    made from the DCGAN). An official model has none of its own: the examples stay (they still make an input)
    and the note says what it expects."""
    name = v["model"]
    entries = inference.bundled_entries()
    if not isinstance(name, str) or name not in entries:
        return {"gallery_note": OFFICIAL_EXAMPLES_NOTE}
    kind = entries[name]["input_kind"]

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
        return [picture_file(_shown(x, smooth=kind != "edges"), fmt) for x in imgs]

    return {"gallery": _results.get_or_compute(("examples", kind), make), "gallery_note": EXAMPLES_NOTE}


def use_example(v: dict, request: gr.Request | None = None) -> dict:
    """The clicked example (``v["clicked"]``, its index in ``v["gallery"]`` as Gradio preprocessed it) becomes
    the uploaded input, and the tab remembers which one it was (``example``: a link names it)."""
    index = int(v["clicked"])
    item = v["gallery"][index]
    img = item[0] if isinstance(item, (list, tuple)) else item
    if isinstance(img, dict):
        img = img.get("image", {}).get("path") or img.get("path")
    return {"upload": read_image(safe_input.web_file(img), "The example"), "source": "upload", "example": index}


def _translate_example(model: str, gallery: list, index: int) -> tuple[str, dict]:
    """Example ``index`` of ``gallery`` (its picture files) and its translation, as a click on it would give."""
    path = gallery[index]
    return path, translate({"model": model, "source": "upload", "sketch": None, "upload": path, "dropout": False},
                           progress=_no_progress)


@cached_pictures
def first_view(model: str | None) -> dict:
    """The examples of ``model`` (a bundled one) and the first translated: ``gallery``, ``note``, ``upload`` and
    ``outputs`` (the :data:`OUTPUTS` by name); empty for other models. Computed once and kept on disk
    (``arrival``)."""
    if model not in inference.bundled_entries():
        return {}
    return arrival.cached("translation-first-view", (model,), lambda: _first_view(model))


def _first_view(model: str) -> dict:
    shown = examples({"model": model})
    path, outputs = _translate_example(model, shown["gallery"], 0)
    return {"gallery": shown["gallery"], "note": shown["gallery_note"], "upload": path, "outputs": outputs}


# ---- share links --------------------------------------------------------------------------------------------


def link_state(model, example) -> dict:
    """The tab's model and example (gallery index, or None for a drawing or an upload) as a link state."""
    return {"model": model, "example": None if example is None else int(example)}


def make_link(v: dict, request: gr.Request | None = None) -> str:
    """The query part of a link that reopens this tab with this model and example."""
    if v["model"] not in share.schema(TAB_ID).field("model").choices:
        raise UserError("Choose a listed model first.")
    options = {"hide": tuple(v.get("link_hide") or ()), "big": bool(v.get("link_big"))}
    return share.build_link("", TAB_ID, link_state(v["model"], v["example"]), options)


def after_link(v: dict, request: gr.Request | None = None) -> dict:
    """Once an opened link has set the model and the example: the model's examples, the example as the input
    (the Examples tab shown) and its translation. A page opened without a link, or a link without an example,
    changes nothing."""
    if not v.get("link_opened") or v["example"] is None:
        return {}
    model = v["model"]
    if model not in inference.bundled_entries():
        gr.Warning(LINK_NO_EXAMPLES)
        return {}
    shown = examples({"model": model})
    path, outputs = _translate_example(model, shown["gallery"], int(v["example"]))
    return {**shown, "upload": path, "source": "upload", "inner": gr.Tabs(selected="examples"), **outputs}
