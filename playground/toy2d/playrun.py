"""One session's Play as the training scheduler sees it: a trainer, its newest frame, and why it ended.

The scheduler (:mod:`playground.toy2d.scheduler`) gives runs their time slices; a run keeps its own
accounting (iterations, speed, the frame allowance) and wakes the pages waiting for its next frame. The
scheduler touches a run only through its public methods; the locks and their order are written down once, in
the scheduler's module docstring.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import secrets
import threading
import time
from typing import Callable

from playground.toy2d import charts
from playground.toy2d.trainer import Trainer

MAX_ROWS = 500  # chart rows in one answer (a long history comes in a few pulls)
MAX_RECORDED = 300  # frames a shared run keeps for late joiners (~3 MB); beyond, every other one is dropped
FIRST_CHUNK = 10  # iterations of a run's first slice (then the slice is sized from the measured speed)


class PlayRun:
    """One session's Play: a trainer, its frames, and why it stopped.

    ``speed`` is the most iterations trained between two frames (slow motion when small).
    Only a worker holding ``lock`` trains or draws the trainer; other handlers of the session take the
    same lock.
    """

    def __init__(self, trainer: Trainer, *, lock: threading.Lock | None = None, speed: int = 200,
                 extent=None, show_manifold: bool = True, show_arrows: bool = True, note: str | None = None,
                 max_seconds: float = 180.0, idle_seconds: float = 10.0, status: Callable | None = None,
                 on_frame: Callable | None = None, stop_at: int | None = None, owner: str | None = None,
                 page: bool = True):
        self.token = secrets.token_urlsafe(12)
        self.trainer = trainer
        self.lock = lock or threading.Lock()
        self.speed = max(1, int(speed))
        self.extent = extent if extent is not None else trainer.dataset.extent
        self.show_manifold, self.show_arrows = show_manifold, show_arrows
        self.note = note
        self.max_seconds, self.idle_seconds = max_seconds, idle_seconds
        self.status = status  # status(run, snapshot) -> the line shown above the pictures
        self.on_frame = on_frame  # on_frame(run, frame) after each frame (on the worker thread)
        self.stop_at = stop_at  # end the run at this iteration (a link's steps=N)
        self.owner = owner  # who started it (the client's address), for the page-less runs' caps
        self.page = page  # started from a page in a browser (not a page-less API session)
        self.state = "running"  # running | stopped | error
        self.reason: str | None = None  # why it stopped: paused, idle, time, error, replaced
        self.error: BaseException | None = None
        self.started = self.last_seen = 0.0
        self.iterations = 0  # trained by this run
        self.train_seconds = 0.0
        self.per_iteration: float | None = None  # seconds per iteration, smoothed
        self.since_frame = 0  # iterations since the last frame
        self.frame: dict | None = None
        self.seq = 0  # number of frames made
        self.frame_wanted = True  # the first frame as soon as possible
        self.not_before = 0.0  # slow motion: no slice before this time
        self.rate = 0.0  # iterations per second, as last measured between two frames
        self._rate_mark: tuple[float, int] | None = None
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []
        self._parked = False  # not in the ready queue (waiting for the page to take a frame)
        self.last_turn: float | None = None  # when a worker last took it (the scheduler's round timing)
        self._packet_json: tuple | None = None
        self.rows: list[str] = []  # the charts' rows (JSON text each) of every logged iteration up to the newest frame
        # a run shared by every page that pressed Play on the same settings and seed (Scheduler.join_shared):
        self.recording: list[tuple[int, str, int]] | None = None  # its frames: (seq, frame JSON, rows up to it)
        self.viewers = 0  # pages watching it
        self.final: Trainer | None = None  # where it ended (pages that leave it take a copy)

    def take_rows(self) -> int:
        """Add the rows the trainer has logged since the last frame; how many rows the run has now."""
        history = self.trainer.history
        if len(history) > len(self.rows):
            self.rows.extend(json.dumps(charts.chart_row(r)) for r in history[len(self.rows):])
        return len(self.rows)

    def packet_with_rows(self, have: int, frame_rows: int | None = None, text: str | None = None) -> str:
        """:meth:`packet_json` (or ``text``) with the chart rows the page lacks: from its ``have`` up to the
        frame's own (at most MAX_ROWS at a time; the page asks again for the rest)."""
        text = self.packet_json() if text is None else text
        upto = min(len(self.rows) if frame_rows is None else frame_rows, max(have, 0) + MAX_ROWS)
        if upto <= have:
            return text
        return f'{text[:-1]}, "rows_from": {have}, "rows": [{",".join(self.rows[have:upto])}]}}'

    def record(self) -> None:
        """Keep the newest frame for pages that join late (a shared run); thin out the oldest beyond the cap."""
        self.recording.append((self.seq, json.dumps(self.frame, allow_nan=False), len(self.rows)))
        if len(self.recording) > MAX_RECORDED:  # every other one goes; never the first (it holds the real data and
            # the charts' spec) nor the newest (a page that has seen it must wait for the next, not get it again)
            self.recording[1:-1] = self.recording[2:-1:2]

    def recorded_at(self, seq: int) -> str | None:
        """The recorded frame (JSON) a page that has seen frame ``seq`` shows: the newest kept at or before it."""
        return next((f for s, f, _ in reversed(self.recording or []) if s <= seq), None)

    def copy_trainer(self) -> Trainer | None:
        """A copy of the trainer as it is now, or as the run ended (a page leaving a shared run goes on with it)."""
        with self.lock:
            source = self.trainer if self.trainer is not None else self.final
            return source.clone() if source is not None else None

    def recorded_after(self, seq: int) -> tuple[int, str, int]:
        """The recorded frame a page that has seen frame ``seq`` gets next. A page behind by many frames (it
        joined late, or draws slowly) fast-forwards: it skips an eighth of its lag each time, so it replays
        the run from the start and catches up within a second or two."""
        if seq <= 0:
            return self.recording[0]  # the first frame brings the real data and the charts' declarations
        target = seq + 1 + max(self.seq - seq - 1, 0) // 8
        i = bisect.bisect_left([r[0] for r in self.recording], target)
        return self.recording[min(i, len(self.recording) - 1)]

    @property
    def running(self) -> bool:
        return self.state == "running"

    def stop(self) -> None:
        """Ask the run to stop; a worker ends it (with a last frame) at its next turn."""
        self._stop.set()

    @property
    def stop_asked(self) -> bool:
        """:meth:`stop` has been called (the run may not have ended yet)."""
        return self._stop.is_set()

    def packet(self) -> dict:
        """What a page gets: the newest frame and the run's state."""
        out = {"token": self.token, "seq": self.seq, "state": self.state, "frame": self.frame}
        if self.reason:
            out["reason"] = self.reason
        if self.error is not None:
            out["error"] = str(self.error)
        return out

    def packet_json(self) -> str:
        """:meth:`packet` as JSON, made once per frame and state (every pull of it reuses the text)."""
        key = (self.seq, self.state, self.reason)
        cached = self._packet_json
        if cached is None or cached[0] != key:
            cached = self._packet_json = (key, json.dumps(self.packet(), allow_nan=False))
        return cached[1]

    # -- called by the scheduler with the run's lock held --------------------------------------------------

    def iterations_for(self, budget_s: float) -> int:
        """How many iterations fit in ``budget_s`` seconds, within the frame's ``speed`` allowance."""
        if self.per_iteration is None:
            k = FIRST_CHUNK
        else:
            k = int(budget_s / max(self.per_iteration, 1e-7))
        k = min(max(k, 1), self.speed - self.since_frame)
        if self.stop_at is not None:
            k = min(k, self.stop_at - self.trainer.iteration)
        return max(0, k)

    def record_slice(self, k: int, seconds: float) -> None:
        self.iterations += k
        self.since_frame += k
        self.train_seconds += seconds
        per = seconds / max(k, 1)
        self.per_iteration = per if self.per_iteration is None else 0.7 * self.per_iteration + 0.3 * per

    def measure_rate(self, now: float) -> None:
        """Update ``rate``: iterations per second since the last time this was called (at each frame)."""
        if self._rate_mark is not None:
            t_prev, it_prev = self._rate_mark
            if now > t_prev:
                self.rate = (self.iterations - it_prev) / (now - t_prev)
        self._rate_mark = (now, self.iterations)

    # -- whether the run waits for its page: called by the scheduler with its queue lock held --------------

    @property
    def parked(self) -> bool:
        """Out of the workers' queue: it has trained its frame's allowance and waits for the page to take it."""
        return self._parked

    def park(self) -> None:
        self._parked = True

    def unpark(self) -> bool:
        """Back towards the workers' queue; False when it was not parked (then it is in the queue already, or
        with a worker)."""
        was, self._parked = self._parked, False
        return was

    # -- the pages waiting for the next frame (the run's own condition; no other lock is taken inside it) ---

    def frame_future(self) -> asyncio.Future:
        """A future of the running event loop, resolved at the run's next frame or end (:meth:`notify`)."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        with self._cond:
            self._waiters.append((loop, fut))
        return fut

    def wait_for_frame(self, after: int, deadline: float) -> None:
        """Block this thread until the run has a frame newer than ``after``, has ended, or ``time.monotonic()``
        reaches ``deadline``."""
        with self._cond:
            while self.seq <= after and self.running and time.monotonic() < deadline:
                self._cond.wait(min(0.05, max(deadline - time.monotonic(), 0.0)))

    def notify(self) -> None:
        """Wake every page waiting for a frame (:meth:`frame_future`, :meth:`wait_for_frame`)."""
        with self._cond:
            waiters, self._waiters = self._waiters, []
            self._cond.notify_all()
        for loop, fut in waiters:
            loop.call_soon_threadsafe(_resolve, fut)


def _resolve(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(None)


class Viewer:
    """One page watching a shared run: its own token and position in the run's frames, and, once it has left
    (Pause, Step, another Play), a last frame of its own (a still of the copy its lab took)."""

    def __init__(self, run: PlayRun):
        self.token = secrets.token_urlsafe(12)
        self.run = run
        self.seq = 0  # the newest frame of the run this page was handed
        self.state = "running"
        self.reason: str | None = None
        self.last_seen = 0.0
        self.left: str | None = None  # its own last packet (JSON) once it has left the run
        self.copied = False  # its lab has taken its copy of the run (playground.toy2d.lab)

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def error(self) -> BaseException | None:
        return self.run.error

    def packet(self) -> dict:
        """Where this page is: its last frame and state (as :meth:`PlayRun.packet`)."""
        if self.left is not None:
            return json.loads(self.left)
        frame = self.run.recorded_at(self.seq)
        return {"token": self.token, "seq": self.seq, "state": self.state,
                "frame": None if frame is None else json.loads(frame)}

    def packet_json(self, seq: int, frame_json: str, state: str, reason: str | None = None) -> str:
        news = f', "reason": {json.dumps(reason)}' if reason else ""
        if state == "error" and self.run.error is not None:
            news += f', "error": {json.dumps(str(self.run.error))}'
        return (f'{{"token": {json.dumps(self.token)}, "seq": {seq}, "state": "{state}"{news}, '
                f'"frame": {frame_json}}}')
