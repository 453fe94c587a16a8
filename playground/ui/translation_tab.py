"""The image translation tab: pix2pix and CycleGAN on our bundled 64x64 face models or the official zoo.

All model code lives in ``playground.translation``; this module wires components to
``inference.load_model`` / ``inference.translate``. Handlers have api names (``translate``,
``translation_examples``) so gradio_client can drive them.

The events that take pictures run with ``preprocess=False``: Gradio would decode an upload before the
handler runs (a corrupt file, a renamed .txt or a 20000x20000 PNG would end as a bare "Error" badge or
gigabytes of memory). The handlers check every value and decode pictures with
``playground.images.read_image`` instead.
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

from playground import safe_input
from playground.device import get_device, gpu
from playground.errors import UserError
from playground.images import read_image
from playground.ui import translation_handlers as h
from playground.ui.common import explain, share_panel, user_errors, wire_copy_link
from playground.ui.pictures import ResultCache, picture_file
from playground.ui.translation_texts import (  # the tab's explanations and the notes on a result
    CYCLE_NOTE, DRAW_HELP, DROPOUT_OFF_NOTE, DROPOUT_ON_NOTE, FIRST_VIEW_NOTE, INTRO, MODEL_HELP,
    NO_REALNESS_NOTE, PATCHGAN_HELP, PATCHGAN_NOTE, SHARE_ABOUT, UPLOAD_HELP,
)

TITLE = "Image translation"
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
    """Upscale a [0, 1] image for display (uint8 RGB)."""
    if img is None:
        return None
    from PIL import Image

    arr = np.asarray(img, dtype=np.float32)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = np.repeat(arr, 3, axis=-1)
    arr = np.round(np.clip(arr, 0, 1) * 255).astype(np.uint8)
    if arr.shape[0] >= DISPLAY:
        return arr
    return np.asarray(Image.fromarray(arr).resize((DISPLAY, DISPLAY), Image.BICUBIC if smooth else Image.NEAREST))


# Gradio 6.31's sketchpad starts (and restarts after Clear) with no tool chosen when it holds no picture, so
# strokes did nothing until the Brush was picked. This script, run when its tab is first shown, picks the
# Brush whenever no tool is chosen, never overriding the Eraser (the tool bar's first button when the
# browser's language translates the label).
BRUSH_FIRST_JS = """
const armBrush = (pad) => {
  const pick = () => {
    const tools = pad.querySelector('.toolbar-wrap');
    if (!tools || tools.querySelector('button.highlight')) return;
    const brush = tools.querySelector("button[aria-label='Brush']") || tools.querySelector('button');
    if (brush) brush.click();
  };
  new MutationObserver(pick).observe(pad, {subtree: true, childList: true, attributes: true,
                                          attributeFilter: ['class']});
  pick();
};
const findPad = (tries) => {
  const pad = document.getElementById('translation-sketchpad');
  if (pad) armBrush(pad); else if (tries > 0) setTimeout(() => findPad(tries - 1), 100);
};
findPad(100);
"""

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


@user_errors
def translate(model_name, source, sketch, upload, dropout, progress=gr.Progress()):
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
            return h.model_unavailable(model_name, str(exc))
    if dropout:  # a random sample each time: nothing to reuse
        return _translate_bundled(model_name, img, dropout, progress)
    return _results.get_or_compute((model_name, *_pixels_key(img)),
                                   lambda: _translate_bundled(model_name, img, dropout, progress))


@user_errors
def translate_drawing(model_name, source, sketch, upload, dropout, progress=gr.Progress()):
    """The sketchpad changed: translate the drawing. A sketchpad just cleared (or erased) changes nothing and
    says nothing: only Translate on an empty sketchpad asks for a drawing. An official model not downloaded yet
    waits for Translate (a stroke never starts a 218 MB download, nor a message per stroke when offline)."""
    from playground.translation import zoo

    if isinstance(model_name, str) and model_name in zoo.MODELS and not zoo.cached_path(model_name).exists():
        return [*[gr.skip()] * (h.N_OUTPUTS - 1), h.PRESS_TRANSLATE_NOTE.format(name=model_name)]
    try:
        return translate.__wrapped__(model_name, source, sketch, upload, dropout, progress=progress)
    except EmptyDrawing:
        return [gr.skip()] * h.N_OUTPUTS


@user_errors
def examples(model_name):
    """Example inputs for a bundled model (faces the models never saw, made from the DCGAN)."""
    from playground.translation import data as tdata
    from playground.translation import inference

    entries = inference.bundled_entries()
    if not isinstance(model_name, str) or model_name not in entries:
        # the examples stay (an official model has none of its own, and they still make an input)
        return gr.skip(), h.OFFICIAL_EXAMPLES_NOTE
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


def _use_example(gallery, evt: gr.SelectData):
    item = gallery[evt.index]
    img = item[0] if isinstance(item, (list, tuple)) else item
    if isinstance(img, dict):
        img = img.get("image", {}).get("path") or img.get("path")
    return read_image(safe_input.web_file(img), "The example"), "upload", evt.index


def build() -> "h.LinkTarget":
    c, w = _layout()
    _wire(c, w)
    return h.LinkTarget(c)


def _layout() -> tuple[dict, dict]:
    """``(c, w)``: ``c`` the components a share link needs (the control groups a link may hide as
    ``group:<name>``), ``w`` the others that only the event wiring needs."""
    gr.Markdown(INTRO, latex_delimiters=[{"left": "$$", "right": "$$", "display": True},
                                         {"left": "$", "right": "$", "display": False}])
    choices = _choices()
    default = choices[0][1] if choices else None
    first = h.first_view(default)  # the first example translated: the page shows a result on arrival
    c: dict = {"example": gr.State(0 if first else None), "link_opened": gr.State(False)}
    w: dict = {}
    with gr.Column() as c["group:model"]:
        with gr.Row():
            c["model"] = gr.Dropdown(choices, value=default, label="Model", scale=3,
                                     elem_id="translation-model")
            w["dropout"] = gr.Checkbox(False, label="G's dropout noise (pix2pix)", scale=1)
        explain(MODEL_HELP)
    with gr.Row():
        with gr.Column() as c["group:input"]:
            _input_layout(c, w, first)
        with gr.Column() as c["group:output"]:
            _output_layout(c, w, first.get("outputs") or (None,) * h.N_OUTPUTS)
    explain(PATCHGAN_HELP)
    share_panel(c, "translation", h.GROUPS, about=SHARE_ABOUT)
    return c, w


def _input_layout(c: dict, w: dict, first: dict) -> None:
    """The input column: where the picture comes from (drawing, upload, examples) and the Translate button."""
    c["source"] = gr.Radio(list(SOURCES), value="upload" if first else "drawing", label="Input from")
    with gr.Tabs(selected="examples" if first else "draw") as c["inner"]:
        with gr.Tab("Draw", id="draw"):
            w["sketch"] = gr.Sketchpad(
                type="filepath", image_mode="RGBA", canvas_size=(256, 256), height=300,
                brush=gr.Brush(colors=["#000000"], default_size=3, color_mode="fixed"),
                label="Draw edges (edges2face) or a sketch (sketch2face)", layers=False,
                elem_id="translation-sketchpad",
            )
            gr.HTML("", js_on_load=BRUSH_FIRST_JS, padding=False, container=False,
                    elem_id="translation-brush-first")
            explain(DRAW_HELP)
        with gr.Tab("Upload", id="upload"):
            c["upload"] = gr.Image(first.get("upload"), type="filepath", label="Input image", height=300)
            explain(UPLOAD_HELP)
        with gr.Tab("Examples", id="examples") as w["examples_tab"]:
            c["gallery"] = gr.Gallery(first.get("gallery"), label="Examples (held-out faces)", columns=4,
                                      height="auto", allow_preview=False, interactive=False, buttons=[],
                                      elem_id="translation-examples")
            c["gallery_note"] = explain(first.get("note", ""))
    w["run_btn"] = gr.Button("Translate", variant="primary")


def _output_layout(c: dict, w: dict, first_out) -> None:
    """The output column, showing ``first_out`` (the first example's results) on arrival."""
    # The pictures are files written once (playground/ui/pictures.py): JPEG, PNG for line art.
    with gr.Row():
        seen = gr.Image(first_out[0], label="What G sees (A)", interactive=False, height=256, format="png",
                        elem_id="translation-seen")
        output = gr.Image(first_out[1], label="G(A)", interactive=False, height=256,
                          elem_id="translation-output", format="jpeg")
    with gr.Row():
        w["realness"] = gr.Image(first_out[2], label="PatchGAN realness of G(A)", interactive=False,
                                 height=256, visible=first_out[2] is not None)
        w["recon"] = gr.Image(first_out[3], label="A′ = F(G(A))", interactive=False, height=256,
                              visible=first_out[3] is not None)
        w["error"] = gr.Image(first_out[4], label="|A − A′| (cycle error)", interactive=False, height=256,
                              visible=first_out[4] is not None)
    notes = gr.Markdown(first_out[5] and FIRST_VIEW_NOTE + first_out[5], elem_id="translation-notes")
    c["outputs"] = [seen, output, w["realness"], w["recon"], w["error"], notes]


def _wire(c: dict, w: dict) -> None:
    model, source, sketch, upload, dropout = c["model"], c["source"], w["sketch"], c["upload"], w["dropout"]
    gallery, gallery_note, example = c["gallery"], c["gallery_note"], c["example"]
    inputs = [model, source, sketch, upload, dropout]
    outputs = c["outputs"]
    # preprocess=False: the handlers check raw values and decode the pictures themselves (module docstring).
    raw = dict(preprocess=False)
    # Every way to translate shares one pool of TRANSLATIONS_AT_ONCE workers: bundled models take ~20 ms,
    # and the pool is larger than the one official run allowed at a time, so students waiting for an
    # official model never hold up the bundled ones.
    run = dict(raw, concurrency_id="translate", concurrency_limit=TRANSLATIONS_AT_ONCE)
    w["run_btn"].click(translate, inputs, outputs, api_name="translate", show_progress="full", **run)
    sketch.change(lambda: ("drawing", None), None, [source, example], api_name=False, queue=False,
                  show_progress="hidden").then(
        translate_drawing, inputs, outputs, api_name=False, trigger_mode="always_last",
        show_progress="hidden", **run)
    upload.upload(lambda: ("upload", None), None, [source, example], api_name=False, queue=False).then(
        translate, inputs, outputs, api_name=False, **run)
    model.change(h.model_changed, model, [w["realness"], dropout, w["recon"], w["error"]], api_name=False,
                 queue=False, **raw).then(
        examples, model, [gallery, gallery_note], api_name="translation_examples", **raw)
    gallery.select(_use_example, gallery, [upload, source, example], api_name=False).then(
        translate, inputs, outputs, api_name=False, **run)
    w["examples_tab"].select(examples, model, [gallery, gallery_note], api_name=False, **raw)
    link_names = ["model", "example", "link_hide", "link_big"]
    wire_copy_link(c, h.make_link, link_names)
