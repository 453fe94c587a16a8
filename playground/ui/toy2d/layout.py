"""The 2-D GAN lab tab's layout and wiring. The lab itself is :mod:`playground.toy2d.lab`.

As in Gradio's own demos: the handlers (each a few lines calling the lab) are
:mod:`playground.ui.toy2d.handlers`, the words :mod:`playground.ui.toy2d.texts`; here are the layout (the
settings' controls are generated from their declarations in :mod:`playground.toy2d.config`) and the wiring.
Play hands the run to the process's training scheduler; the page pulls compact frames
(:mod:`playground.ui.toy2d.frame_route`) and draws them on two canvases (``canvas.js``).
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from playground import share
from playground.toy2d import compare
from playground.toy2d.config import GROUPS, SETTINGS, Setting, ToyConfig
from playground.toy2d.divergence import STOP_NOTE
from playground.toy2d.frames import COORD_PAD
from playground.toy2d.graph import GRAPH, graph_state
from playground.toy2d.presets import PRESETS
from playground.toy2d.render import palette
from playground.ui.common import LinkTarget, after_server_start, explain, on, share_panel, wire_copy_link
from playground.ui.toy2d import handlers as h
from playground.ui.toy2d.frame_route import FRAME_PATH, toy2d_frame
from playground.ui.toy2d.texts import CAPTIONS, D_CAPTION, DATA_NOTE, DSTAR_CAPTION, FREEZE_HELP, GROUP_TITLES, \
    INTRO, LEAD, PRESET_HINT, SHARE_ABOUT, SPEED_HELP

TITLE = "2-D GAN lab"
TAB_ID = h.TAB_ID

IMG_SIZE = 420
OPEN_GROUPS = ("data", "objective")

LAB_TEMPLATE = f"""
<div class="lab2d-status" id="toy2d-status"></div>
<div class="lab2d-graph" id="toy2d-graph" aria-label="model overview"></div>
<div class="lab2d-row">
  <figure class="toy2d-frame"><figcaption>{D_CAPTION}</figcaption>
    <canvas class="lab2d-d" width="{IMG_SIZE}" height="{IMG_SIZE}" aria-label="discriminator heatmap"></canvas></figure>
  <figure class="toy2d-frame"><figcaption>{DSTAR_CAPTION}</figcaption>
    <canvas class="lab2d-ds" width="{IMG_SIZE}" height="{IMG_SIZE}" aria-label="optimal discriminator heatmap"></canvas></figure>
</div>
<div class="lab2d-charts" aria-label="training curves"></div>
"""
LAB_CSS = """
.lab2d-row { display: flex; flex-wrap: wrap; gap: 12px; }
.lab2d-row figure { margin: 0; flex: 1 1 300px; max-width: %dpx; }
.lab2d-row canvas { width: 100%%; height: auto; border-radius: 6px; display: block; }
.lab2d-status { min-height: 2.6em; }
.lab2d-error { color: #b00020; font-weight: 600; }
.lab2d-charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 10px 16px;
  margin-top: 12px; }
.lab2d-chart .t { font-size: 0.85em; font-weight: 600; margin-bottom: 2px; }
.lab2d-chart svg { width: 100%%; height: auto; display: block; overflow: visible; }
.lab2d-chart svg text { font-size: 10px; fill: var(--body-text-color-subdued); }
.lab2d-chart .k { font-size: 0.75em; color: var(--body-text-color-subdued); }
.lab2d-graph { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 18px; margin: 2px 0 10px; }
.lab2d-graph-svg { flex: 1 1 380px; max-width: 540px; height: auto; display: block; }
.lab2d-graph-words { flex: 1 1 240px; }
.lab2d-graph .node rect { fill: var(--background-fill-secondary); stroke: #8a8a8a; stroke-width: 1.2; }
.lab2d-graph .node.real rect { fill: #e3f3e9; stroke: #168a46; }
.lab2d-graph .node.fake rect { fill: #f1e6f8; stroke: #8c3cc8; }
.lab2d-graph .node.loss rect { fill: #fdf1e1; stroke: #c2790f; }
.lab2d-graph .node text.l { font-size: 14px; font-weight: 600; fill: var(--body-text-color); }
.lab2d-graph .node text.s { font-size: 10.5px; fill: var(--body-text-color-subdued); }
.lab2d-graph .edge path { fill: none; stroke: #9a9a9a; stroke-width: 1.6; }
.lab2d-graph .edge.update path { stroke-dasharray: 5 4; }
.lab2d-graph .edge text { font-size: 11px; fill: var(--body-text-color-subdued); }
.lab2d-graph marker path.a { fill: #9a9a9a; }
.lab2d-graph marker path.a.hot { fill: #d97706; }
.lab2d-graph .node, .lab2d-graph .edge { transition: opacity 0.2s; }
.lab2d-graph .node.on rect { stroke: #d97706; stroke-width: 3.5; filter: drop-shadow(0 0 5px rgba(217, 119, 6, 0.6)); }
.lab2d-graph .edge.on path { stroke: #d97706; stroke-width: 3.2; stroke-dasharray: 7 5; animation: lab2d-flow 0.6s linear infinite; }
.lab2d-graph .edge.on text { fill: #b45309; font-weight: 600; }
.lab2d-graph svg:has(g.on) g.node:not(.on), .lab2d-graph svg:has(g.on) g.edge:not(.on) { opacity: 0.5; }
.lab2d-graph svg.playing .edge path { stroke-dasharray: 7 5; animation: lab2d-flow 0.6s linear infinite; }
@keyframes lab2d-flow { to { stroke-dashoffset: -12; } }
.lab2d-graph-cap { min-height: 4.2em; font-size: 0.92em; }
.lab2d-graph-cap b { color: #b45309; }
.lab2d-graph-dots { display: flex; flex-wrap: wrap; gap: 3px; margin-top: 6px; }
.lab2d-graph-dots .dot { width: 12px; height: 12px; padding: 0; border-radius: 50%%; border: 1.5px solid #168a46;
  background: transparent; cursor: pointer; }
.lab2d-graph-dots .dot.g { border-color: #8c3cc8; }
.lab2d-graph-dots .dot.gap { margin-left: 7px; }
.lab2d-graph-dots .dot.on { background: #d97706; border-color: #d97706; }
/* the projector view (body.gp-big): the graph sits above the chart in the third column, in larger type */
body.gp-big & .lab2d-side { display: flex; flex-direction: column; gap: 8px; min-width: 0; }
body.gp-big & .lab2d-graph { display: block; margin: 0; }
body.gp-big & .lab2d-graph-svg { max-width: none; width: 100%%; }
body.gp-big & .lab2d-graph .node text.l { font-size: 19px; transform: translateY(5px); }
body.gp-big & .lab2d-graph .node text.s { display: none; }
body.gp-big & .lab2d-graph .edge text { font-size: 13px; }
body.gp-big & .lab2d-graph-cap { font-size: 15px; min-height: 0; line-height: 1.3; }
body.gp-big & .lab2d-graph-dots { gap: 2px; }
body.gp-big & .lab2d-graph-dots .dot { width: 10px; height: 10px; }
body.gp-big & .lab2d-graph-dots .dot.gap { margin-left: 5px; }
.lab2d-chart .k i { display: inline-block; width: 14px; height: 3px; margin: 0 4px 2px 8px; vertical-align: middle; }
""" % IMG_SIZE
# Present: the page opens the projector view's link in a new tab (and shows it in the link box)
PRESENT_JS = """(q) => { const u = location.origin + location.pathname + q; window.open(u, "_blank"); return u; }"""
# the charts' drawing first: the canvas script calls it when a value or a frame brings rows
CANVAS_JS = "\n".join(Path(__file__).with_name(f).read_text() for f in ("charts.js", "graph.js", "canvas.js"))


# ---- layout -----------------------------------------------------------------------------------------------


def control(s: Setting) -> gr.Component:
    """The control of a declared setting (its label, help, range or choices come from the declaration)."""
    value = s.control_default if s.default is None else s.default
    common = dict(label=s.label, info=s.help, elem_id=f"toy2d-{s.name.replace('_', '-')}")
    if s.control == "dropdown":
        return gr.Dropdown(list(s.choices), value=value, **common)
    if s.control == "radio":
        return gr.Radio(list(s.choices), value=value, **common)
    if s.control == "slider":
        return gr.Slider(s.lo, s.hi, value=value, step=s.step, **common)
    if s.control == "checkbox":
        return gr.Checkbox(value=value, **common)
    if s.kind == "int":
        return gr.Number(value=value, precision=0, minimum=s.lo, maximum=s.hi, **common)
    return gr.Number(value=value, minimum=0 if s.nullable else s.lo, maximum=s.hi, **common)


def _layout() -> dict:
    """Every component, by name (settings by their setting name); sections by group name."""
    c: dict = {}
    default = ToyConfig()
    # The keyboard's order is the page's order: Play, Pause and the steps come first (then the presets, then the
    # settings), and the CSS puts the settings on the left (row-reverse) and the presets above the buttons.
    with gr.Row(elem_id="toy2d-main"):
        with gr.Column(scale=3, elem_id="toy2d-right"):
            with gr.Column() as c["group:training"]:
                with gr.Row(elem_id="toy2d-buttons"):
                    c["play"] = gr.Button("▶ Play", variant="primary", elem_id="toy2d-play")
                    c["pause"] = gr.Button("⏸ Pause", elem_id="toy2d-pause")
                    c["step_d"] = gr.Button("Step D")
                    c["step_g"] = gr.Button("Step G")
                    c["step_it"] = gr.Button("Step iteration")
                    c["reset"] = gr.Button("↺ Reset", variant="stop")
                with gr.Row(elem_id="toy2d-live"):
                    c["speed"] = gr.Slider(1, h.MAX_SPEED, value=200, step=1, label="Speed: at most this many iterations per frame",
                                           info=SPEED_HELP)
                    c["freeze"] = gr.CheckboxGroup(h.FREEZE_CHOICES, value=[], label="Freeze", info=FREEZE_HELP)
                    c["show"] = gr.CheckboxGroup(h.SHOW_CHOICES, value=h.SHOW_CHOICES, label="Show")
            with gr.Row(equal_height=True, elem_id="toy2d-presets") as c["group:presets"]:
                c["preset"] = gr.Dropdown(list(PRESETS), value=None, label="Presets: one click, one story", scale=3)
                c["preset_note"] = gr.Markdown(PRESET_HINT)
            c["preset_name"] = gr.State(None)
            first = h.initial_value()
            after_server_start(h.warm_up, "toy2d-warm-up")
            c["lab"] = gr.HTML(first, html_template=LAB_TEMPLATE, css_template=LAB_CSS, js_on_load=CANVAS_JS,
                               server_functions=[toy2d_frame], elem_id="toy2d-lab", palette=palette(),
                               size=IMG_SIZE, coord_pad=COORD_PAD, frame_path=FRAME_PATH.lstrip("/"),
                               model_graph=GRAPH, graph=graph_state(ToyConfig()), captions=CAPTIONS, padding=False)
            with gr.Column() as c["group:pictures"]:
                explain(STOP_NOTE)
            gr.Markdown(INTRO, elem_id="toy2d-intro")
        with gr.Column(scale=1, min_width=320, elem_id="toy2d-settings"):
            for group in GROUPS:
                with gr.Accordion(GROUP_TITLES[group], open=group in OPEN_GROUPS) as c[f"group:{group}"]:
                    for s in SETTINGS.values():
                        if s.group == group:
                            c[s.name] = control(s)
                    if group == "data":
                        explain(DATA_NOTE)
                        with gr.Accordion("Your own data: draw or upload", open=False):
                            c["sketch"] = gr.Sketchpad(label="Draw the real data", type="filepath", height=260,
                                                       canvas_size=(300, 300))
                            c["use_sketch"] = gr.Button("Use drawing", size="sm")
                            c["csv_file"] = gr.File(label="…or a CSV of x,y rows", file_types=[".csv", ".txt"])
                    if group == "objective":
                        c["loss_formula"] = gr.Markdown(h.formula(default.loss), elem_classes=["formula"],
                                                        latex_delimiters=[{"left": "$", "right": "$", "display": False}])
    with gr.Accordion("Compare two runs side by side (same data, same seed, lock-step)", open=False) as c["group:compare"]:
        with gr.Row():
            c["choice"] = gr.Dropdown(list(compare.CHOICES), value=compare.DEFAULT, label="Comparison", scale=3)
            c["cmp_note"] = gr.Markdown(compare.COMPARE_PRESETS[compare.DEFAULT]["description"])
        with gr.Row(visible=False) as c["custom_b"]:
            c["loss_b"] = gr.Dropdown(list(SETTINGS["loss"].choices), value="wgan_gp", label="B: loss")
            c["unroll_b"] = gr.Slider(0, SETTINGS["unroll_steps"].hi, value=0, step=1, label="B: unroll steps")
            c["pack_b"] = gr.Slider(1, SETTINGS["pack"].hi, value=1, step=1, label="B: packing")
            c["dsteps_b"] = gr.Slider(0, SETTINGS["d_steps"].hi, value=5, step=1, label="B: D steps")
            c["cmp_iters"] = gr.Slider(100, compare.MAX_ITERATIONS, value=3000, step=100, label="Iterations")
        with gr.Row():
            c["cmp_run"] = gr.Button("Train A and B", variant="primary")
            c["cmp_stop"] = gr.Button("Stop")
        c["cmp_head"] = gr.Markdown()
        with gr.Row():
            c["img_a"] = gr.HTML()
            c["img_b"] = gr.HTML()
        c["cmp_table"] = gr.Dataframe(headers=list(compare.TABLE_HEADERS), interactive=False)
        gr.Markdown(compare.TABLE_NOTE)
    with gr.Accordion("Export and load", open=False) as c["group:export"]:
        with gr.Row():
            c["csv_btn"] = gr.Button("Metrics as CSV")
            c["gif_btn"] = gr.Button("Run as animated GIF")
            c["model_btn"] = gr.Button("Model (safetensors + config)")
        c["export_file"] = gr.File(label="Download", interactive=False)
        c["load_file"] = gr.File(label="Load a saved run (.zip)", file_types=[".zip"])
    def run_options():
        c["link_autoplay"] = gr.Checkbox(False, label="Start playing when the link opens")
        c["link_steps"] = gr.Number(None, precision=0, minimum=1, maximum=share.MAX_STEPS,
                                    label="…and stop after this many iterations (0 or empty: no limit)")
        c["present"] = gr.Button("Present: open this run in the projector view", elem_id="toy2d-present",
                                 size="sm")

    share_panel(c, "toy2d", share.TOY2D_GROUPS, title="Share this run / presenter view", about=SHARE_ABOUT,
                lock_label="Lock the settings (students can still Play and Step)", extra=run_options)
    c["link_play"] = gr.State(None)  # {"autoplay", "steps"} from an opened link
    return c


# ---- wiring -----------------------------------------------------------------------------------------------


def _wire(c: dict) -> None:
    settings = h.CONFIG_FIELDS
    # preprocess=False: the settings' own declarations check every value (with the setting's name in the
    # message), whatever a page or an API client sends
    raw = dict(preprocess=False)

    on(c["preset"].input, c, h.load_preset, ("preset",),
       (*settings, "freeze", "preset_note", "preset_name", "lab"), api_name=False)
    on(c["loss"].change, c, h.show_formula, ("loss",), ("loss_formula",), api_name=False)
    # the model graph's captions follow the settings they name (a preset or a link sets them too); only the
    # lab's graph prop changes, never its pictures
    for name in h.GRAPH_FIELDS:
        on(c[name].change, c, h.graph_update, (*settings, "freeze"), ("lab",), api_name=False, queue=False,
           show_progress="hidden", **raw)
    on(c["dataset"].input, c, h.default_modes, ("dataset",), ("n_modes",), api_name=False)
    # Play: the run goes to the process's training scheduler; the page pulls its frames (frame_route), which
    # bring the charts' new rows too: no event of the server runs while a run plays. No concurrency limit:
    # starting a run takes milliseconds.
    on(c["play"].click, c, h.start, h.PLAY_FIELDS, ("lab",), api_name="toy2d_start", concurrency_limit=None, **raw)
    for name in ("speed", "freeze", "show"):
        on(c[name].change, c, h.live_controls, ("speed", "freeze", "show"), (), api_name=False, queue=False)
    # The same run for API clients, its frames streamed (benchmarks/classroom.py and the tests drive it).
    c["play_api"] = gr.Button(visible=False)
    on(c["play_api"].click, c, h.play_stream, h.PLAY_FIELDS, ("lab",), api_name="toy2d_play",
       concurrency_limit=None, **raw)
    on(c["pause"].click, c, h.pause, (), (), api_name="toy2d_pause", queue=False)
    step_in = (*settings, "freeze", "show")
    for kind, step in h.STEPS.items():
        on(c[f"step_{kind}"].click, c, step, step_in, ("lab",), api_name=f"toy2d_step_{kind}", **raw)
    on(c["reset"].click, c, h.reset, step_in, ("lab",), api_name="toy2d_reset", **raw)
    on(c["use_sketch"].click, c, h.use_drawing, ("sketch",), ("dataset",), api_name=False, preprocess=False)
    on(c["csv_file"].upload, c, h.use_csv, ("csv_file",), ("dataset",), api_name=False)

    on(c["choice"].change, c, h.compare_choice, ("choice",), ("custom_b", "cmp_note"), api_name=False, queue=False)
    cmp_in = (*settings, "choice", "loss_b", "unroll_b", "pack_b", "dsteps_b", "cmp_iters")
    on(c["cmp_run"].click, c, h.run_compare, cmp_in, ("img_a", "img_b", "cmp_head", "cmp_table"),
       api_name="toy2d_compare", concurrency_limit=4, concurrency_id="toy2d_compare")
    on(c["cmp_stop"].click, c, h.pause, (), (), queue=False, api_name=False)
    for button, export, api in (("csv_btn", h.export_csv, "toy2d_export_csv"), ("gif_btn", h.export_gif, "toy2d_export_gif"),
                                ("model_btn", h.export_model, "toy2d_export_model")):
        on(c[button].click, c, export, (), ("export_file",), api_name=api)
    on(c["load_file"].upload, c, h.import_model, ("load_file", "show"), (*settings, "lab"), api_name=False)

    link_in = [*settings, "preset_name", "link_hide", "link_lock", "link_big", "link_autoplay", "link_steps"]
    wire_copy_link(c, h.make_link, link_in)
    on(c["present"].click, c, h.present, link_in, ("link_box",), api_name=False,
       preprocess=False).then(None, c["link_box"], c["link_box"], js=PRESENT_JS)


def build() -> LinkTarget:
    gr.Markdown(elem_id="toy2d-about", value=LEAD)
    c = _layout()
    _wire(c)
    return link_target(c)


# ---- opening a link ----------------------------------------------------------------------------------------


def link_target(c: dict) -> LinkTarget:
    """What an opened share link sets here (:func:`handlers.link_values`); then the chained autoplay starts the
    run when the link asks for it."""

    def after(event) -> None:
        on(event.then, c, h.autoplay, (*h.PLAY_FIELDS, "link_play"), ("lab",), api_name=False, preprocess=False,
           show_progress="hidden")

    sets = (*h.CONFIG_FIELDS, "preset", "preset_name", "preset_note", "link_play", "choice", "custom_b", "cmp_note")
    return LinkTarget(c, TAB_ID, sets, h.link_values, after)
