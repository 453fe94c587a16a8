"""The image translation tab: pix2pix and CycleGAN on our bundled 64x64 face models or the official zoo.

All model code lives in ``playground.translation``; this module is the tab's layout and wiring, and its
handlers are in ``translation_handlers`` (which never imports this module). Handlers have api names
(``translate``, ``translation_examples``) so gradio_client can drive them.

The events that take pictures run with ``preprocess=False``: Gradio would decode an upload before the
handler runs (a corrupt file, a renamed .txt or a 20000x20000 PNG would end as a bare "Error" badge or
gigabytes of memory). The handlers check every value and decode pictures with
``playground.images.read_image`` instead.
"""

from __future__ import annotations

import gradio as gr

from playground.ui.translation import handlers as h
from playground.ui.common import explain, share_panel, wire_copy_link
from playground.ui.translation.texts import (  # the tab's explanations
    DRAW_HELP, FIRST_VIEW_NOTE, INTRO, MODEL_HELP, PATCHGAN_HELP, SHARE_ABOUT, UPLOAD_HELP,
)

TITLE = "Image translation"

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

def build() -> "h.LinkTarget":
    c, w = _layout()
    _wire(c, w)
    return h.link_target(c)


def _layout() -> tuple[dict, dict]:
    """``(c, w)``: ``c`` the components a share link needs (the control groups a link may hide as
    ``group:<name>``), ``w`` the others that only the event wiring needs."""
    gr.Markdown(INTRO, latex_delimiters=[{"left": "$$", "right": "$$", "display": True},
                                         {"left": "$", "right": "$", "display": False}])
    choices = h._choices()
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
    c["source"] = gr.Radio(list(h.SOURCES), value="upload" if first else "drawing", label="Input from")
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
    run = dict(raw, concurrency_id="translate", concurrency_limit=h.TRANSLATIONS_AT_ONCE)
    w["run_btn"].click(h.translate, inputs, outputs, api_name="translate", show_progress="full", **run)
    sketch.change(lambda: ("drawing", None), None, [source, example], api_name=False, queue=False,
                  show_progress="hidden").then(
        h.translate_drawing, inputs, outputs, api_name=False, trigger_mode="always_last",
        show_progress="hidden", **run)
    upload.upload(lambda: ("upload", None), None, [source, example], api_name=False, queue=False).then(
        h.translate, inputs, outputs, api_name=False, **run)
    model.change(h.model_changed, model, [w["realness"], dropout, w["recon"], w["error"]], api_name=False,
                 queue=False, **raw).then(
        h.examples, model, [gallery, gallery_note], api_name="translation_examples", **raw)
    gallery.select(h._use_example, gallery, [upload, source, example], api_name=False).then(
        h.translate, inputs, outputs, api_name=False, **run)
    w["examples_tab"].select(h.examples, model, [gallery, gallery_note], api_name=False, **raw)
    link_names = ["model", "example", "link_hide", "link_big"]
    wire_copy_link(c, h.make_link, link_names)
