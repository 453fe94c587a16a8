"""The 2-D GAN lab tab: train a small GAN live and watch D, D*, G's manifold and the modes.

All the model code is in :mod:`playground.toy2d`; this module only keeps one trainer per browser
session, streams frames while it trains, and draws curves.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import json
import math
import shutil
import tempfile
import threading
import time
import zipfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
from gradio.components.plot import PlotData
import numpy as np
from PIL import Image

from playground.errors import UserError
from playground.sessions import SessionStore
from playground.toy2d.config import ACTIVATIONS, DATASETS, HELP, LOSSES, OPTIMIZERS, Z_DISTS, ToyConfig
from playground.toy2d.losses import FORMULAS
from playground.toy2d.data import fit_to_view, load_points_csv, make_dataset
from playground.toy2d.live import LiveRun
from playground.toy2d.presets import PRESETS
from playground.toy2d.render import render_frame, write_gif
from playground.toy2d.trainer import Trainer
from playground.ui.common import explain, session_key, user_errors

TITLE = "2-D GAN lab"

FRAME_SECONDS = 1 / 11  # aim for ~11 frames a second, so the browser reliably gets at least 10
TRAIN_CHUNK = 20  # iterations between two looks at the drawing thread's requests (~12 ms)
PLOT_EVERY = 10  # one of the three charts is refreshed every 10th frame (each every ~3 s): redrawing a
# Plotly chart costs the browser ~0.1 s, and all three at once stalled the pictures for ~0.3 s
MAX_PLAY_SECONDS = 180  # auto-pause so one open tab cannot hold a shared Space's CPU forever
MAX_GIF_FRAMES = 120
IMG_SIZE = 420
EMPTY_FRAME = (f'<div class="toy2d-empty" style="height:{IMG_SIZE}px">Press Play or Step: the discriminator\'s '
               "view of the plane appears here.</div>")

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


# ---- per-session state -------------------------------------------------------------------------------


@dataclass
class LabSession:
    """What one browser session holds: its trainer(s), recent frames for the GIF, a stop flag."""

    trainer: Trainer | None = None
    points: np.ndarray | None = None  # custom data set
    frames: deque = field(default_factory=lambda: deque(maxlen=MAX_GIF_FRAMES))
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    tmpdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="toy2d-")))


def _free(sess: LabSession) -> None:
    sess.stop.set()
    shutil.rmtree(sess.tmpdir, ignore_errors=True)


SESSIONS: SessionStore[LabSession] = SessionStore("2-D GAN lab", max_sessions=32, on_free=_free)


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


# ---- drawing -----------------------------------------------------------------------------------------


def _pictures(trainer: Trainer, snap: dict, show: list[str], star: bool = True):
    extent = trainer.dataset.extent
    opts = dict(show_manifold="manifold" in show, show_arrows="gradient arrows" in show, size=IMG_SIZE)
    d_img = render_frame(snap, extent, surface="d", **opts)
    s_img = render_frame(snap, extent, surface="d_star", **opts) if star else None
    return d_img, s_img


def _status(trainer: Trainer, snap: dict, note: str | None = None, rate: float | None = None) -> str:
    m = snap["metrics"]
    parts = [f"<b>iteration {snap.get('iteration', trainer.iteration):,}</b>"]
    if rate:
        parts.append(f"{rate:,.0f} it/s")
    parts.append(f"D loss {snap['d_loss']:.3f} · G loss {snap['g_loss']:.3f}")
    if m.get("modes_total"):
        parts.append(
            f"modes covered <b>{m['modes_covered']}/{m['modes_total']}</b> · high-quality {100 * m['high_quality']:.0f}%"
            f" · reverse KL {_num(m.get('reverse_kl'))}"
        )
    if trainer.freeze_d or trainer.freeze_g:
        parts.append("frozen: " + ", ".join(n for n, f in (("D", trainer.freeze_d), ("G", trainer.freeze_g)) if f))
    # HTML, not Markdown: the browser re-renders this ~10 times a second, and a Markdown component
    # re-parses and sanitises on every update (measured: a large share of Chromium's CPU while playing).
    text = "<div>" + " · ".join(parts) + "</div>"
    return text + (f"<div>{html.escape(note)}</div>" if note else "")


def _num(x, fmt: str = ".2f") -> str:
    """A metric for display; None (undefined, e.g. reverse KL with no high-quality sample) shows as –."""
    return "–" if x is None else format(x, fmt)


# The curves are Plotly figures written as plain JSON: building them through plotly.graph_objects
# (property validation) cost ~50 ms per refresh, a third of a frame; this costs well under 1 ms.
@functools.cache
def _template() -> dict:
    import plotly.io as pio

    return pio.templates["plotly_white"].to_plotly_json()


def _hline(y: float, text: str | None = None) -> tuple[dict, dict | None]:
    shape = {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": y, "y1": y,
             "line": {"dash": "dash", "color": "gray"}}
    note = None if text is None else {"text": text, "xref": "x domain", "x": 1, "xanchor": "right", "yref": "y",
                                      "y": y, "yanchor": "bottom", "showarrow": False, "font": {"size": 10}}
    return shape, note


def _figure(title: str, traces: list[dict], shapes=(), annotations=(), **layout) -> PlotData:
    lay = {
        "template": _template(), "title": {"text": title, "font": {"size": 13}}, "height": 260,
        "margin": {"l": 40, "r": 10, "t": 36, "b": 30}, "uirevision": "keep",
        "legend": {"orientation": "h", "y": -0.25, "font": {"size": 10}},
        "shapes": list(shapes), "annotations": [a for a in annotations if a], **layout,
    }
    return PlotData(type="plotly", plot=json.dumps({"data": traces, "layout": lay}, allow_nan=False,
                                                   default=float))


def _series(rows: list[dict], key: str, scale: float = 1.0) -> list:
    return [None if r.get(key) is None or not math.isfinite(r[key]) else scale * r[key] for r in rows]


def loss_figure(trainer: Trainer) -> PlotData:
    h = trainer.history
    it = [r["iteration"] for r in h]
    traces = [
        {"type": "scatter", "x": it, "y": _series(h, "d_loss"), "name": "D loss", "line": {"color": "#168a46"}},
        {"type": "scatter", "x": it, "y": _series(h, "g_loss"), "name": "G loss", "line": {"color": "#8c3cc8"}},
    ]
    shapes, notes = [], []
    if trainer.cfg.loss in ("minimax", "nonsaturating", "dragan"):
        shape, note = _hline(math.log(4), "log 4: D loss at equilibrium (V = −log 4)")
        shapes, notes = [shape], [note]
    return _figure("Losses", traces, shapes, notes)


def modes_figure(trainer: Trainer) -> PlotData:
    h = [r for r in trainer.history if r.get("modes_total")]
    title = "Modes covered (of 2,500 samples)"
    if h:
        it = [r["iteration"] for r in h]
        traces = [
            {"type": "scatter", "x": it, "y": _series(h, "modes_covered"), "name": "modes covered"},
            {"type": "scatter", "x": it, "y": _series(h, "high_quality", 100.0), "name": "% high quality",
             "yaxis": "y2"},
            {"type": "scatter", "x": it, "y": _series(h, "reverse_kl"), "name": "reverse KL",
             "line": {"dash": "dot"}},
        ]
        return _figure(title, traces, yaxis={"rangemode": "tozero"},
                       yaxis2={"overlaying": "y", "side": "right", "range": [0, 100], "showgrid": False})
    if trainer.dataset.centers is None:
        text = "Mode metrics need a data set with separate modes (ring, grid, blobs)."
    else:
        text = "The first point appears after 100 iterations."
    return _figure(title, [], annotations=[{"text": text, "showarrow": False, "font": {"size": 11},
                                            "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}])


def per_mode_figure(snap: dict) -> PlotData:
    m = snap["metrics"]
    counts = [int(c) for c in (m.get("per_mode") or [])]
    title = "High-quality samples per mode"
    if not counts:
        return _figure(title, [])
    level = m.get("n_samples", sum(counts)) / max(len(counts), 1) * m.get("high_quality", 1)
    shape, _ = _hline(float(level))
    shape["line"]["dash"] = "dot"
    traces = [{"type": "bar", "x": list(range(1, len(counts) + 1)), "y": counts, "marker": {"color": "#8c3cc8"}}]
    return _figure(title, traces, [shape], xaxis={"title": {"text": "mode"}, "dtick": 1 if len(counts) <= 12 else 5})


# ---- handlers ----------------------------------------------------------------------------------------


def frame_html(img: Image.Image, caption: str, alt: str) -> str:
    """A frame inlined as a JPEG data URI.

    Streaming frames this way costs ~1 ms to encode and writes nothing to disk: a gr.Image output
    would store every frame in Gradio's cache (10 frames/s x 2 images per student fills a disk).
    """
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=92)
    src = "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'<figure class="toy2d-frame"><figcaption>{caption}</figcaption>'
            f'<img src="{src}" alt="{alt}" width="{img.width}" height="{img.height}"></figure>')


D_CAPTION = "Learned D(x): data <b style='color:#168a46'>green</b>, G's samples <b style='color:#8c3cc8'>purple</b>"
DSTAR_CAPTION = "Optimal D*(x) = p<sub>data</sub> / (p<sub>data</sub> + p<sub>g</sub>) for the current G"


def _views(trainer, show, note=None, rate=None, plots=True, star=True):
    """The outputs of one frame, and the D picture (kept for the GIF)."""
    return _views_of(trainer, trainer.snapshot(d_star=star), show, note, rate, plots, star)


def _views_of(trainer, snap, show, note=None, rate=None, plots=True, star=True):
    """``plots``: True (all three charts), False (none) or the index of the one chart to refresh."""
    d_img, s_img = _pictures(trainer, snap, show, star)
    status = _status(trainer, snap, note, rate)
    pictures = (frame_html(d_img, D_CAPTION, "discriminator heatmap"),
                frame_html(s_img, DSTAR_CAPTION, "optimal discriminator heatmap") if star else gr.skip(), status)
    makers = (lambda: loss_figure(trainer), lambda: modes_figure(trainer), lambda: per_mode_figure(snap))
    charts = tuple(make() if plots is True or (plots is not False and plots == i) else gr.skip()
                   for i, make in enumerate(makers))
    return (*pictures, *charts), d_img


def _outputs_for(trainer, show, note=None, rate=None, plots=True):
    return _views(trainer, show, note, rate, plots)[0]


def _apply_controls(trainer: Trainer, freeze: list[str]) -> None:
    trainer.freeze_d = "freeze D" in freeze
    trainer.freeze_g = "freeze G" in freeze


@user_errors
def play(request: gr.Request, *args):
    *values, speed, freeze, show = args
    speed = max(1, min(int(speed or 1), 500))
    sess = _session(request)
    cfg = _config_from_values(values)
    with sess.lock:
        trainer, note = _ensure_trainer(sess, cfg)
    sess.stop.clear()
    _apply_controls(trainer, freeze)
    # Training runs on its own thread (LiveRun); this loop only asks it for a snapshot ~10 times a second,
    # draws it and hands it to Gradio, so drawing and sending overlap with training instead of pausing it.
    # slow motion (speed below a chunk) trains exactly `speed` iterations between two frames
    live = LiveRun(trainer, sess.lock, max_rate=speed / FRAME_SECONDS, chunk=min(TRAIN_CHUNK, speed),
                   stop_event=sess.stop, max_seconds=MAX_PLAY_SECONDS + 5).start()
    started = next_frame = last = time.monotonic()
    last_it, frame = trainer.iteration, 0
    try:
        while not sess.stop.is_set():
            if time.monotonic() - started > MAX_PLAY_SECONDS:
                live.stop()
                yield _outputs_for(trainer, show, f"Paused automatically after {MAX_PLAY_SECONDS // 60} minutes "
                                   "so others can train too. Press Play to continue.")
                return
            if sess.trainer is not trainer:  # Reset pressed meanwhile
                return
            if not live.running and live.error is None:  # it stopped by itself (the page went quiet)
                yield _outputs_for(trainer, show, "Paused. Press Play to continue.")
                return
            star = frame % 2 == 0  # D* moves slowly (it follows G): redraw it every other frame
            snap = live.snapshot(d_star=star)
            if sess.stop.is_set():
                break
            now = time.monotonic()
            rate = (snap["iteration"] - last_it) / max(now - last, 1e-6)
            last, last_it = now, snap["iteration"]
            chart = (frame // PLOT_EVERY) % 3 if frame % PLOT_EVERY == 0 else False
            if frame == 0:
                chart = True
            out, d_img = _views_of(trainer, snap, show, note, rate, plots=chart, star=star)
            if frame % 2 == 0:
                sess.frames.append(d_img.resize((240, 240)))
            frame += 1
            yield out
            next_frame += FRAME_SECONDS
            wait = next_frame - time.monotonic()
            if wait > 0:
                time.sleep(wait)  # a steady frame rate: don't flood the browser
            else:
                next_frame = time.monotonic()  # running late: don't try to catch up
            _apply_controls(trainer, freeze)
    finally:
        live.stop()
    if live.error is not None:
        raise live.error


def pause(request: gr.Request):
    sess = SESSIONS.get(session_key(request))
    if sess is not None:
        sess.stop.set()


def _stepper(kind: str):
    @user_errors
    def step(request: gr.Request, *args):
        *values, freeze, show = args
        sess = _session(request)
        sess.stop.set()  # a step pauses a running Play
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
        return _outputs_for(trainer, show, note)

    return step


@user_errors
def reset(request: gr.Request, *args):
    *values, freeze, show = args
    sess = _session(request)
    sess.stop.set()
    cfg = _config_from_values(values)
    with sess.lock:
        sess.trainer = None
        trainer, _ = _ensure_trainer(sess, cfg)
        _apply_controls(trainer, freeze)
    return _outputs_for(trainer, show, "New run: networks re-initialised from the seed.")


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
        imgs.append(frame_html(render_frame(snap, t.dataset.extent, size=360), f"Run {name}: {t.cfg.loss}",
                               f"run {name}"))
        m = snap["metrics"]
        cfg = t.cfg
        rows.append([name, cfg.loss, cfg.unroll_steps, cfg.pack, cfg.d_steps,
                     f"{m.get('modes_covered', '–')}/{m.get('modes_total', '–')}",
                     f"{100 * m.get('high_quality', 0):.0f}%", _num(m.get('reverse_kl'))])
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
    path = sess.tmpdir / f"gan2d-metrics-it{t.iteration}.csv"
    path.write_text(t.history_csv())
    return str(path)


@user_errors
def export_gif(request: gr.Request):
    sess, t = _need_trainer(request)
    if len(sess.frames) < 2:
        raise UserError("Record a few frames first: press Play for a couple of seconds.")
    path = sess.tmpdir / f"gan2d-run-it{t.iteration}.gif"
    write_gif(list(sess.frames), path, fps=10)
    return str(path)


@user_errors
def export_model(request: gr.Request):
    sess, t = _need_trainer(request)
    out = sess.tmpdir / "model"
    shutil.rmtree(out, ignore_errors=True)
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
    sess.stop.set()
    with sess.lock:
        sess.trainer = trainer
        sess.frames.clear()
    return [*_values_from_config(trainer.cfg), *_outputs_for(trainer, show, "Loaded the saved run.")]


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
                                  info="~10 frames/s; lower it to watch single updates in slow motion.")
                freeze = gr.CheckboxGroup(["freeze D", "freeze G"], value=[], label="Freeze",
                                          info="Freeze G and train D alone: D converges to D*.")
                show = gr.CheckboxGroup(["manifold", "gradient arrows"], value=["manifold", "gradient arrows"],
                                        label="Show")
            status = gr.HTML("Press <b>Play</b> to start training, or <b>Step</b> to go one update at a time.",
                             elem_id="toy2d-status")
            with gr.Row():
                d_img = gr.HTML(EMPTY_FRAME, elem_id="toy2d-d")
                s_img = gr.HTML(EMPTY_FRAME, elem_id="toy2d-dstar")
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
    view_outputs = [d_img, s_img, status, loss_plot, modes_plot, bars_plot]

    preset.input(load_preset, preset,
                 [*config_inputs, freeze, preset_note, loss_b, unroll_b, pack_b, dsteps_b, cmp_iters, cmp_box],
                 api_name=False)
    loss.change(formula, loss, loss_formula, api_name=False)
    dataset.input(_default_modes, dataset, n_modes, api_name=False)
    play_btn.click(play, [*config_inputs, speed, freeze, show], view_outputs, api_name="toy2d_play",
                              concurrency_limit=8, concurrency_id="toy2d_train")
    # Pause/Stop set the session's stop flag, which the training loop checks every frame (< 0.2 s).
    # (Gradio's `cancels=` would also stop it, but marks the outputs with an "Error" badge.)
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
