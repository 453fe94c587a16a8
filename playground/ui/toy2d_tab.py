"""The 2-D GAN lab tab: layout and wiring. The lab itself is :mod:`playground.toy2d.lab`.

As in Gradio's own demos: the handlers (each a few lines calling the lab) are in
``playground/ui/toy2d_handlers.py``; here are the layout (the settings' controls are generated from their
declarations in :mod:`playground.toy2d.config`) and the wiring. Play hands the run to the process's training scheduler; the page pulls compact frames with the
lab component's server function and draws them on two canvases (``toy2d_canvas.js``).
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
from playground.ui import toy2d_handlers as h
from playground.ui.common import LinkTarget, after_server_start, explain, named_inputs, share_panel, \
    user_errors, wire_copy_link

TITLE = "2-D GAN lab"
TAB_ID = h.TAB_ID

IMG_SIZE = 420
GROUP_TITLES = {"data": "Data", "objective": "Objective", "networks": "Networks", "optimisation": "Optimisation"}
OPEN_GROUPS = ("data", "objective")

INTRO = """
**What you see.** The background is the discriminator's opinion of every point of the plane:
<span style="color:#168a46">green = "real"</span>, <span style="color:#8c3cc8">purple = "fake"</span>, the black
line is its decision boundary (D = ½, or the critic's mean level for WGAN-style critics).
Green dots are real data, purple dots are G's samples, grey lines are the image of a grid in latent
space (G's manifold: watch it fold), and short black strokes show where G's gradient pushes each fake.
The right panel is the *optimal* discriminator for the current G, D\\*(x) = p_data(x) / (p_data(x) + p_g(x)):
the learned D chases it. At the game's equilibrium p_g = p_data, so D\\* = ½ everywhere and the minimax
value is V(D\\*, G) = 2·JSD(p_data ‖ p_g) − log 4 = −log 4: the second chart shows that identity live.
"""

D_CAPTION = "Learned D(x): data <b style='color:#168a46'>green</b>, G's samples <b style='color:#8c3cc8'>purple</b>"
DSTAR_CAPTION = "Optimal D*(x) = p<sub>data</sub> / (p<sub>data</sub> + p<sub>g</sub>) for the current G"
# a conditional run's pictures (the page switches when a frame says the run is conditional): D judges (point, label)
# pairs, and each point of the plane is judged with the label of its nearest mode
D_CAPTION_CONDITIONAL = ("Learned D(x, y), y = the label of x's nearest mode: data <b style='color:#168a46'>green</b>, "
                         "G's samples coloured by the label they were asked for")
DSTAR_CAPTION_CONDITIONAL = ("Optimal D*(x, y) = p(x | y) / (p(x | y) + p<sub>g</sub>(x | y)), y = the label of x's "
                             "nearest mode")
CAPTIONS = {"plain": [D_CAPTION, DSTAR_CAPTION], "conditional": [D_CAPTION_CONDITIONAL, DSTAR_CAPTION_CONDITIONAL]}
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
# the charts' drawing first: the canvas script calls it when a value or a frame brings rows
# Present: the page opens the projector view's link in a new tab (and shows it in the link box)
PRESENT_JS = """(q) => { const u = location.origin + location.pathname + q; window.open(u, "_blank"); return u; }"""
CANVAS_JS = "\n".join(Path(__file__).with_name(f).read_text()
                      for f in ("toy2d_charts.js", "toy2d_graph.js", "toy2d_canvas.js"))


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
                                           info="Frames come as fast as your browser draws them; below 20, slow "
                                                "motion: 10 frames/s, this many updates each.")
                    c["freeze"] = gr.CheckboxGroup(h.FREEZE_CHOICES, value=[], label="Freeze",
                                                   info="Freeze G and train D alone: D converges to D*.")
                    c["show"] = gr.CheckboxGroup(h.SHOW_CHOICES, value=h.SHOW_CHOICES, label="Show")
            with gr.Row(equal_height=True, elem_id="toy2d-presets") as c["group:presets"]:
                c["preset"] = gr.Dropdown(list(PRESETS), value=None, label="Presets: one click, one story", scale=3)
                c["preset_note"] = gr.Markdown("Pick a preset, then press **Play**. Every setting on the left can be changed.")
            c["preset_name"] = gr.State(None)
            first = h.initial_value()
            after_server_start(h.warm_up, "toy2d-warm-up")
            c["lab"] = gr.HTML(first, html_template=LAB_TEMPLATE, css_template=LAB_CSS, js_on_load=CANVAS_JS,
                               server_functions=[h.toy2d_frame], elem_id="toy2d-lab", palette=palette(),
                               size=IMG_SIZE, coord_pad=COORD_PAD, frame_path=h.FRAME_PATH.lstrip("/"),
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
                        explain("ring8 / grid25 are the standard mode-collapse benchmarks; the rest are GAN Lab's sets.")
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
                                    label="…and stop after this many iterations (empty: no limit)")
        c["present"] = gr.Button("Present: open this run in the projector view", elem_id="toy2d-present",
                                 size="sm")

    share_panel(c, "toy2d", share.TOY2D_GROUPS, title="Share this run / presenter view",
                about="A link that opens exactly this run (every setting and the seed): the same link gives the "
                      "same run. Tick groups to hide them for a simpler student page, lock it to the preset, or use "
                      "large type for a projector.",
                lock_label="Lock the settings (students can still Play and Step)", extra=run_options)
    c["link_play"] = gr.State(None)  # {"autoplay", "steps"} from an opened link
    return c


# ---- wiring -----------------------------------------------------------------------------------------------


def _wire(c: dict) -> None:
    settings = [c[n] for n in h.CONFIG_FIELDS]
    view = c["lab"]  # the pictures and the charts: one component, drawn by the page
    play_in = [c[n] for n in h.PLAY_FIELDS]

    def named(fn, names):
        return named_inputs(names, fn)

    # preprocess=False: the settings' own declarations check every value (with the setting's name in the
    # message), whatever a page or an API client sends
    raw = dict(preprocess=False)

    c["preset"].input(h.load_preset, c["preset"], [*settings, c["freeze"], c["preset_note"], c["preset_name"], view],
                      api_name=False)
    c["loss"].change(h.formula, c["loss"], c["loss_formula"], api_name=False)
    # the model graph's captions follow the settings they name (a preset or a link sets them too); only the
    # lab's graph prop changes, never its pictures
    graph_names = [*h.CONFIG_FIELDS, "freeze"]
    for name in h.GRAPH_FIELDS:
        c[name].change(named(h.graph_update, graph_names), [c[n] for n in graph_names], view, api_name=False,
                       queue=False, show_progress="hidden", **raw)
    c["dataset"].input(h._default_modes, c["dataset"], c["n_modes"], api_name=False)
    # Play: the run goes to the process's training scheduler; the page pulls its frames (h.toy2d_frame), which
    # bring the charts' new rows too: no event of the server runs while a run plays. No concurrency limit:
    # starting a run takes milliseconds.
    c["play"].click(named(user_errors(h.start), h.PLAY_FIELDS), play_in, c["lab"],
                    api_name="toy2d_start", concurrency_limit=None, **raw)
    for name in ("speed", "freeze", "show"):
        c[name].change(h.live_controls, [c["speed"], c["freeze"], c["show"]], None, api_name=False, queue=False)
    # The same run for API clients, its frames streamed (benchmarks/classroom.py and the tests drive it).
    stream = gr.Button(visible=False)
    stream.click(named(h.play_stream, h.PLAY_FIELDS), play_in, c["lab"], api_name="toy2d_play", concurrency_limit=None,
                 **raw)
    c["pause"].click(h.pause, None, None, api_name="toy2d_pause", queue=False)
    step_in = [*settings, c["freeze"], c["show"]]
    step_names = [*h.CONFIG_FIELDS, "freeze", "show"]
    for kind in ("d", "g", "it"):
        c[f"step_{kind}"].click(named(h._stepper(kind), step_names), step_in, view, api_name=f"toy2d_step_{kind}", **raw)
    c["reset"].click(named(h.reset, step_names), step_in, view, api_name="toy2d_reset", **raw)
    c["use_sketch"].click(h.use_drawing, c["sketch"], c["dataset"], api_name=False, preprocess=False)
    c["csv_file"].upload(h.use_csv, c["csv_file"], c["dataset"], api_name=False)

    c["choice"].change(h.compare_choice, c["choice"], [c["custom_b"], c["cmp_note"]], api_name=False, queue=False)
    cmp_names = [*h.CONFIG_FIELDS, "choice", "loss_b", "unroll_b", "pack_b", "dsteps_b", "cmp_iters"]
    c["cmp_run"].click(named(h.run_compare, cmp_names), [c[n] for n in cmp_names],
                       [c["img_a"], c["img_b"], c["cmp_head"], c["cmp_table"]], api_name="toy2d_compare",
                       concurrency_limit=4, concurrency_id="toy2d_compare")
    c["cmp_stop"].click(h.pause, None, None, queue=False, api_name=False)
    c["csv_btn"].click(h.export_csv, None, c["export_file"], api_name="toy2d_export_csv")
    c["gif_btn"].click(h.export_gif, None, c["export_file"], api_name="toy2d_export_gif")
    c["model_btn"].click(h.export_model, None, c["export_file"], api_name="toy2d_export_model")
    c["load_file"].upload(h.import_model, [c["load_file"], c["show"]], [*settings, view], api_name=False)

    link_names = [*h.CONFIG_FIELDS, "preset_name", "link_hide", "link_lock", "link_big", "link_autoplay", "link_steps"]
    wire_copy_link(c, h.make_link, link_names)
    c["present"].click(named(user_errors(h.make_present_link), link_names), [c[n] for n in link_names], c["link_box"],
                       api_name=False, preprocess=False).then(None, c["link_box"], c["link_box"], js=PRESENT_JS)


def build() -> LinkTarget:
    gr.Markdown(elem_id="toy2d-about", value="Train a small GAN on points in the plane and watch it learn. Pick a preset (or any settings "
                "on the left) and press **Play**; what the pictures show is explained under them.")
    c = _layout()
    _wire(c)
    return link_target(c)


# ---- opening a link ----------------------------------------------------------------------------------------


def link_target(c: dict) -> LinkTarget:
    """What an opened share link sets here: every setting and the preset (read-only with ``lock``), the preset's
    story, and whether to start at once (``autoplay``, ``steps``), which the chained autoplay then does."""

    def values(state: dict, options: dict) -> dict:
        cfg = share.toy2d_config(state)
        lock = bool(options.get("lock"))
        preset = state.get("preset")
        out = {name: gr.update(value=v, interactive=not lock) for name, v in zip(h.CONFIG_FIELDS, h._values(cfg))}
        out.update(preset=gr.update(value=preset if preset in PRESETS else None, interactive=not lock),
                   preset_name=preset if preset in PRESETS else None,
                   link_play={"autoplay": bool(options.get("autoplay")), "steps": options.get("steps")})
        if preset in PRESETS:
            out["preset_note"] = f"**{preset}.** {PRESETS[preset]['description']}"
        elif preset in compare.COMPARE_PRESETS:
            out["preset_note"] = f"**{preset}.** Open *Compare two runs* and press *Train A and B*."
        return out

    def after(event) -> None:
        names = [*h.PLAY_FIELDS, "link_play"]
        event.then(named_inputs(names, user_errors(h.autoplay)), [c[n] for n in names], c["lab"], api_name=False,
                   preprocess=False, show_progress="hidden")

    sets = (*h.CONFIG_FIELDS, "preset", "preset_name", "preset_note", "link_play")
    return LinkTarget(c, TAB_ID, sets, values, after)
