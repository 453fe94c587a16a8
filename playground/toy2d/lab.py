"""One student's 2-D lab: the trainer, their own data, the playing run, and what Export needs.

The tab keeps one :class:`Lab` per browser session and calls these methods; everything here works
without Gradio (the tests drive it directly). Play hands the trainer to the process's training
scheduler (:mod:`playground.toy2d.scheduler`); while it plays, only the scheduler's worker touches the
trainer, and every other method takes the same ``lock``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import zipfile
from collections import deque
from pathlib import Path

import numpy as np

from playground.archive import SafeZip, ZipLimits
from playground.errors import UserError
from playground.toy2d import charts
from playground.toy2d.config import ToyConfig
from playground.toy2d.data import fit_to_view, make_dataset
from playground.toy2d.frames import LIVE_MANIFOLD_POINTS, encode_frame, snapshot_from_frame
from playground.toy2d.graph import graph_state
from playground.toy2d.render import render_frame, write_gif
from playground.toy2d.scheduler import LIVE_DENSITY_SAMPLES, PlayRun, Viewer, get_scheduler
from playground.toy2d.trainer import Trainer

MAX_GIF_FRAMES = 120
GIF_EVERY = 3  # keep every 3rd frame of a run for the GIF
MAX_SPEED = 500  # iterations per frame at most
MAX_SAVED_RUN_BYTES = 50 * 2**20  # a saved run's weights (a 2-D GAN's are < 1 MB)
MAX_SAVED_CONFIG_BYTES = 4 * 2**20  # its config.json with the history (~16,000 logged rows)
MAX_ZIP_RATIO = 50  # a saved run's files compress ~2x; more is a zip bomb
# Two files, and room for what a re-zipping tool adds (__MACOSX/ entries).
SAVED_RUN_ZIP = ZipLimits(entries=16, total_bytes=MAX_SAVED_RUN_BYTES + MAX_SAVED_CONFIG_BYTES,
                          what="a saved 2-D run", member_bytes=MAX_SAVED_RUN_BYTES, ratio=MAX_ZIP_RATIO)

STOP_NOTES = {
    "paused": "Paused. Press Play to continue.",
    "idle": "Paused: this page stopped asking for pictures (closed or hidden). Press Play to continue.",
    "steps": "Stopped at the number of iterations the link asked for. Press Play to continue.",
}


def time_note(max_seconds: float) -> str:
    return f"Paused automatically after {max_seconds / 60:g} minutes so others can train too. Press Play to continue."


def stop_note(reason: str | None, max_seconds: float) -> str | None:
    return STOP_NOTES.get(reason) or (time_note(max_seconds) if reason == "time" else None)


def shared_status(run: PlayRun, snap: dict) -> str:
    """The status line of a run shared by several pages (the same settings and seed, from iteration 0)."""
    if run.reason:
        note = stop_note(run.reason, run.max_seconds)
    elif run.viewers > 1:
        note = f"The same settings and seed on {run.viewers} pages: this run is trained once and shown on each."
    else:
        note = None
    return charts.status_line(run.trainer, snap, note, run.rate if run.running and not run.reason else None)


class Lab:
    """A session's lab; see the module docstring. ``max_seconds``/``idle_seconds`` bound each Play."""

    def __init__(self, max_seconds: float = 180.0, idle_seconds: float = 10.0):
        self.trainer: Trainer | None = None
        self.points: np.ndarray | None = None  # the custom data set (drawn or uploaded)
        self.run: PlayRun | None = None
        self.frames: deque = deque(maxlen=MAX_GIF_FRAMES)  # compact frames of the current run, for the GIF
        self.real: np.ndarray | None = None  # the real points those frames were drawn with
        self.lock = threading.Lock()
        self.compare_stop = threading.Event()
        self.max_seconds, self.idle_seconds = max_seconds, idle_seconds
        self._tmpdir: Path | None = None

    # ---- the run's settings -----------------------------------------------------------------------

    def ensure(self, cfg: ToyConfig) -> tuple[Trainer, str | None]:
        """The trainer for ``cfg`` (a new run when the settings changed) and a note saying so. Hold ``lock``."""
        t = self.trainer
        if t is not None and t.cfg.to_dict() == cfg.to_dict():
            return t, None
        if cfg.dataset == "custom" and self.points is None:
            raise UserError("Draw some points on the canvas (or upload a CSV of x,y rows) before training on "
                            "custom data.")
        self.trainer = self.new_trainer(cfg)
        self.frames.clear()
        return self.trainer, ("Settings changed: started a new run." if t is not None else None)

    def new_trainer(self, cfg: ToyConfig) -> Trainer:
        return Trainer(cfg, make_dataset(cfg, self.points if cfg.dataset == "custom" else None))

    def use_points(self, points) -> int:
        """Make ``points`` (n, 2) the custom data set; returns how many."""
        self.stop_run()
        with self.lock:
            self.points = fit_to_view(points)
            self.trainer = None
        return len(self.points)

    @staticmethod
    def apply_freeze(trainer: Trainer, freeze_d: bool, freeze_g: bool) -> None:
        trainer.freeze_d, trainer.freeze_g = bool(freeze_d), bool(freeze_g)

    # ---- Play -------------------------------------------------------------------------------------

    def start(self, cfg: ToyConfig, *, speed: int = 200, freeze=(False, False), show_manifold: bool = True,
              show_arrows: bool = True, stop_at: int | None = None, share: bool = False, owner: str | None = None,
              page: bool = True) -> PlayRun | Viewer:
        """Start (or restart) Play: the run goes to the scheduler; frames come from :meth:`PlayRun`.

        With ``share``, a run from iteration 0 on the built-in data is the class's: every page that presses
        Play with the same settings, seed and view watches one run, trained once (a :class:`Viewer` of it).
        Pause, Step or any change leaves it with a copy of where it was: the student goes on alone.
        ``owner`` (the client's address) and ``page`` (a browser page, not an API client) let the scheduler cap
        page-less clients (:data:`playground.toy2d.scheduler.API_RUNS_PER_CLIENT`)."""
        speed = max(1, min(int(speed), MAX_SPEED))
        self.stop_run("replaced")
        with self.lock:
            t = self.trainer
            fresh = cfg.dataset != "custom" and (t is None or t.iteration == 0 or t.cfg.to_dict() != cfg.to_dict())
            if share and fresh:  # the class's run; this lab gets its own trainer when it leaves it (a copy)
                self.trainer = None
                self.frames.clear()
        if share and fresh:
            key = json.dumps([cfg.to_dict(), [bool(f) for f in freeze], speed, bool(show_manifold),
                              bool(show_arrows), stop_at], sort_keys=True)

            def make() -> PlayRun:
                t = self.new_trainer(cfg)
                self.apply_freeze(t, *freeze)
                return PlayRun(t, speed=speed, show_manifold=show_manifold, show_arrows=show_arrows,
                               max_seconds=self.max_seconds, idle_seconds=self.idle_seconds, status=shared_status,
                               stop_at=stop_at, owner=owner, page=page)

            self.run = get_scheduler().join_shared(key, make, owner, page)
            return self.run
        get_scheduler().check_room(owner, page)  # a refused Play builds no trainer
        with self.lock:
            trainer, note = self.ensure(cfg)
            self.apply_freeze(trainer, *freeze)
        run = PlayRun(trainer, lock=self.lock, speed=speed, note=note, show_manifold=show_manifold,
                      show_arrows=show_arrows, max_seconds=self.max_seconds, idle_seconds=self.idle_seconds,
                      status=self._status, on_frame=self._keep, stop_at=stop_at, owner=owner, page=page)
        self.run = get_scheduler().submit(run)
        return run

    def stop_run(self, reason: str = "paused") -> None:
        if isinstance(self.run, Viewer):
            self._leave_shared(self.run, reason)
        elif self.run is not None:
            get_scheduler().stop(self.run, reason)

    def _leave_shared(self, viewer: Viewer, reason: str) -> None:
        """Take a copy of the shared run as it is now (or as it ended), show it, and go on alone from there."""
        if viewer.copied:
            return
        viewer.copied = True
        shared = viewer.run
        mine = shared.copy_trainer()
        recorded = list(shared.recording or [])
        last = None
        if mine is not None:
            with self.lock:
                self.trainer = mine
                self.frames.clear()
                self.frames.extend(json.loads(f) for _, f, _ in recorded[1::GIF_EVERY][-MAX_GIF_FRAMES:])
                if recorded:
                    self.real = snapshot_from_frame(json.loads(recorded[0][1]))["real"]
                last = still_frame(mine, shared.show_manifold, shared.show_arrows, stop_note(reason, self.max_seconds),
                                   live=True)
        get_scheduler().stop(viewer, reason, last_frame=last)

    def _status(self, run: PlayRun, snap: dict) -> str:
        if run.reason:
            note = stop_note(run.reason, run.max_seconds)
        else:
            note = run.note if run.seq < 30 else None
        return charts.status_line(run.trainer, snap, note, run.rate if run.running and not run.reason else None)

    def _keep(self, run: PlayRun, frame: dict) -> None:
        """Keep every GIF_EVERY-th frame for the GIF export (called on the training worker)."""
        if "real" in frame:
            self.real = snapshot_from_frame(frame)["real"]
        if run.seq % GIF_EVERY == 1:
            self.frames.append(frame)

    # ---- still pictures ---------------------------------------------------------------------------

    def step(self, cfg: ToyConfig, kind: str, freeze=(False, False)) -> tuple[Trainer, str | None]:
        """One D update ("d"), one G update ("g") or one iteration ("it"); pauses a running Play."""
        self.stop_run("paused")
        with self.lock:
            trainer, note = self.ensure(cfg)
            self.apply_freeze(trainer, *freeze)
            {"d": trainer.d_step, "g": trainer.g_step, "it": lambda: trainer.step(1)}[kind]()
        return trainer, note

    def reset(self, cfg: ToyConfig, freeze=(False, False)) -> Trainer:
        self.stop_run("paused")
        with self.lock:
            self.trainer = None
            trainer, _ = self.ensure(cfg)
            self.apply_freeze(trainer, *freeze)
        return trainer

    # ---- export and import ------------------------------------------------------------------------

    @property
    def tmpdir(self) -> Path:
        """A folder for this session's downloads, made on first use (most sessions never export)."""
        if self._tmpdir is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="toy2d-"))
        return self._tmpdir

    def _need_trainer(self) -> Trainer:
        viewer = self.run
        if isinstance(viewer, Viewer) and not viewer.copied:  # watching a shared run: export where it is
            if viewer.running:
                mine = viewer.run.copy_trainer()
                if mine is not None:
                    return mine
            else:
                self._leave_shared(viewer, viewer.reason or "steps")
        if self.trainer is None:
            raise UserError("Nothing to export yet: press Play or Step first.")
        return self.trainer

    def export_csv(self) -> Path:
        t = self._need_trainer()
        with self.lock:  # a playing run may be training it right now
            path = self.tmpdir / f"gan2d-metrics-it{t.iteration}.csv"
            path.write_text(t.history_csv())
        return path

    def export_gif(self) -> Path:
        t = self._need_trainer()
        frames = list(self.frames)
        if len(frames) < 2:
            raise UserError("Record a few frames first: press Play for a couple of seconds.")
        path = self.tmpdir / f"gan2d-run-it{t.iteration}.gif"
        pictures = []
        for f in frames:
            snap = snapshot_from_frame(f, self.real)
            if t.n_labels and "fake_labels" not in snap:  # a conditional G's labels come with a run's first frame only
                snap.update(fake_labels=t.eval_labels(len(snap["fake"])), n_labels=t.n_labels)
            pictures.append(render_frame(snap, t.dataset.extent, size=240))
        write_gif(pictures, path, fps=10)
        return path

    def export_model(self) -> Path:
        t = self._need_trainer()
        out = self.tmpdir / "model"
        shutil.rmtree(out, ignore_errors=True)
        with self.lock:
            t.save(out)
        zpath = self.tmpdir / f"gan2d-run-it{t.iteration}.zip"
        with zipfile.ZipFile(zpath, "w") as z:
            for f in sorted(out.iterdir()):
                z.write(f, f.name)
        return zpath

    def import_model(self, src: str | Path) -> Trainer:
        """Load a run saved by :meth:`export_model`: the zip's directory is checked first
        (:data:`SAVED_RUN_ZIP`), then each file is read through a bounded stream."""
        dest = self.tmpdir / "loaded"
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir()
        limits = {"model.safetensors": MAX_SAVED_RUN_BYTES, "config.json": MAX_SAVED_CONFIG_BYTES}
        with SafeZip(src, SAVED_RUN_ZIP) as z:
            infos = {name: z.info(name) for name in limits}
            if None in infos.values():
                raise UserError("That zip is not a saved 2-D run: it needs config.json and model.safetensors.")
            for name, limit in limits.items():
                if infos[name].file_size > limit:
                    raise UserError(f"That saved run's {name} is too large to be a 2-D GAN's.")
                (dest / name).write_bytes(z.read(infos[name]))
        trainer = Trainer.load(dest)
        self.stop_run("paused")
        with self.lock:
            self.trainer = trainer
            self.frames.clear()
        return trainer

    def close(self) -> None:
        """The session ended: stop its run and delete its downloads."""
        self.compare_stop.set()
        if self.run is not None:
            get_scheduler().stop(self.run, "idle")  # a shared run goes on for the other pages
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)


def still_frame(trainer: Trainer, show_manifold: bool = True, show_arrows: bool = True,
                note: str | None = None, live: bool = False) -> dict:
    """The frame of a trainer as it is now (Step, Reset, Load, the page on arrival). ``live``: drawn as a live
    frame is (the last logged mode metrics, D* from fewer samples: ~10x cheaper), for leaving a shared run."""
    quick = dict(fresh_metrics=False, n_density=LIVE_DENSITY_SAMPLES) if live else {}
    snap = trainer.snapshot(manifold_points=LIVE_MANIFOLD_POINTS, **quick)
    return encode_frame(snap, trainer.dataset.extent, status=charts.status_line(trainer, snap, note), with_real=True,
                        show_manifold=show_manifold, show_arrows=show_arrows)


def still_value(trainer: Trainer, show_manifold: bool = True, show_arrows: bool = True,
                note: str | None = None, ran: str | None = None) -> str:
    """:func:`still_frame` as the lab component's value, with the charts' declarations and every row, and the
    model graph's sub-steps (``ran``: "d", "g" or "it" after a Step, which the page then plays in order)."""
    graph = graph_state(trainer.cfg, ran, trainer.freeze_d, trainer.freeze_g)
    return json.dumps({"frame": still_frame(trainer, show_manifold, show_arrows, note), "state": "stopped",
                       **charts.chart_data(trainer), "graph": graph})
