"""The 2-D GAN lab tab's handlers: each a few lines between the page and :mod:`playground.toy2d.lab`.

They receive their inputs by name (``playground.ui.common.named_inputs``) and never touch the layout;
``playground/ui/toy2d_tab.py`` lays the page out and wires these to it.
"""

from __future__ import annotations

import functools
import json

import gradio as gr
from starlette.responses import Response

from playground import share
from playground.errors import UserError
from playground import safe_input
from playground.safe_input import integer
from playground.ui import arrival
from playground.ui.sessions import SessionStore, is_page_session, on_sweep
from playground.toy2d import compare
from playground.toy2d.config import SETTINGS, ToyConfig
from playground.toy2d.data import load_points_csv, points_from_drawing
from playground.toy2d.lab import GIF_EVERY, MAX_SPEED, Lab, still_value  # noqa: F401 - GIF_EVERY for tests
from playground.toy2d.graph import graph_state
from playground.toy2d.losses import OBJECTIVES
from playground.toy2d.presets import PRESETS
from playground.toy2d.render import image_figure_html, render_frame
from playground.toy2d.scheduler import forget_idle, get_scheduler
from playground.toy2d.trainer import Trainer
from playground.ui.common import session_key, user_errors

TAB_ID = "toy2d"
MAX_PLAY_SECONDS = 180  # auto-pause so one open tab cannot hold a shared Space's CPU forever
IDLE_SECONDS = 10  # a run whose page stops asking for frames (closed or hidden tab) ends
FRAME_PATH = "/toy2d/frame"  # the plain route the page pulls frames from (frame_route)
SHOW_CHOICES = ["manifold", "gradient arrows"]
FREEZE_CHOICES = ["freeze D", "freeze G"]
MODE_DATASETS = ("ring8", "grid25", "three_blobs")  # the data sets whose number of modes is a setting


# ---- sessions ----------------------------------------------------------------------------------------

# A trainer is ~0.5 MB: the cap is about CPU (the scheduler plays at most 96 runs), not memory.
SESSIONS: SessionStore[Lab] = SessionStore("2-D GAN lab", max_sessions=128, on_free=Lab.close)
on_sweep(forget_idle)  # ended runs and pages' viewers go with the sessions they belonged to


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


def _still(lab: Lab, trainer: Trainer, v: dict, note: str | None = None, ran: str | None = None) -> str:
    """The lab's value after a handler that leaves it still: the picture, the charts and the model graph (``ran``:
    the Step that ran, "d", "g" or "it", whose sub-steps the page's graph plays)."""
    f = _flags(v)
    with lab.lock:
        return still_value(trainer, f["show_manifold"], f["show_arrows"], note, ran)


@functools.cache
def initial_value() -> str:
    """The default run at iteration 0 and its charts: what every page shows on arrival. Computed once and kept
    on disk (``arrival``): building a trainer imports torch's compiler package (~1 s, through torch.optim)."""
    return arrival.cached("toy2d-initial", (), _initial_value)


def warm_up() -> None:
    """Pay once, in the background, what the server's first Play would otherwise pay (~1.2 s on 2 cores, when
    the arrival content came from disk): building a trainer imports torch's compiler package (through
    torch.optim), and its first step compiles the fast path. Run after the server has started
    (``common.after_server_start``)."""
    Trainer(ToyConfig()).step(1)


def _initial_value() -> str:
    return still_value(Trainer(ToyConfig()), note="Press Play to train, or Step to go one update at a time.")


# ---- handlers -------------------------------------------------------------------------------------------


def _client(request) -> dict:
    """Who presses Play: the client's address, and whether a page in a browser (a page-less API client gets a
    few runs only, and never the places pages need)."""
    client = getattr(request, "client", None)
    return {"owner": getattr(client, "host", None) or "local",
            "page": request is None or is_page_session(session_key(request))}


def start(v: dict, request: gr.Request, stop_at: int | None = None):
    """Play in the page: start the run and hand the page its token; the page pulls the frames."""
    lab = _lab(request)
    cfg, flags = _config(v), _flags(v)
    run = lab.start(cfg, speed=_speed(v["speed"]), stop_at=stop_at, share=True, **_client(request), **flags)
    graph = graph_state(cfg, None, *flags["freeze"])  # the model graph's sub-steps, for slow Play
    return json.dumps({"token": run.token, "seq": 0, "state": "running", "graph": graph})


def _frame_response(text: str) -> Response:
    return Response(content=text, media_type="application/json", headers={"Cache-Control": "no-store"})


def _seq(value) -> int:
    try:
        return max(int(value or 0), 0)
    except (TypeError, ValueError, OverflowError):
        return 0


def _rows(value) -> int | None:
    """The number of chart rows the page has (None: it wants none, e.g. an API client)."""
    return None if value is None or value == "" else _seq(value)


async def toy2d_frame(data) -> Response:
    """The page's pull as a server function of the lab component: ``[token, seq, rows]`` → the next frame,
    as the JSON text the training worker made once (no re-encoding per pull), with the chart rows from the
    page's ``rows`` on. The page uses :func:`frame_route` (the same answer for a fifth of the server's CPU)
    and falls back to this."""
    token, seq, rows = (list(data) + [None] * 3)[:3] if isinstance(data, (list, tuple)) else (data, 0, None)
    return _frame_response(await get_scheduler().next_frame_json(token, _seq(seq), rows=_rows(rows)))


async def frame_route(request) -> Response:
    """``GET FRAME_PATH?token=…&after=N``: the page's pull, on a plain route of the web server.

    A class pulls ~250 frames a second; through Gradio's component-server endpoint each costs ~0.9 ms of the
    server's CPU (session lookup, argument handling), here ~0.19 ms (measured on a quiet 2-core machine). The run's token is the key (a
    random secret handed to the session that started it), as for the server function."""
    q = request.query_params
    return _frame_response(await get_scheduler().next_frame_json(q.get("token"), _seq(q.get("after")),
                                                                 rows=_rows(q.get("rows"))))


async def play_stream(v: dict, request: gr.Request):
    """Play for API clients (``/toy2d_play``): the same run, each frame streamed as the lab's value."""
    try:
        lab = _lab(request)
        run = lab.start(_config(v), speed=_speed(v["speed"]), **_client(request), **_flags(v))
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
        return _still(lab, trainer, v, note, ran=kind)

    step.__name__ = f"step_{kind}"
    return step


@user_errors
def reset(v: dict, request: gr.Request):
    lab = _lab(request)
    trainer = lab.reset(_config(v), _flags(v)["freeze"])
    return _still(lab, trainer, v, "New run: networks re-initialised from the seed.")


def load_preset(name: str, request: gr.Request):
    """A preset's settings into the controls, its story into the note, and its run at iteration 0 into the
    pictures (the student's playing run, if any, is paused: the old run must not stay under the new story)."""
    p = PRESETS.get(name)
    if p is None:
        return [gr.skip()] * (len(CONFIG_FIELDS) + 4)
    lab = SESSIONS.get(session_key(request))
    if lab is not None:
        lab.stop_run("paused")
    freeze = [f for f, on in (("freeze D", p.get("freeze_d")), ("freeze G", p.get("freeze_g"))) if on]
    return [*_values(p["config"]), freeze, f"**{name}.** {p['description']}", name, preset_start(name)]


@functools.lru_cache(maxsize=len(PRESETS))
def preset_start(name: str) -> str:
    """The lab's value for a preset's run at iteration 0 (the same for everyone: computed once)."""
    p = PRESETS[name]
    t = Trainer(p["config"])
    Lab.apply_freeze(t, p.get("freeze_d"), p.get("freeze_g"))
    return still_value(t, note=f"{name}: iteration 0. Press Play to watch the story.")


def formula(loss: str) -> str:
    return OBJECTIVES[loss].formula if loss in OBJECTIVES else ""


# the settings the model graph's captions use (its sub-steps follow k, the G steps and the freezes too)
GRAPH_FIELDS = ("loss", "d_steps", "g_steps", "unroll_steps", "pack", "conditional", "gp_weight", "clip_value", "optimizer",
                "lr_d", "lr_g", "batch_size", "z_dim", "z_dist", "freeze")


def graph_update(v: dict, request: gr.Request | None = None):
    """A settings change: the model graph's sub-steps and captions for the new settings (the page redraws the
    captions, not the pictures). Settings that do not make a valid run yet change nothing."""
    try:
        cfg = _config(v)
    except UserError:
        return gr.skip()
    return gr.update(graph=graph_state(cfg, None, *_flags(v)["freeze"]))


@user_errors
def use_drawing(sketch, request: gr.Request):
    """Turn the drawn strokes into the custom data set's points (the picture is checked before decoding)."""
    if not sketch or not isinstance(sketch, dict) or not sketch.get("composite"):
        raise UserError("Draw something on the canvas first.")
    n = _lab(request).use_points(points_from_drawing(safe_input.web_file(sketch["composite"])))
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
        return gr.update(visible=False), compare.GAN_VS_VAE_STORY
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
        rows = [compare.table_row(n, label, snap, compare.side_quality(pair, n.lower()))
                for n, label, snap in (("A", pair.labels[0], sa), ("B", pair.labels[1], sb))]
        yield (*pics, head, rows)


# ---- export / import ---------------------------------------------------------------------------------------


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
    return [*_values(trainer.cfg), _still(lab, trainer, {"show": show}, "Loaded the saved run.")]


# ---- share links -------------------------------------------------------------------------------------------


def make_link(v: dict, request: gr.Request):
    """The query part of a link that reopens this run (the page adds its own address and copies it)."""
    cfg = _config(v)
    options = {"hide": tuple(v["link_hide"] or ()), "lock": bool(v["link_lock"]), "big": bool(v["link_big"]),
               "autoplay": bool(v["link_autoplay"]),
               "steps": integer(v["link_steps"], "Steps", 1, share.MAX_STEPS) if v["link_steps"] else None}
    preset = v["preset_name"] if v["preset_name"] in PRESETS else None
    return share.build_link("", TAB_ID, share.toy2d_state(cfg, preset), options)


def make_present_link(v: dict, request: gr.Request):
    """The projector view of this run: the same link with large type (``big=1``), which the page opens."""
    return make_link({**v, "link_big": True}, request)


def autoplay(v: dict, request: gr.Request):
    """Start Play when an opened link asks for it (stopping at its ``steps``)."""
    play = v.get("link_play") or {}
    if not play.get("autoplay"):
        return gr.skip()
    return start(v, request, stop_at=play.get("steps"))
