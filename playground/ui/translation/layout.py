"""The image translation tab's layout and wiring: pix2pix and CycleGAN on our bundled 64x64 face models or the
official zoo.

The model code is ``playground.translation``; the handlers are :mod:`playground.ui.translation.handlers`, the
words :mod:`playground.ui.translation.texts`. Two events have api names (``translate``,
``translation_examples``) so gradio_client can drive them.

The events that take pictures run with ``preprocess=False``: Gradio would decode an upload before the
handler runs (a corrupt file, a renamed .txt or a 20000x20000 PNG would end as a bare "Error" badge or
gigabytes of memory). The handlers check every value and decode pictures with
``playground.images.read_image`` instead.
"""

from __future__ import annotations

import gradio as gr

from playground.ui.common import LinkTarget, explain, on, share_panel, wire_copy_link
from playground.ui.translation.handlers import (
    EXAMPLES, GROUPS, INPUTS, OUTPUTS, SOURCES, TAB_ID, TRANSLATIONS_AT_ONCE, after_link, drawing_is_input, examples,
    first_view, make_link, model_changed, model_choices, translate, translate_drawing, upload_is_input, use_example,
)
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


def build() -> LinkTarget:
    c = _layout()
    _wire(c)
    return link_target(c)


def _layout() -> dict:
    """The tab's components by name (the control groups a link may hide as ``group:<name>``)."""
    gr.Markdown(INTRO, latex_delimiters=[{"left": "$$", "right": "$$", "display": True},
                                         {"left": "$", "right": "$", "display": False}])
    choices = model_choices()
    default = choices[0][1] if choices else None
    first = first_view(default)  # the first example translated: the page shows a result on arrival
    c: dict = {"example": gr.State(0 if first else None), "link_opened": gr.State(False)}
    with gr.Column() as c["group:model"]:
        with gr.Row():
            c["model"] = gr.Dropdown(choices, value=default, label="Model", scale=3,
                                     elem_id="translation-model")
            c["dropout"] = gr.Checkbox(False, label="G's dropout noise (pix2pix)", scale=1)
        explain(MODEL_HELP)
    with gr.Row():
        with gr.Column() as c["group:input"]:
            _input_layout(c, first)
        with gr.Column() as c["group:output"]:
            _output_layout(c, first.get("outputs") or {})
    explain(PATCHGAN_HELP)
    share_panel(c, TAB_ID, GROUPS, about=SHARE_ABOUT)
    return c


def _input_layout(c: dict, first: dict) -> None:
    """The input column: where the picture comes from (drawing, upload, examples) and the Translate button."""
    c["source"] = gr.Radio(list(SOURCES), value="upload" if first else "drawing", label="Input from")
    with gr.Tabs(selected="examples" if first else "draw") as c["inner"]:
        with gr.Tab("Draw", id="draw"):
            c["sketch"] = gr.Sketchpad(
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
        with gr.Tab("Examples", id="examples") as c["examples_tab"]:
            c["gallery"] = gr.Gallery(first.get("gallery"), label="Examples (held-out faces)", columns=4,
                                      height="auto", allow_preview=False, interactive=False, buttons=[],
                                      elem_id="translation-examples")
            c["gallery_note"] = explain(first.get("note", ""))
    c["run"] = gr.Button("Translate", variant="primary")


def _output_layout(c: dict, first: dict) -> None:
    """The output column, showing ``first`` (the first example's outputs by name) on arrival."""
    # The pictures are files written once (playground/ui/pictures.py): JPEG, PNG for line art.
    with gr.Row():
        c["seen"] = gr.Image(first.get("seen"), label="What G sees (A)", interactive=False, height=256,
                             format="png", elem_id="translation-seen")
        c["output"] = gr.Image(first.get("output"), label="G(A)", interactive=False, height=256,
                               elem_id="translation-output", format="jpeg")
    with gr.Row():
        c["realness"] = gr.Image(first.get("realness"), label="PatchGAN realness of G(A)", interactive=False,
                                 height=256, visible=first.get("realness") is not None)
        c["recon"] = gr.Image(first.get("recon"), label="A′ = F(G(A))", interactive=False, height=256,
                              visible=first.get("recon") is not None)
        c["error"] = gr.Image(first.get("error"), label="|A − A′| (cycle error)", interactive=False, height=256,
                              visible=first.get("error") is not None)
    notes = first.get("notes")
    c["notes"] = gr.Markdown(notes and FIRST_VIEW_NOTE + notes, elem_id="translation-notes")


# ---- wiring -----------------------------------------------------------------------------------------------------


def _wire(c: dict) -> None:
    # preprocess=False: the handlers check raw values and decode the pictures themselves (module docstring).
    raw = dict(preprocess=False)
    # Every way to translate shares one pool of TRANSLATIONS_AT_ONCE workers: bundled models take ~20 ms,
    # and the pool is larger than the one official run allowed at a time, so students waiting for an
    # official model never hold up the bundled ones.
    run = dict(raw, concurrency_id="translate", concurrency_limit=TRANSLATIONS_AT_ONCE)
    on(c["run"].click, c, translate, INPUTS, OUTPUTS, api_name="translate", show_progress="full", **run)
    stroke = on(c["sketch"].change, c, drawing_is_input, (), ("source", "example"), api_name=False, queue=False,
                show_progress="hidden")
    on(stroke.then, c, translate_drawing, INPUTS, OUTPUTS, api_name=False, trigger_mode="always_last",
       show_progress="hidden", **run)
    uploaded = on(c["upload"].upload, c, upload_is_input, (), ("source", "example"), api_name=False, queue=False)
    on(uploaded.then, c, translate, INPUTS, OUTPUTS, api_name=False, **run)
    changed = on(c["model"].change, c, model_changed, ("model",), ("realness", "dropout", "recon", "error"),
                 api_name=False, queue=False, **raw)
    on(changed.then, c, examples, ("model",), EXAMPLES, api_name="translation_examples", **raw)
    chosen = on(c["gallery"].select, c, use_example, ("gallery",), ("upload", "source", "example"), clicked=True,
                api_name=False)
    on(chosen.then, c, translate, INPUTS, OUTPUTS, api_name=False, **run)
    on(c["examples_tab"].select, c, examples, ("model",), EXAMPLES, api_name=False, **raw)
    wire_copy_link(c, make_link, ["model", "example", "link_hide", "link_big"])


def link_target(c: dict) -> LinkTarget:
    """What an opened share link sets here: the model and the example; then the example is translated."""

    def after(event) -> None:
        on(event.then, c, after_link, ("link_opened", "model", "example"),
           (*EXAMPLES, "upload", "source", "inner", *OUTPUTS), api_name=False, preprocess=False)

    return LinkTarget(c, TAB_ID, ("model", "example", "link_opened"),
                      lambda state, options: {"model": state["model"], "example": state["example"],
                                              "link_opened": True}, after)
