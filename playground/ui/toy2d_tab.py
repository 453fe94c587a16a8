"""The 2-D GAN lab tab: layout and wiring. The lab itself is :mod:`playground.toy2d.lab`.

Three parts, as in Gradio's own demos: handlers (each a few lines calling the lab), the layout (the
settings' controls are generated from their declarations in :mod:`playground.toy2d.config`), and the
wiring. Play hands the run to the process's training scheduler; the page pulls compact frames with the
lab component's server function and draws them on two canvases (``toy2d_canvas.js``).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import gradio as gr
from gradio.components.plot import PlotData
from starlette.responses import Response

from playground import share
from playground.errors import UserError
from playground.safe_input import integer
from playground.sessions import SessionStore
from playground.toy2d import charts, compare
from playground.toy2d.config import GROUPS, SETTINGS, Setting, ToyConfig
from playground.toy2d.data import load_points_csv, points_from_drawing
from playground.toy2d.divergence import STOP_NOTE
from playground.toy2d.frames import COORD_PAD
from playground.toy2d.lab import GIF_EVERY, MAX_SPEED, Lab, still_value  # noqa: F401 - GIF_EVERY for tests
from playground.toy2d.losses import FORMULAS
from playground.toy2d.presets import PRESETS
from playground.toy2d.render import image_figure_html, palette, render_frame
from playground.toy2d.scheduler import get_scheduler
from playground.toy2d.trainer import Trainer
from playground.ui.common import explain, named_inputs, session_key, user_errors

TITLE = "2-D GAN lab"
TAB_ID = "toy2d"

MAX_PLAY_SECONDS = 180  # auto-pause so one open tab cannot hold a shared Space's CPU forever
IDLE_SECONDS = 10  # a run whose page stops asking for frames (closed or hidden tab) ends
CHART_SECONDS = 1.5  # while playing, one chart is refreshed this often, in turn
IMG_SIZE = 420
SHOW_CHOICES = ["manifold", "gradient arrows"]
FREEZE_CHOICES = ["freeze D", "freeze G"]
MODE_DATASETS = ("ring8", "grid25", "three_blobs")  # the data sets whose number of modes is a setting
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
LAB_TEMPLATE = f"""
<div class="lab2d-status" id="toy2d-status"></div>
<div class="lab2d-row">
  <figure class="toy2d-frame"><figcaption>{D_CAPTION}</figcaption>
    <canvas class="lab2d-d" width="{IMG_SIZE}" height="{IMG_SIZE}" aria-label="discriminator heatmap"></canvas></figure>
  <figure class="toy2d-frame"><figcaption>{DSTAR_CAPTION}</figcaption>
    <canvas class="lab2d-ds" width="{IMG_SIZE}" height="{IMG_SIZE}" aria-label="optimal discriminator heatmap"></canvas></figure>
</div>
"""
LAB_CSS = """
.lab2d-row { display: flex; flex-wrap: wrap; gap: 12px; }
.lab2d-row figure { margin: 0; flex: 1 1 300px; max-width: %dpx; }
.lab2d-row canvas { width: 100%%; height: auto; border-radius: 6px; display: block; }
.lab2d-status { min-height: 2.6em; }
.lab2d-error { color: #b00020; font-weight: 600; }
""" % IMG_SIZE
CANVAS_JS = Path(__file__).with_name("toy2d_canvas.js").read_text()
COPY_LINK_JS = """(q) => { const u = location.origin + location.pathname + q;
  if (navigator.clipboard) navigator.clipboard.writeText(u).catch(() => {}); return u; }"""


# ---- sessions ----------------------------------------------------------------------------------------

# A trainer is ~0.5 MB: the cap is about CPU (the scheduler plays at most 96 runs), not memory.
SESSIONS: SessionStore[Lab] = SessionStore("2-D GAN lab", max_sessions=128, on_free=Lab.close)


def _lab(request: gr.Request) -> Lab:
    return SESSIONS.get_or_create(session_key(request),
                                  lambda: Lab(max_seconds=MAX_PLAY_SECONDS, idle_seconds=IDLE_SECONDS))


# ---- controls <-> config -----------------------------------------------------------------------------

CONFIG_FIELDS = list(SETTINGS)  # the settings' controls, in declaration order
PLAY_FIELDS = [*CONFIG_FIELDS, "speed", "freeze", "show"]


def _config(v: dict) -> ToyConfig:
    """The run's config from the controls' values (keyed by setting name)."""
    d = {name: v[name] for name in CONFIG_FIELDS}
    d["sigma"] = d["sigma"] or None  # 0 = the data set's own spread
    d["n_modes"] = d["n_modes"] if d["dataset"] in MODE_DATASETS else None
    return ToyConfig.from_dict(d)


def _values(cfg: ToyConfig) -> list:
    """The controls' values for a config, in CONFIG_FIELDS order."""
    d = cfg.to_dict()
    out = []
    for name in CONFIG_FIELDS:
        s = SETTINGS[name]
        value = d[name]
        if value is None:
            value = _default_modes(cfg.dataset) if name == "n_modes" else s.control_default
        out.append(value)
    return out


def _default_modes(dataset: str) -> int:
    return {"grid25": 25, "three_blobs": 3}.get(dataset, 8)


def _speed(value) -> int:
    return integer(value, "The speed", 1, MAX_SPEED)


def _flags(v: dict) -> dict:
    freeze, show = v.get("freeze") or [], v.get("show") or []
    return {"freeze": ("freeze D" in freeze, "freeze G" in freeze), "show_manifold": "manifold" in show,
            "show_arrows": "gradient arrows" in show}


# ---- charts --------------------------------------------------------------------------------------------

CHARTS = (charts.loss_figure, charts.divergence_figure, charts.quality_figure, charts.per_mode_figure)


def _charts(trainer: Trainer, only: int | None = None) -> tuple:
    """The charts of a trainer, or only one of them (the others unchanged)."""
    return tuple(PlotData(type="plotly", plot=make(trainer)) if only is None or only == i else gr.skip()
                 for i, make in enumerate(CHARTS))


def _still(lab: Lab, trainer: Trainer, v: dict, note: str | None = None) -> tuple:
    """Outputs of a handler that leaves the lab still: the picture and every chart."""
    f = _flags(v)
    with lab.lock:
        return (still_value(trainer, f["show_manifold"], f["show_arrows"], note), *_charts(trainer))


@functools.cache
def initial_value() -> tuple:
    """The default run at iteration 0 and its charts: what every page shows on arrival."""
    t = Trainer(ToyConfig())
    return (still_value(t, note="Press Play to train, or Step to go one update at a time."),
            *(make(t) for make in CHARTS))


# ---- handlers -------------------------------------------------------------------------------------------


def start(v: dict, request: gr.Request, stop_at: int | None = None):
    """Play in the page: start the run and hand the page its token; the page pulls the frames."""
    lab = _lab(request)
    cfg, speed, flags = _config(v), _speed(v["speed"]), _flags(v)
    with lab.lock:  # the charts of the trainer the run starts from, before a worker takes it
        trainer, _ = lab.ensure(cfg)
        plots = _charts(trainer)
    run = lab.start(cfg, speed=speed, stop_at=stop_at, **flags)
    return (json.dumps({"token": run.token, "seq": 0, "state": "running"}), gr.Timer(active=True), *plots)


async def toy2d_frame(data) -> Response:
    """The page's pull (a server function of the lab component): ``[token, seq]`` → the next frame,
    as the JSON text the training worker made once (no re-encoding per pull)."""
    token, seq = (list(data) + [None, None])[:2] if isinstance(data, (list, tuple)) else (data, 0)
    try:
        seq = int(seq or 0)
    except (TypeError, ValueError, OverflowError):
        seq = 0
    return Response(content=await get_scheduler().next_frame_json(token, seq), media_type="application/json")


async def play_stream(v: dict, request: gr.Request):
    """Play for API clients (``/toy2d_play``): the same run, each frame streamed as the lab's value."""
    try:
        lab = _lab(request)
        run = lab.start(_config(v), speed=_speed(v["speed"]), **_flags(v))
    except UserError as exc:
        raise gr.Error(str(exc)) from None
    scheduler, seq = get_scheduler(), 0
    while True:
        packet = await scheduler.next_frame(run.token, seq)
        if packet["seq"] > seq or packet["state"] != "running":
            seq = packet["seq"]
            yield run.packet_json()
        if packet["state"] != "running":
            if packet.get("error"):
                raise gr.Error(packet["error"])
            return


def tick(request: gr.Request):
    """While playing: refresh one chart in turn; once the run has ended, all of them, then stop ticking."""
    lab = SESSIONS.get(session_key(request))
    if lab is None or lab.trainer is None:
        return (gr.Timer(active=False), *([gr.skip()] * len(CHARTS)))
    if lab.playing:
        lab.chart_turn = (lab.chart_turn + 1) % len(CHARTS)
        with lab.lock:
            return (gr.skip(), *_charts(lab.trainer, only=lab.chart_turn))
    if lab.run is not None and lab.run.error is not None:
        gr.Warning(str(lab.run.error))
    with lab.lock:
        return (gr.Timer(active=False), *_charts(lab.trainer))


def pause(request: gr.Request):
    lab = SESSIONS.get(session_key(request))
    if lab is not None:
        lab.compare_stop.set()
        lab.stop_run("paused")


def live_controls(speed, freeze, show, request: gr.Request):
    """Speed, freezes and what to show take effect on a playing run at once."""
    lab = SESSIONS.get(session_key(request))
    if lab is None:
        return
    v = {"freeze": freeze, "show": show}
    f = _flags(v)
    if lab.trainer is not None:
        Lab.apply_freeze(lab.trainer, *f["freeze"])
    run = lab.run
    if run is not None and run.running:
        try:
            run.speed = _speed(speed)
        except UserError:
            pass
        run.show_manifold, run.show_arrows = f["show_manifold"], f["show_arrows"]


def _stepper(kind: str):
    @user_errors
    def step(v: dict, request: gr.Request):
        lab = _lab(request)
        trainer, note = lab.step(_config(v), kind, _flags(v)["freeze"])
        return _still(lab, trainer, v, note)

    step.__name__ = f"step_{kind}"
    return step


@user_errors
def reset(v: dict, request: gr.Request):
    lab = _lab(request)
    trainer = lab.reset(_config(v), _flags(v)["freeze"])
    return _still(lab, trainer, v, "New run: networks re-initialised from the seed.")


def load_preset(name: str):
    """A preset's settings into the controls, its story into the note."""
    p = PRESETS.get(name)
    if p is None:
        return [gr.skip()] * (len(CONFIG_FIELDS) + 3)
    freeze = [f for f, on in (("freeze D", p.get("freeze_d")), ("freeze G", p.get("freeze_g"))) if on]
    return [*_values(p["config"]), freeze, f"**{name}.** {p['description']}", name]


def formula(loss: str) -> str:
    return FORMULAS.get(loss, "")


@user_errors
def use_drawing(sketch, request: gr.Request):
    """Turn the drawn strokes into the custom data set's points (the picture is checked before decoding)."""
    if not sketch or not isinstance(sketch, dict) or not sketch.get("composite"):
        raise UserError("Draw something on the canvas first.")
    n = _lab(request).use_points(points_from_drawing(sketch["composite"]))
    gr.Info(f"Using {n:,} points from your drawing. Press Play to train on them.")
    return "custom"


@user_errors
def use_csv(file, request: gr.Request):
    if file is None:
        raise UserError("Choose a CSV file with two columns, x and y.")
    n = _lab(request).use_points(load_points_csv(file if isinstance(file, str) else file.name))
    gr.Info(f"Using {n:,} points from the CSV file. Press Play to train on them.")
    return "custom"


# ---- compare -----------------------------------------------------------------------------------------------


def compare_choice(choice: str):
    """Show the custom-B controls only for a custom comparison; the preset's story otherwise."""
    if choice in compare.COMPARE_PRESETS:
        return gr.update(visible=False), compare.COMPARE_PRESETS[choice]["description"]
    if choice == compare.GAN_VS_VAE:
        return gr.update(visible=False), "The GAN (the settings above) beside a VAE trained on the same data."
    return gr.update(visible=True), "Run **A** uses the settings above; **B** changes only what you pick here."


@user_errors
def run_compare(v: dict, request: gr.Request):
    lab = _lab(request)
    lab.compare_stop.clear()
    b_changes = {"loss": v["loss_b"], "unroll_steps": v["unroll_b"], "pack": v["pack_b"], "d_steps": v["dsteps_b"]}
    pair = compare.make_pair(v["choice"], _config(v), b_changes,
                             integer(v["cmp_iters"], "Iterations", 100, compare.MAX_ITERATIONS)
                             if v["choice"] == compare.CUSTOM else None)
    for sa, sb, done in compare.run_compare(pair, lab.compare_stop):
        pics = [image_figure_html(render_frame(s, pair.a.dataset.extent, size=360), label, f"run {n}")
                for s, label, n in ((sa, pair.labels[0], "A"), (sb, pair.labels[1], "B"))]
        head = f"iteration {sa['iteration']:,}" + (" — finished" if done else " — training…")
        rows = [compare.table_row("A", pair.labels[0], sa), compare.table_row("B", pair.labels[1], sb)]
        yield (*pics, head, rows)


# ---- export / import ---------------------------------------------------------------------------------------


def _need_lab(request) -> Lab:
    return _lab(request)


@user_errors
def export_csv(request: gr.Request):
    return str(_lab(request).export_csv())


@user_errors
def export_gif(request: gr.Request):
    return str(_lab(request).export_gif())


@user_errors
def export_model(request: gr.Request):
    return str(_lab(request).export_model())


@user_errors
def import_model(file, show, request: gr.Request):
    if file is None:
        raise UserError("Choose a .zip saved by 'Download model'.")
    lab = _lab(request)
    trainer = lab.import_model(file if isinstance(file, str) else file.name)
    return [*_values(trainer.cfg), *_still(lab, trainer, {"show": show}, "Loaded the saved run.")]


# ---- share links -------------------------------------------------------------------------------------------


def make_link(v: dict, request: gr.Request):
    """The query part of a link that reopens this run (the page adds its own address and copies it)."""
    cfg = _config(v)
    options = {"hide": tuple(v["link_hide"] or ()), "lock": bool(v["link_lock"]), "big": bool(v["link_big"]),
               "autoplay": bool(v["link_autoplay"]),
               "steps": integer(v["link_steps"], "Steps", 1, share.MAX_STEPS) if v["link_steps"] else None}
    preset = v["preset_name"] if v["preset_name"] in PRESETS else None
    return share.build_link("", TAB_ID, share.toy2d_state(cfg, preset), options)


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
    if s.kind == "int":
        return gr.Number(value=value, precision=0, minimum=s.lo, maximum=s.hi, **common)
    return gr.Number(value=value, minimum=0 if s.nullable else s.lo, maximum=s.hi, **common)


def _layout() -> dict:
    """Every component, by name (settings by their setting name); sections by group name."""
    c: dict = {}
    default = ToyConfig()
    with gr.Row(equal_height=True) as c["group:presets"]:
        c["preset"] = gr.Dropdown(list(PRESETS), value=None, label="Presets: one click, one story", scale=3)
        c["preset_note"] = gr.Markdown("Pick a preset, then press **Play**. Every setting on the left can be changed.")
    c["preset_name"] = gr.State(None)
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
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
                        c["loss_formula"] = gr.Markdown(formula(default.loss), elem_classes=["formula"],
                                                        latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        with gr.Column(scale=3):
            with gr.Column() as c["group:training"]:
                with gr.Row():
                    c["play"] = gr.Button("▶ Play", variant="primary", elem_id="toy2d-play")
                    c["pause"] = gr.Button("⏸ Pause", elem_id="toy2d-pause")
                    c["step_d"] = gr.Button("Step D")
                    c["step_g"] = gr.Button("Step G")
                    c["step_it"] = gr.Button("Step iteration")
                    c["reset"] = gr.Button("↺ Reset", variant="stop")
                with gr.Row():
                    c["speed"] = gr.Slider(1, MAX_SPEED, value=200, step=1, label="Speed: at most this many iterations per frame",
                                           info="Frames come as fast as your browser draws them; below 20, slow "
                                                "motion: 10 frames/s, this many updates each.")
                    c["freeze"] = gr.CheckboxGroup(FREEZE_CHOICES, value=[], label="Freeze",
                                                   info="Freeze G and train D alone: D converges to D*.")
                    c["show"] = gr.CheckboxGroup(SHOW_CHOICES, value=SHOW_CHOICES, label="Show")
            first = initial_value()
            c["lab"] = gr.HTML(first[0], html_template=LAB_TEMPLATE, css_template=LAB_CSS, js_on_load=CANVAS_JS,
                               server_functions=[toy2d_frame], elem_id="toy2d-lab", palette=palette(),
                               size=IMG_SIZE, coord_pad=COORD_PAD, padding=False)
            c["timer"] = gr.Timer(CHART_SECONDS, active=False)
            with gr.Column() as c["group:pictures"]:
                with gr.Row():
                    c["chart0"] = gr.Plot(PlotData(type="plotly", plot=first[1]), show_label=False)
                    c["chart1"] = gr.Plot(PlotData(type="plotly", plot=first[2]), show_label=False)
                with gr.Row():
                    c["chart2"] = gr.Plot(PlotData(type="plotly", plot=first[3]), show_label=False)
                    c["chart3"] = gr.Plot(PlotData(type="plotly", plot=first[4]), show_label=False)
                explain(STOP_NOTE)
            gr.Markdown(INTRO)
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
        c["cmp_table"] = gr.Dataframe(headers=["run", "what", "modes", "HQ", "reverse KL"], interactive=False)
    with gr.Accordion("Export and load", open=False) as c["group:export"]:
        with gr.Row():
            c["csv_btn"] = gr.Button("Metrics as CSV")
            c["gif_btn"] = gr.Button("Run as animated GIF")
            c["model_btn"] = gr.Button("Model (safetensors + config)")
        c["export_file"] = gr.File(label="Download", interactive=False)
        c["load_file"] = gr.File(label="Load a saved run (.zip)", file_types=[".zip"])
    with gr.Accordion("Share this run / presenter view", open=False) as c["group:share"]:
        explain("A link that opens exactly this run (every setting and the seed): the same link gives the same "
                "run. Tick groups to hide them for a simpler student page, lock it to the preset, or use large type "
                "for a projector.")
        with gr.Row():
            c["link_hide"] = gr.CheckboxGroup(list(share.TOY2D_GROUPS), value=[], label="Hide these groups")
            with gr.Column():
                c["link_lock"] = gr.Checkbox(False, label="Lock the settings (students can still Play and Step)")
                c["link_big"] = gr.Checkbox(False, label="Large type (projector)")
                c["link_autoplay"] = gr.Checkbox(False, label="Start playing when the link opens")
                c["link_steps"] = gr.Number(None, precision=0, minimum=1, maximum=share.MAX_STEPS,
                                            label="…and stop after this many iterations (empty: no limit)")
        with gr.Row():
            c["link_btn"] = gr.Button("Copy link", variant="primary", elem_id="toy2d-copy-link")
            c["link_box"] = gr.Textbox(label="Link", interactive=False, buttons=["copy"], elem_id="toy2d-link")
    c["link_play"] = gr.State(None)  # {"autoplay", "steps"} from an opened link
    return c


# ---- wiring -----------------------------------------------------------------------------------------------


def _wire(c: dict) -> None:
    settings = [c[n] for n in CONFIG_FIELDS]
    charts_out = [c[f"chart{i}"] for i in range(len(CHARTS))]
    view = [c["lab"], *charts_out]
    play_in = [c[n] for n in PLAY_FIELDS]

    def named(fn, names):
        return named_inputs(names, fn)

    # preprocess=False: the settings' own declarations check every value (with the setting's name in the
    # message), whatever a page or an API client sends
    raw = dict(preprocess=False)

    c["preset"].input(load_preset, c["preset"], [*settings, c["freeze"], c["preset_note"], c["preset_name"]],
                      api_name=False)
    c["loss"].change(formula, c["loss"], c["loss_formula"], api_name=False)
    c["dataset"].input(_default_modes, c["dataset"], c["n_modes"], api_name=False)
    # Play: the run goes to the process's training scheduler; the page pulls its frames (toy2d_frame) and the
    # timer refreshes the charts. No concurrency limit: starting a run takes milliseconds.
    c["play"].click(named(user_errors(start), PLAY_FIELDS), play_in, [c["lab"], c["timer"], *charts_out],
                    api_name="toy2d_start", concurrency_limit=None, **raw)
    c["timer"].tick(tick, None, [c["timer"], *charts_out], api_name=False, show_progress="hidden",
                    concurrency_limit=None)
    for name in ("speed", "freeze", "show"):
        c[name].change(live_controls, [c["speed"], c["freeze"], c["show"]], None, api_name=False, queue=False)
    # The same run for API clients, its frames streamed (benchmarks/classroom.py and the tests drive it).
    stream = gr.Button(visible=False)
    stream.click(named(play_stream, PLAY_FIELDS), play_in, c["lab"], api_name="toy2d_play", concurrency_limit=None,
                 **raw)
    c["pause"].click(pause, None, None, api_name="toy2d_pause", queue=False)
    step_in = [*settings, c["freeze"], c["show"]]
    step_names = [*CONFIG_FIELDS, "freeze", "show"]
    for kind in ("d", "g", "it"):
        c[f"step_{kind}"].click(named(_stepper(kind), step_names), step_in, view, api_name=f"toy2d_step_{kind}", **raw)
    c["reset"].click(named(reset, step_names), step_in, view, api_name="toy2d_reset", **raw)
    c["use_sketch"].click(use_drawing, c["sketch"], c["dataset"], api_name=False, preprocess=False)
    c["csv_file"].upload(use_csv, c["csv_file"], c["dataset"], api_name=False)

    c["choice"].change(compare_choice, c["choice"], [c["custom_b"], c["cmp_note"]], api_name=False, queue=False)
    cmp_names = [*CONFIG_FIELDS, "choice", "loss_b", "unroll_b", "pack_b", "dsteps_b", "cmp_iters"]
    c["cmp_run"].click(named(run_compare, cmp_names), [c[n] for n in cmp_names],
                       [c["img_a"], c["img_b"], c["cmp_head"], c["cmp_table"]], api_name="toy2d_compare",
                       concurrency_limit=4, concurrency_id="toy2d_compare")
    c["cmp_stop"].click(pause, None, None, queue=False, api_name=False)
    c["csv_btn"].click(export_csv, None, c["export_file"], api_name="toy2d_export_csv")
    c["gif_btn"].click(export_gif, None, c["export_file"], api_name="toy2d_export_gif")
    c["model_btn"].click(export_model, None, c["export_file"], api_name="toy2d_export_model")
    c["load_file"].upload(import_model, [c["load_file"], c["show"]], [*settings, *view], api_name=False)

    link_names = [*CONFIG_FIELDS, "preset_name", "link_hide", "link_lock", "link_big", "link_autoplay", "link_steps"]
    c["link_btn"].click(named(user_errors(make_link), link_names), [c[n] for n in link_names], c["link_box"],
                        api_name=False, **raw).then(None, c["link_box"], c["link_box"], js=COPY_LINK_JS)


def build() -> "LinkTarget":
    gr.Markdown("Train a small GAN on points in the plane and watch it learn. Pick a preset (or any settings "
                "on the left) and press **Play**; what the pictures show is explained under them.")
    c = _layout()
    _wire(c)
    return LinkTarget(c)


# ---- opening a link ----------------------------------------------------------------------------------------


class LinkTarget:
    """What an opened share link sets in this tab (``playground/ui/app.py`` dispatches links by tab)."""

    tab = TAB_ID

    def __init__(self, c: dict):
        self.c = c
        self.groups = [c[f"group:{g}"] for g in share.TOY2D_GROUPS]
        self.settings = [c[n] for n in CONFIG_FIELDS]
        self.outputs = [*self.settings, c["preset"], c["preset_name"], c["preset_note"], *self.groups,
                        c["group:share"], c["link_play"]]

    def apply(self, state: dict, options: dict, notes: list[str]) -> list:
        cfg = share.toy2d_config(state)
        lock = bool(options.get("lock"))
        hidden = set(options.get("hide") or ())
        preset = state.get("preset")
        story = ""
        if preset in PRESETS:
            story = f"**{preset}.** {PRESETS[preset]['description']}"
        elif preset in compare.COMPARE_PRESETS:
            story = f"**{preset}.** Open *Compare two runs* and press *Train A and B*."
        settings = [gr.update(value=v, interactive=not lock) for v in _values(cfg)]
        groups = [gr.update(visible=g not in hidden) for g in share.TOY2D_GROUPS]
        teacher = gr.update(visible=not (hidden or lock))  # a student's page has no link builder
        play = {"autoplay": bool(options.get("autoplay")), "steps": options.get("steps")}
        return [*settings, gr.update(value=preset if preset in PRESETS else None, interactive=not lock),
                preset if preset in PRESETS else None, story or gr.skip(), *groups, teacher, play]

    def after(self, event) -> None:
        """Chain autoplay (and its step limit) after the link has set the controls."""
        c = self.c
        names = [*PLAY_FIELDS, "link_play"]
        event.then(named_inputs(names, user_errors(autoplay)), [c[n] for n in names],
                   [c["lab"], c["timer"], *[c[f"chart{i}"] for i in range(len(CHARTS))]], api_name=False,
                   preprocess=False)


def autoplay(v: dict, request: gr.Request):
    """Start Play when an opened link asks for it (stopping at its ``steps``)."""
    play = v.get("link_play") or {}
    if not play.get("autoplay"):
        return (gr.skip(), gr.skip(), *([gr.skip()] * len(CHARTS)))
    return start(v, request, stop_at=play.get("steps"))
