"""The 2-D GAN lab tab's handlers: each a few lines between the page and :mod:`playground.toy2d.lab`.

Each handler takes its inputs as a dict by name and returns (or yields) its outputs the same way, the names of
the components in :mod:`playground.ui.toy2d.layout` (``playground.ui.common.on`` wires them); they never see
the layout. A playing run's frames do not come through here: the page pulls them
(:mod:`playground.ui.toy2d.frame_route`).
"""

from __future__ import annotations

import functools
import json

import gradio as gr

from playground import share
from playground.errors import UserError
from playground import safe_input
from playground.safe_input import integer
from playground.ui import arrival
from playground.ui.sessions import SessionStore, is_page_session, on_sweep
from playground.toy2d import compare
from playground.toy2d.config import SETTINGS, ToyConfig
from playground.toy2d.data import DEFAULT_MODES, load_points_csv, points_from_drawing
from playground.toy2d.lab import MAX_SPEED, Lab, still_value
from playground.toy2d.graph import graph_state
from playground.toy2d.losses import OBJECTIVES
from playground.toy2d.presets import PRESETS
from playground.toy2d.render import image_figure_html, render_frame
from playground.toy2d.scheduler import forget_idle, get_scheduler
from playground.toy2d.trainer import Trainer
from playground.ui.common import session_key

TAB_ID = "toy2d"
MAX_PLAY_SECONDS = 180  # auto-pause so one open tab cannot hold a shared Space's CPU forever
IDLE_SECONDS = 10  # a run whose page stops asking for frames (closed or hidden tab) ends
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


def control_values(cfg: ToyConfig) -> dict:
    """The controls' values for a config, by setting name (in CONFIG_FIELDS order: ``list(….values())`` is what
    an API client sends)."""
    d = cfg.to_dict()
    out = {}
    for name in CONFIG_FIELDS:
        value = d[name]
        if value is None:
            value = _default_modes(cfg.dataset) if name == "n_modes" else SETTINGS[name].control_default
        out[name] = value
    return out


def _default_modes(dataset: str) -> int:
    """The mode count the control shows for a data set: its own (``data.DEFAULT_MODES``), else the slider's."""
    return DEFAULT_MODES.get(dataset, SETTINGS["n_modes"].control_default)


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


def _start(v: dict, request: gr.Request, stop_at: int | None = None) -> str:
    """Start the run of the settings ``v`` and give the lab's value that hands the page its token."""
    lab = _lab(request)
    cfg, flags = _config(v), _flags(v)
    run = lab.start(cfg, speed=_speed(v["speed"]), stop_at=stop_at, share=True, **_client(request), **flags)
    graph = graph_state(cfg, None, *flags["freeze"])  # the model graph's sub-steps, for slow Play
    return json.dumps({"token": run.token, "seq": 0, "state": "running", "graph": graph})


def start(v: dict, request: gr.Request) -> dict:
    """Play in the page: start the run and hand the page its token; the page pulls the frames."""
    return {"lab": _start(v, request)}


async def play_stream(v: dict, request: gr.Request):
    """Play for API clients (``/toy2d_play``): the same run, each frame streamed as the lab's value."""
    lab = _lab(request)
    run = lab.start(_config(v), speed=_speed(v["speed"]), **_client(request), **_flags(v))
    scheduler, seq = get_scheduler(), 0
    while True:
        packet = await scheduler.next_frame(run.token, seq)
        if packet["seq"] > seq or packet["state"] != "running":
            seq = packet["seq"]
            yield {"lab": run.packet_json()}
        if packet["state"] != "running":
            if packet.get("error"):
                raise gr.Error(packet["error"])
            return


def pause(v: dict, request: gr.Request) -> dict:
    """Pause: stop this session's run, and a comparison in progress."""
    lab = SESSIONS.get(session_key(request))
    if lab is not None:
        lab.compare_stop.set()
        lab.stop_run("paused")
    return {}


def live_controls(v: dict, request: gr.Request) -> dict:
    """Speed, freezes and what to show take effect on a playing run at once."""
    lab = SESSIONS.get(session_key(request))
    if lab is None:
        return {}
    f = _flags(v)
    if lab.trainer is not None:
        Lab.apply_freeze(lab.trainer, *f["freeze"])
    run = lab.run
    if run is not None and run.running:
        try:
            run.speed = _speed(v["speed"])
        except UserError:
            pass
        run.show_manifold, run.show_arrows = f["show_manifold"], f["show_arrows"]
    return {}


def _step(kind: str, v: dict, request: gr.Request) -> dict:
    lab = _lab(request)
    trainer, note = lab.step(_config(v), kind, _flags(v)["freeze"])
    return {"lab": _still(lab, trainer, v, note, ran=kind)}


def step_d(v: dict, request: gr.Request) -> dict:
    """Step D: one discriminator update (a playing run pauses first)."""
    return _step("d", v, request)


def step_g(v: dict, request: gr.Request) -> dict:
    """Step G: one generator update."""
    return _step("g", v, request)


def step_it(v: dict, request: gr.Request) -> dict:
    """Step iteration: one training iteration, as Play runs them."""
    return _step("it", v, request)


STEPS = {"d": step_d, "g": step_g, "it": step_it}  # the Step buttons' handlers, by the step's kind


def reset(v: dict, request: gr.Request) -> dict:
    lab = _lab(request)
    trainer = lab.reset(_config(v), _flags(v)["freeze"])
    return {"lab": _still(lab, trainer, v, "New run: networks re-initialised from the seed.")}


def load_preset(v: dict, request: gr.Request) -> dict:
    """A preset's settings into the controls, its story into the note, and its run at iteration 0 into the
    pictures (the student's playing run, if any, is paused: the old run must not stay under the new story)."""
    name = v["preset"]
    p = PRESETS.get(name)
    if p is None:
        return {}
    lab = SESSIONS.get(session_key(request))
    if lab is not None:
        lab.stop_run("paused")
    freeze = [f for f, on in (("freeze D", p.get("freeze_d")), ("freeze G", p.get("freeze_g"))) if on]
    return {**control_values(p["config"]), "freeze": freeze, "preset_note": f"**{name}.** {p['description']}",
            "preset_name": name, "lab": preset_start(name)}


@functools.lru_cache(maxsize=len(PRESETS))
def preset_start(name: str) -> str:
    """The lab's value for a preset's run at iteration 0 (the same for everyone: computed once)."""
    p = PRESETS[name]
    t = Trainer(p["config"])
    Lab.apply_freeze(t, p.get("freeze_d"), p.get("freeze_g"))
    return still_value(t, note=f"{name}: iteration 0. Press Play to watch the story.")


def formula(loss: str) -> str:
    """The objective's formula, as the loss picker shows it under itself."""
    return OBJECTIVES[loss].formula if loss in OBJECTIVES else ""


def show_formula(v: dict, request: gr.Request | None = None) -> dict:
    return {"loss_formula": formula(v["loss"])}


def default_modes(v: dict, request: gr.Request | None = None) -> dict:
    """A data set picked: its own number of modes."""
    return {"n_modes": _default_modes(v["dataset"])}


# the settings the model graph's captions use (its sub-steps follow k, the G steps and the freezes too)
GRAPH_FIELDS = ("loss", "d_steps", "g_steps", "unroll_steps", "pack", "conditional", "gp_weight", "clip_value", "optimizer",
                "lr_d", "lr_g", "batch_size", "z_dim", "z_dist", "freeze")


def graph_update(v: dict, request: gr.Request | None = None) -> dict:
    """A settings change: the model graph's sub-steps and captions for the new settings (the page redraws the
    captions, not the pictures). Settings that do not make a valid run yet change nothing."""
    try:
        cfg = _config(v)
    except UserError:
        return {}
    return {"lab": gr.update(graph=graph_state(cfg, None, *_flags(v)["freeze"]))}


def use_drawing(v: dict, request: gr.Request) -> dict:
    """Turn the drawn strokes into the custom data set's points (the picture is checked before decoding)."""
    sketch = v["sketch"]
    if not sketch or not isinstance(sketch, dict) or not sketch.get("composite"):
        raise UserError("Draw something on the canvas first.")
    n = _lab(request).use_points(points_from_drawing(safe_input.web_file(sketch["composite"])))
    gr.Info(f"Using {n:,} points from your drawing. Press Play to train on them.")
    return {"dataset": "custom"}


def use_csv(v: dict, request: gr.Request) -> dict:
    file = v["csv_file"]
    if file is None:
        raise UserError("Choose a CSV file with two columns, x and y.")
    n = _lab(request).use_points(load_points_csv(file if isinstance(file, str) else file.name))
    gr.Info(f"Using {n:,} points from the CSV file. Press Play to train on them.")
    return {"dataset": "custom"}


# ---- compare -----------------------------------------------------------------------------------------------


def compare_choice(v: dict, request: gr.Request | None = None) -> dict:
    """Show the custom-B controls only for a custom comparison; the preset's story otherwise."""
    choice = v["choice"]
    if choice in compare.COMPARE_PRESETS:
        return {"custom_b": gr.update(visible=False), "cmp_note": compare.COMPARE_PRESETS[choice]["description"]}
    if choice == compare.GAN_VS_VAE:
        return {"custom_b": gr.update(visible=False), "cmp_note": compare.GAN_VS_VAE_STORY}
    return {"custom_b": gr.update(visible=True),
            "cmp_note": "Run **A** uses the settings above; **B** changes only what you pick here."}


def run_compare(v: dict, request: gr.Request):
    """Train A and B in lock-step, yielding both pictures, the heading and the table as they go."""
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
        yield {"img_a": pics[0], "img_b": pics[1], "cmp_head": head, "cmp_table": rows}


# ---- export / import ---------------------------------------------------------------------------------------


def export_csv(v: dict, request: gr.Request) -> dict:
    return {"export_file": str(_lab(request).export_csv())}


def export_gif(v: dict, request: gr.Request) -> dict:
    return {"export_file": str(_lab(request).export_gif())}


def export_model(v: dict, request: gr.Request) -> dict:
    return {"export_file": str(_lab(request).export_model())}


def import_model(v: dict, request: gr.Request) -> dict:
    """A saved run (.zip) becomes this session's run: its settings into the controls, its picture into the lab."""
    file = v["load_file"]
    if file is None:
        raise UserError("Choose a .zip saved by 'Download model'.")
    lab = _lab(request)
    trainer = lab.import_model(file if isinstance(file, str) else file.name)
    return {**control_values(trainer.cfg), "lab": _still(lab, trainer, v, "Loaded the saved run.")}


# ---- share links -------------------------------------------------------------------------------------------


def make_link(v: dict, request: gr.Request):
    """The query part of a link that reopens this run (the page adds its own address and copies it)."""
    cfg = _config(v)
    options = {"hide": tuple(v["link_hide"] or ()), "lock": bool(v["link_lock"]), "big": bool(v["link_big"]),
               "autoplay": bool(v["link_autoplay"]),
               "steps": integer(v["link_steps"], "Steps", 1, share.MAX_STEPS) if v["link_steps"] else None}
    preset = v["preset_name"] if v["preset_name"] in PRESETS else None
    return share.build_link("", TAB_ID, share.toy2d_state(cfg, preset), options)


def present(v: dict, request: gr.Request) -> dict:
    """The projector view of this run: the same link with large type (``big=1``), which the page opens."""
    return {"link_box": make_link({**v, "link_big": True}, request)}


def link_values(state: dict, options: dict) -> dict:
    """What an opened share link sets, by name: every setting and the preset (read-only with ``lock``), the
    preset's story, and whether to start at once (``autoplay``, ``steps``), which :func:`autoplay` then does."""
    cfg = share.toy2d_config(state)
    lock = bool(options.get("lock"))
    preset = state.get("preset")
    known = preset if preset in PRESETS else None
    out = {name: gr.update(value=value, interactive=not lock) for name, value in control_values(cfg).items()}
    out.update(preset=gr.update(value=known, interactive=not lock), preset_name=known,
               link_play={"autoplay": bool(options.get("autoplay")), "steps": options.get("steps")})
    if preset in PRESETS:
        out["preset_note"] = f"**{preset}.** {PRESETS[preset]['description']}"
    elif preset in compare.COMPARE_PRESETS:  # the comparison is chosen, ready to train
        out["preset_note"] = f"**{preset}.** Open *Compare two runs* and press *Train A and B*."
        out.update(compare_choice({"choice": preset}), choice=preset)
    return out


def autoplay(v: dict, request: gr.Request) -> dict:
    """Start Play when an opened link asks for it (stopping at its ``steps``)."""
    play = v.get("link_play") or {}
    if not play.get("autoplay"):
        return {}
    return {"lab": _start(v, request, stop_at=play.get("steps"))}
