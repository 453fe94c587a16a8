"""The 2-D GAN lab tab: train a small GAN live and watch D, D*, G's manifold and the modes.

All the model code is in :mod:`playground.toy2d`; this module is the layout and its wiring. Play hands
the session's trainer to the process's training scheduler (:mod:`playground.toy2d.scheduler`), which
shares the CPU among every student who is playing; the page pulls compact frames
(:mod:`playground.toy2d.frames`) and draws them on two canvases (``toy2d_canvas.js``).
"""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
import threading
import zipfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
from gradio.components.plot import PlotData
from starlette.responses import Response
import numpy as np

from playground.errors import UserError
from playground.sessions import SessionStore
from playground.toy2d import charts
from playground.toy2d.config import ACTIVATIONS, DATASETS, HELP, LOSSES, OPTIMIZERS, Z_DISTS, ToyConfig
from playground.toy2d.losses import FORMULAS
from playground.toy2d.data import fit_to_view, load_points_csv, make_dataset
from playground.toy2d.frames import COORD_PAD, LIVE_MANIFOLD_POINTS, encode_frame, snapshot_from_frame
from playground.toy2d.presets import PRESETS
from playground.toy2d.render import image_figure_html, palette, render_frame, write_gif
from playground.toy2d.scheduler import PlayRun, get_scheduler
from playground.toy2d.trainer import Trainer
from playground.ui.common import explain, session_key, user_errors

TITLE = "2-D GAN lab"

MAX_PLAY_SECONDS = 180  # auto-pause so one open tab cannot hold a shared Space's CPU forever
IDLE_SECONDS = 10  # a run whose page stops asking for frames (closed or hidden tab) ends
MAX_GIF_FRAMES = 120
GIF_EVERY = 3  # keep every 3rd frame of a run for the GIF
CHART_SECONDS = 1.5  # while playing, one of the three charts is refreshed this often, in turn
IMG_SIZE = 420

STOP_NOTES = {
    "paused": "Paused. Press Play to continue.",
    "idle": "Paused: this page stopped asking for pictures (closed or hidden). Press Play to continue.",
    "time": f"Paused automatically after {MAX_PLAY_SECONDS // 60} minutes so others can train too. "
            "Press Play to continue.",
}

INTRO = """
**What you see.** The background is the discriminator's opinion of every point of the plane:
<span style="color:#168a46">green = "real"</span>, <span style="color:#8c3cc8">purple = "fake"</span>, the black
line is its decision boundary (D = ½, or the critic's mean level for WGAN-style critics).
Green dots are real data, purple dots are G's samples, grey lines are the image of a grid in latent
space (G's manifold: watch it fold), and short black strokes show where G's gradient pushes each fake.
The right panel is the *optimal* discriminator for the current G, D\\*(x) = p_data(x) / (p_data(x) + p_g(x)):
the learned D chases it. At the game's equilibrium p_g = p_data, so D\\* = ½ everywhere and the minimax
value is −log 4.
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
CANVAS_JS = (Path(__file__).with_name("toy2d_canvas.js")).read_text()


# ---- per-session state -------------------------------------------------------------------------------


@dataclass
class LabSession:
    """What one browser session holds: its trainer, its playing run, recent frames for the GIF."""

    trainer: Trainer | None = None
    points: np.ndarray | None = None  # custom data set
    run: PlayRun | None = None
    frames: deque = field(default_factory=lambda: deque(maxlen=MAX_GIF_FRAMES))  # compact frames
    real: np.ndarray | None = None  # the real points of the recorded frames
    chart_turn: int = 0
    stop: threading.Event = field(default_factory=threading.Event)  # stops Compare
    lock: threading.Lock = field(default_factory=threading.Lock)  # held while anyone trains or draws
    tmpdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="toy2d-")))


def _stop_run(sess: LabSession, reason: str = "paused") -> None:
    if sess.run is not None:
        get_scheduler().stop(sess.run, reason)


def _free(sess: LabSession) -> None:
    sess.stop.set()
    _stop_run(sess, "idle")
    shutil.rmtree(sess.tmpdir, ignore_errors=True)


# A trainer is ~0.5 MB: the cap is about CPU (the scheduler serves at most 96 playing runs), not memory.
SESSIONS: SessionStore[LabSession] = SessionStore("2-D GAN lab", max_sessions=128, on_free=_free)


def _session(request: gr.Request) -> LabSession:
    return SESSIONS.get_or_create(session_key(request), LabSession)


# ---- controls -> config ------------------------------------------------------------------------------

CONFIG_FIELDS = [
    "dataset", "n_modes", "sigma", "loss", "unroll_steps", "pack", "gp_weight", "clip_value",
    "g_depth", "g_width", "d_depth", "d_width", "activation", "z_dim", "z_dist",
    "optimizer", "lr_g", "lr_d", "beta1", "beta2", "batch_size", "d_steps", "g_steps", "seed",
]


def _config_from_values(values) -> ToyConfig:
    d = dict(zip(CONFIG_FIELDS, values))
    d["sigma"] = float(d["sigma"]) if d["sigma"] else None  # 0 = the data set's default
    if d["dataset"] in ("ring8", "grid25", "three_blobs"):
        d["n_modes"] = int(d["n_modes"])
    else:
        d["n_modes"] = None
    return ToyConfig.from_dict(d)


def _values_from_config(cfg: ToyConfig) -> list:
    d = cfg.to_dict()
    defaults = {"n_modes": _default_modes(cfg.dataset), "sigma": 0}
    return [d[k] if d[k] is not None else defaults[k] for k in CONFIG_FIELDS]


def _default_modes(dataset: str) -> int:
    return {"grid25": 25, "three_blobs": 3}.get(dataset, 8)


def _new_trainer(cfg: ToyConfig, sess: LabSession) -> Trainer:
    return Trainer(cfg, make_dataset(cfg, sess.points if cfg.dataset == "custom" else None))


def _ensure_trainer(sess: LabSession, cfg: ToyConfig) -> tuple[Trainer, str | None]:
    """The session's trainer for ``cfg``; a new run starts when the settings changed."""
    t = sess.trainer
    if t is not None and t.cfg.to_dict() == cfg.to_dict():
        return t, None
    if cfg.dataset == "custom" and sess.points is None:
        raise UserError("Draw some points on the canvas (or upload a CSV of x,y rows) before training on custom data.")
    sess.trainer = _new_trainer(cfg, sess)
    sess.frames.clear()
    return sess.trainer, ("Settings changed: started a new run." if t is not None else None)


def _apply_controls(trainer: Trainer, freeze: list[str]) -> None:
    trainer.freeze_d = "freeze D" in (freeze or [])
    trainer.freeze_g = "freeze G" in (freeze or [])


# ---- frames and charts -------------------------------------------------------------------------------


def _frame_value(trainer: Trainer, show, note: str | None = None) -> str:
    """The lab's value for a still picture (Step, Reset, Load): one frame, no run to follow."""
    snap = trainer.snapshot(manifold_points=LIVE_MANIFOLD_POINTS)
    frame = encode_frame(snap, trainer.dataset.extent, status=charts.status_line(trainer, snap, note),
                         with_real=True, show_manifold="manifold" in (show or []),
                         show_arrows="gradient arrows" in (show or []))
    return json.dumps({"frame": frame, "state": "stopped"})


def _plot(fig_json: str) -> PlotData:
    return PlotData(type="plotly", plot=fig_json)


def _charts(trainer: Trainer, snap: dict | None = None, only: int | None = None) -> tuple:
    """The three charts (losses, modes, per mode), or only one of them (the others unchanged)."""
    makers = (lambda: charts.loss_figure(trainer), lambda: charts.modes_figure(trainer),
              lambda: charts.per_mode_figure(snap if snap is not None else {"metrics": trainer.metrics()}))
    return tuple(_plot(make()) if only is None or only == i else gr.skip() for i, make in enumerate(makers))


def _still(trainer: Trainer, show, note: str | None = None) -> tuple:
    """Outputs of a handler that leaves the lab still: the picture and all three charts."""
    return (_frame_value(trainer, show, note), *_charts(trainer))


@functools.cache
def initial_value() -> str:
    """The default run at iteration 0 (the page shows it on arrival, before anyone presses anything)."""
    return _frame_value(Trainer(ToyConfig()), ["manifold", "gradient arrows"],
                        "Press Play to train, or Step to go one update at a time.")


# ---- Play ----------------------------------------------------------------------------------------------


def _run_status(run: PlayRun, snap: dict) -> str:
    note = STOP_NOTES.get(run.reason) if run.reason else (run.note if run.seq < 30 else None)
    return charts.status_line(run.trainer, snap, note, run.rate if run.running and not run.reason else None)


def _keeper(sess: LabSession):
    """Keeps every GIF_EVERY-th frame of a run for the GIF export (called on the training worker)."""

    def keep(run: PlayRun, frame: dict) -> None:
        if "real" in frame:
            sess.real = snapshot_from_frame(frame)["real"]
        if run.seq % GIF_EVERY == 1:
            sess.frames.append(frame)

    return keep


def _start_run(request, values, speed, freeze, show, with_charts: bool = False):
    """Hand the session's trainer to the scheduler; the run (and the charts before it starts)."""
    speed = max(1, min(int(speed or 1), 500))
    sess = _session(request)
    cfg = _config_from_values(values)
    _stop_run(sess, "replaced")
    with sess.lock:
        trainer, note = _ensure_trainer(sess, cfg)
        _apply_controls(trainer, freeze)
        plots = _charts(trainer) if with_charts else ()
    show = show or []
    run = PlayRun(trainer, lock=sess.lock, speed=speed, note=note, show_manifold="manifold" in show,
                  show_arrows="gradient arrows" in show, max_seconds=MAX_PLAY_SECONDS, idle_seconds=IDLE_SECONDS,
                  status=_run_status, on_frame=_keeper(sess))
    sess.run = get_scheduler().submit(run)
    return run, plots


@user_errors
def start(request: gr.Request, *args):
    """Play in the page: start the run and hand the page its token; the page pulls the frames."""
    *values, speed, freeze, show = args
    run, plots = _start_run(request, values, speed, freeze, show, with_charts=True)
    value = json.dumps({"token": run.token, "seq": 0, "state": "running"})
    return (value, gr.Timer(active=True), *plots)


async def toy2d_frame(data) -> Response:
    """The page's pull (a server function of the lab component): ``[token, seq]`` → the next frame.

    Answers with the frame's JSON text, made once by the training worker: every pull skips the web
    framework's encoding of a 10 KB structure.
    """
    token, seq = (data + [None, None])[:2] if isinstance(data, list) else (data, 0)
    try:
        seq = int(seq or 0)
    except (TypeError, ValueError, OverflowError):
        seq = 0
    text = await get_scheduler().next_frame_json(token, seq)
    return Response(content=text, media_type="application/json")


async def play_stream(request: gr.Request, *args):
    """Play for API clients (``/toy2d_play``): the same run, its frames streamed as the lab's value."""
    *values, speed, freeze, show = args
    try:
        run, _ = _start_run(request, values, speed, freeze, show)
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
    sess = SESSIONS.get(session_key(request))
    if sess is None or sess.trainer is None:
        return (gr.Timer(active=False), gr.skip(), gr.skip(), gr.skip())
    run = sess.run
    if run is not None and run.running:
        sess.chart_turn = (sess.chart_turn + 1) % 3
        with sess.lock:
            return (gr.skip(), *_charts(sess.trainer, only=sess.chart_turn))
    if run is not None and run.error is not None:
        gr.Warning(str(run.error))
    with sess.lock:
        return (gr.Timer(active=False), *_charts(sess.trainer))


def pause(request: gr.Request):
    sess = SESSIONS.get(session_key(request))
    if sess is not None:
        sess.stop.set()
        _stop_run(sess, "paused")


def live_controls(request: gr.Request, speed, freeze, show):
    """Speed, freezes and what to show take effect on a playing run at once."""
    sess = SESSIONS.get(session_key(request))
    if sess is None:
        return
    if sess.trainer is not None:
        _apply_controls(sess.trainer, freeze)
    run = sess.run
    if run is not None and run.running:
        run.speed = max(1, min(int(speed or 1), 500))
        show = show or []
        run.show_manifold, run.show_arrows = "manifold" in show, "gradient arrows" in show


def _stepper(kind: str):
    @user_errors
    def step(request: gr.Request, *args):
        *values, freeze, show = args
        sess = _session(request)
        _stop_run(sess, "paused")  # a step pauses a running Play
        cfg = _config_from_values(values)
        with sess.lock:
            trainer, note = _ensure_trainer(sess, cfg)
            _apply_controls(trainer, freeze)
            if kind == "d":
                trainer.d_step()
            elif kind == "g":
                trainer.g_step()
            else:
                trainer.step(1)
            return _still(trainer, show, note)

    return step


@user_errors
def reset(request: gr.Request, *args):
    *values, freeze, show = args
    sess = _session(request)
    _stop_run(sess, "paused")
    cfg = _config_from_values(values)
    with sess.lock:
        sess.trainer = None
        trainer, _ = _ensure_trainer(sess, cfg)
        _apply_controls(trainer, freeze)
        return _still(trainer, show, "New run: networks re-initialised from the seed.")


def load_preset(name: str):
    p = PRESETS[name]
    cfg = p["config"]
    freeze = [f for f, on in (("freeze D", p.get("freeze_d")), ("freeze G", p.get("freeze_g"))) if on]
    note = f"**{name}.** {p['description']}"
    b = p.get("compare")
    if b is not None:
        note += " This preset is a comparison: open **Compare two runs** below and press **Train A and B**."
        compare_values = [b.loss, b.unroll_steps, b.pack, b.d_steps, p["iterations"], gr.update(open=True)]
    else:
        compare_values = [gr.skip()] * 6
    return [*_values_from_config(cfg), freeze, note, *compare_values]


def formula(loss: str) -> str:
    return FORMULAS.get(loss, "")


@user_errors
def use_drawing(sketch, request: gr.Request):
    """Turn the drawn strokes into the custom data set's points."""
    if not sketch or sketch.get("composite") is None:
        raise UserError("Draw something on the canvas first.")
    img = np.asarray(sketch["composite"])
    if img.ndim == 3 and img.shape[2] == 4:
        ink = img[..., 3] > 0
        ink &= img[..., :3].mean(axis=2) < 200
    else:
        ink = (img if img.ndim == 2 else img[..., :3].mean(axis=2)) < 200
    ys, xs = np.nonzero(ink)
    if len(xs) < 3:
        raise UserError("The canvas is empty: draw a few strokes (they become the real data).")
    rng = np.random.default_rng(0)
    keep = rng.choice(len(xs), size=min(len(xs), 4000), replace=False)
    pts = np.stack([xs[keep], -ys[keep]], axis=1).astype(np.float64)
    return _set_points(request, pts, f"Using {len(keep):,} points from your drawing.")


@user_errors
def use_csv(file, request: gr.Request):
    if file is None:
        raise UserError("Choose a CSV file with two columns, x and y.")
    pts = load_points_csv(file if isinstance(file, str) else file.name)
    return _set_points(request, pts, f"Using {len(pts):,} points from the CSV file.")


def _set_points(request, pts, message):
    sess = _session(request)
    sess.points = fit_to_view(pts)
    sess.trainer = None
    gr.Info(message + " Press Play to train on them.")
    return "custom"


# ---- compare two runs --------------------------------------------------------------------------------

@user_errors
def compare(request: gr.Request, *args):
    *values, loss_b, unroll_b, pack_b, dsteps_b, iterations = args
    sess = _session(request)
    sess.stop.clear()
    cfg_a = _config_from_values(values)
    cfg_b = cfg_a.replace(loss=loss_b, unroll_steps=int(unroll_b), pack=int(pack_b), d_steps=int(dsteps_b))
    a, b = _new_trainer(cfg_a, sess), _new_trainer(cfg_b, sess)
    per_frame = max(1, int(iterations) // 40)
    while a.iteration < int(iterations) and not sess.stop.is_set():
        a.step(per_frame)
        b.step(per_frame)  # lock-step: same data, same seed, same number of iterations
        yield _compare_outputs(a, b, done=False)
    yield _compare_outputs(a, b, done=True)


def _compare_outputs(a: Trainer, b: Trainer, done: bool):
    rows = []
    imgs = []
    for name, t in (("A", a), ("B", b)):
        snap = t.snapshot()
        imgs.append(image_figure_html(render_frame(snap, t.dataset.extent, size=360), f"Run {name}: {t.cfg.loss}",
                                      f"run {name}"))
        m = snap["metrics"]
        cfg = t.cfg
        rows.append([name, cfg.loss, cfg.unroll_steps, cfg.pack, cfg.d_steps,
                     f"{m.get('modes_covered', '–')}/{m.get('modes_total', '–')}",
                     f"{100 * (m.get('high_quality') or 0):.0f}%", charts.fmt_number(m.get('reverse_kl'))])
    head = f"iteration {a.iteration:,}" + (" — finished" if done else " — training…")
    return imgs[0], imgs[1], head, rows


# ---- export / import ---------------------------------------------------------------------------------


def _need_trainer(request) -> tuple[LabSession, Trainer]:
    sess = _session(request)
    if sess.trainer is None:
        raise UserError("Nothing to export yet: press Play or Step first.")
    return sess, sess.trainer


@user_errors
def export_csv(request: gr.Request):
    sess, t = _need_trainer(request)
    with sess.lock:  # a playing run may be training it right now
        path = sess.tmpdir / f"gan2d-metrics-it{t.iteration}.csv"
        path.write_text(t.history_csv())
    return str(path)


@user_errors
def export_gif(request: gr.Request):
    sess, t = _need_trainer(request)
    if len(sess.frames) < 2:
        raise UserError("Record a few frames first: press Play for a couple of seconds.")
    path = sess.tmpdir / f"gan2d-run-it{t.iteration}.gif"
    pictures = [render_frame(snapshot_from_frame(f, sess.real), t.dataset.extent, size=240) for f in list(sess.frames)]
    write_gif(pictures, path, fps=10)
    return str(path)


@user_errors
def export_model(request: gr.Request):
    sess, t = _need_trainer(request)
    out = sess.tmpdir / "model"
    shutil.rmtree(out, ignore_errors=True)
    with sess.lock:
        t.save(out)
    zpath = sess.tmpdir / f"gan2d-run-it{t.iteration}.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for f in sorted(out.iterdir()):
            z.write(f, f.name)
    return str(zpath)


@user_errors
def import_model(file, show, request: gr.Request):
    if file is None:
        raise UserError("Choose a .zip saved by 'Download model'.")
    sess = _session(request)
    src = Path(file if isinstance(file, str) else file.name)
    dest = sess.tmpdir / "loaded"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir()
    try:
        with zipfile.ZipFile(src) as z:
            names = {i.filename for i in z.infolist()}
            wanted = {"config.json", "model.safetensors"}
            if not wanted <= names:
                raise UserError("That zip is not a saved 2-D run: it needs config.json and model.safetensors.")
            for name in wanted:
                info = z.getinfo(name)
                if info.file_size > 50 * 2**20:
                    raise UserError("That saved run is too large to be a 2-D GAN.")
                (dest / name).write_bytes(z.read(info))
    except zipfile.BadZipFile:
        raise UserError("That file is not a zip archive saved by 'Download model'.") from None
    trainer = Trainer.load(dest)
    _stop_run(sess, "paused")
    with sess.lock:
        sess.trainer = trainer
        sess.frames.clear()
        return [*_values_from_config(trainer.cfg), *_still(trainer, show, "Loaded the saved run.")]


# ---- layout ------------------------------------------------------------------------------------------


def build() -> None:
    gr.Markdown("Train a small GAN on points in the plane and watch it learn. Pick a preset (or any settings "
                "on the left) and press **Play**; what the pictures show is explained under them.")
    default = ToyConfig()
    with gr.Row(equal_height=True):
        preset = gr.Dropdown(list(PRESETS), value=None, label="Presets: one click, one story", scale=3)
        preset_note = gr.Markdown("Pick a preset, then press **Play**. Every setting on the left can be changed.")
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            with gr.Accordion("Data", open=True):
                dataset = gr.Dropdown(list(DATASETS), value=default.dataset, label="Real data", info=HELP['dataset'])
                explain("ring8 / grid25 are the standard mode-collapse benchmarks; the rest are GAN Lab's sets.")
                n_modes = gr.Slider(2, 36, value=8, step=1, label="Number of modes (ring, grid, blobs)", info=HELP['n_modes'])
                sigma = gr.Number(value=0, label="Spread σ of each mode (0 = the data set's default)", minimum=0, info=HELP['sigma'])
                with gr.Accordion("Your own data: draw or upload", open=False):
                    sketch = gr.Sketchpad(label="Draw the real data", type="numpy", height=260,
                                          canvas_size=(300, 300))
                    use_sketch = gr.Button("Use drawing", size="sm")
                    csv_file = gr.File(label="…or a CSV of x,y rows", file_types=[".csv", ".txt"])
            with gr.Accordion("Objective", open=True):
                loss = gr.Dropdown(list(LOSSES), value=default.loss, label="Loss", info=HELP['loss'])
                loss_formula = gr.Markdown(formula(default.loss), elem_classes=["formula"],
                                           latex_delimiters=[{"left": "$", "right": "$", "display": False}])
                unroll = gr.Slider(0, 10, value=0, step=1, label="Unrolled GAN: steps G looks ahead (0 = off)", info=HELP['unroll_steps'])
                pack = gr.Slider(1, 8, value=1, step=1, label="PacGAN: samples D judges at once (1 = off)", info=HELP['pack'])
                gp = gr.Number(value=default.gp_weight, label="Gradient penalty λ (WGAN-GP, DRAGAN)", info=HELP['gp_weight'])
                clip = gr.Number(value=default.clip_value, label="Weight clipping c (WGAN)", info=HELP['clip_value'])
            with gr.Accordion("Networks", open=False):
                g_depth = gr.Slider(1, 6, value=default.g_depth, step=1, label="G hidden layers", info=HELP['g_depth'])
                g_width = gr.Slider(4, 256, value=default.g_width, step=4, label="G width", info=HELP['g_width'])
                d_depth = gr.Slider(1, 6, value=default.d_depth, step=1, label="D hidden layers", info=HELP['d_depth'])
                d_width = gr.Slider(4, 256, value=default.d_width, step=4, label="D width", info=HELP['d_width'])
                activation = gr.Dropdown(list(ACTIVATIONS), value=default.activation, label="Activation", info=HELP['activation'])
                z_dim = gr.Slider(1, 16, value=default.z_dim, step=1, label="Latent dimension", info=HELP['z_dim'])
                z_dist = gr.Radio(list(Z_DISTS), value=default.z_dist, label="Latent distribution", info=HELP['z_dist'])
            with gr.Accordion("Optimisation", open=False):
                optimizer = gr.Radio(list(OPTIMIZERS), value=default.optimizer, label="Optimiser", info=HELP['optimizer'])
                lr_g = gr.Number(value=default.lr_g, label="G learning rate", info=HELP['lr_g'])
                lr_d = gr.Number(value=default.lr_d, label="D learning rate", info=HELP['lr_d'])
                beta1 = gr.Number(value=default.beta1, label="β1 (Adam) / momentum (SGD) / α (RMSprop)", info=HELP['beta1'])
                beta2 = gr.Number(value=default.beta2, label="β2 (Adam)", info=HELP['beta2'])
                batch = gr.Slider(16, 1024, value=default.batch_size, step=16, label="Batch size", info=HELP['batch_size'])
                d_steps = gr.Slider(0, 10, value=default.d_steps, step=1, label="k: D steps per iteration", info=HELP['d_steps'])
                g_steps = gr.Slider(0, 10, value=default.g_steps, step=1, label="G steps per iteration", info=HELP['g_steps'])
                seed = gr.Number(value=default.seed, precision=0, label="Seed (same seed, same run)", info=HELP['seed'])
        with gr.Column(scale=3):
            with gr.Row():
                play_btn = gr.Button("▶ Play", variant="primary", elem_id="toy2d-play")
                pause_btn = gr.Button("⏸ Pause", elem_id="toy2d-pause")
                step_d_btn = gr.Button("Step D")
                step_g_btn = gr.Button("Step G")
                step_btn = gr.Button("Step iteration")
                reset_btn = gr.Button("↺ Reset", variant="stop")
            with gr.Row():
                speed = gr.Slider(1, 500, value=200, step=1, label="Speed: at most this many iterations per frame",
                                  info="Frames come as fast as your browser draws them; below 20, slow motion: 10 frames/s, this many updates each.")
                freeze = gr.CheckboxGroup(["freeze D", "freeze G"], value=[], label="Freeze",
                                          info="Freeze G and train D alone: D converges to D*.")
                show = gr.CheckboxGroup(["manifold", "gradient arrows"], value=["manifold", "gradient arrows"],
                                        label="Show")
            lab = gr.HTML(initial_value(), html_template=LAB_TEMPLATE, css_template=LAB_CSS, js_on_load=CANVAS_JS,
                          server_functions=[toy2d_frame], elem_id="toy2d-lab", palette=palette(), size=IMG_SIZE, coord_pad=COORD_PAD,
                          padding=False)
            chart_timer = gr.Timer(CHART_SECONDS, active=False)
            with gr.Row():
                loss_plot = gr.Plot(label="Losses", show_label=False)
                modes_plot = gr.Plot(label="Modes", show_label=False)
                bars_plot = gr.Plot(label="Per mode", show_label=False)
            gr.Markdown(INTRO)
    with gr.Accordion("Compare two runs side by side (same data, same seed, lock-step)", open=False) as cmp_box:
        gr.Markdown("Run **A** uses the settings above; **B** changes only what you pick here.")
        with gr.Row():
            loss_b = gr.Dropdown(list(LOSSES), value="wgan_gp", label="B: loss")
            unroll_b = gr.Slider(0, 10, value=0, step=1, label="B: unroll steps")
            pack_b = gr.Slider(1, 8, value=1, step=1, label="B: packing")
            dsteps_b = gr.Slider(0, 10, value=1, step=1, label="B: D steps")
            cmp_iters = gr.Slider(200, 10000, value=3000, step=100, label="Iterations")
        with gr.Row():
            cmp_btn = gr.Button("Train A and B", variant="primary")
            cmp_stop = gr.Button("Stop")
        cmp_head = gr.Markdown()
        with gr.Row():
            img_a = gr.HTML()
            img_b = gr.HTML()
        cmp_table = gr.Dataframe(headers=["run", "loss", "unroll", "pack", "D steps", "modes", "HQ", "reverse KL"],
                                 interactive=False)
    with gr.Accordion("Export and load", open=False):
        with gr.Row():
            csv_btn = gr.Button("Metrics as CSV")
            gif_btn = gr.Button("Run as animated GIF")
            model_btn = gr.Button("Model (safetensors + config)")
        export_file = gr.File(label="Download", interactive=False)
        load_file = gr.File(label="Load a saved run (.zip)", file_types=[".zip"])

    config_inputs = [dataset, n_modes, sigma, loss, unroll, pack, gp, clip, g_depth, g_width, d_depth, d_width,
                     activation, z_dim, z_dist, optimizer, lr_g, lr_d, beta1, beta2, batch, d_steps, g_steps, seed]
    chart_outputs = [loss_plot, modes_plot, bars_plot]
    view_outputs = [lab, *chart_outputs]
    play_inputs = [*config_inputs, speed, freeze, show]

    preset.input(load_preset, preset,
                 [*config_inputs, freeze, preset_note, loss_b, unroll_b, pack_b, dsteps_b, cmp_iters, cmp_box],
                 api_name=False)
    loss.change(formula, loss, loss_formula, api_name=False)
    dataset.input(_default_modes, dataset, n_modes, api_name=False)
    # Play: the run goes to the process's training scheduler; the page pulls its frames (toy2d_frame)
    # and the timer refreshes the charts. No concurrency limit: starting a run takes milliseconds.
    play_btn.click(start, play_inputs, [lab, chart_timer, *chart_outputs], api_name="toy2d_start",
                   concurrency_limit=None)
    chart_timer.tick(tick, None, [chart_timer, *chart_outputs], api_name=False, show_progress="hidden",
                     concurrency_limit=None)
    for control in (speed, freeze, show):
        control.change(live_controls, [speed, freeze, show], None, api_name=False, queue=False)
    # The same run for API clients, its frames streamed (what benchmarks/classroom.py and the tests drive).
    stream_btn = gr.Button(visible=False)
    stream_btn.click(play_stream, play_inputs, lab, api_name="toy2d_play", concurrency_limit=None)
    pause_btn.click(pause, None, None, api_name="toy2d_pause", queue=False)
    for btn, kind in ((step_d_btn, "d"), (step_g_btn, "g"), (step_btn, "it")):
        btn.click(_stepper(kind), [*config_inputs, freeze, show], view_outputs, api_name=f"toy2d_step_{kind}")
    reset_btn.click(reset, [*config_inputs, freeze, show], view_outputs, api_name="toy2d_reset")
    use_sketch.click(use_drawing, sketch, dataset, api_name=False)
    csv_file.upload(use_csv, csv_file, dataset, api_name=False)
    cmp_btn.click(compare, [*config_inputs, loss_b, unroll_b, pack_b, dsteps_b, cmp_iters],
                            [img_a, img_b, cmp_head, cmp_table], api_name="toy2d_compare",
                            concurrency_limit=8, concurrency_id="toy2d_train")
    cmp_stop.click(pause, None, None, queue=False, api_name=False)
    csv_btn.click(export_csv, None, export_file, api_name="toy2d_export_csv")
    gif_btn.click(export_gif, None, export_file, api_name="toy2d_export_gif")
    model_btn.click(export_model, None, export_file, api_name="toy2d_export_model")
    load_file.upload(import_model, [load_file, show], [*config_inputs, *view_outputs], api_name=False)
