"""One training scheduler for every session of the process that presses Play.

A class of thirty pressing Play at once must all be served, and a small Space has two cores. So no
session gets a thread of its own: a few worker threads (one per core) take the playing runs in turn,
round robin, and give each a *time slice*: train for a few milliseconds, then draw a frame if the
page asked for one. Every run gets the same share of training time, the slice shrinks as more runs
play (so each still sees several frames a second) and grows when few do (so a run alone trains in long
chunks, as fast as the trainer goes).

Frames are made on demand: a page asks for the next frame once it has drawn the last one
(:meth:`Scheduler.next_frame`, awaited by the web server's event loop without holding a thread), so a
slow laptop gets fewer frames, never a backlog. A run stops when asked (Pause), when its page stops
asking for frames (``idle_seconds``: the tab was closed), after ``max_seconds``, or when training
fails (a diverging run keeps its message; the other runs go on).

Locks, always taken in this order, never the other way round:

1. ``Scheduler._share_lock``: one look-up-or-start of a shared run at a time (:meth:`Scheduler.join_shared`).
2. ``PlayRun.lock``: the run's trainer. A worker holds it for a whole slice (train, draw, or end the run); the
   session's other handlers (Step, a still, leaving a shared run) take it too.
3. ``Scheduler._cv``: the scheduler's tables (playing, ready, ended and shared runs, viewers) and whether a run
   is parked (:meth:`PlayRun.park`, :meth:`PlayRun.unpark`, which take no lock of their own); held for a few
   lines, never while training or drawing.
4. The run's own condition, held only inside :meth:`PlayRun.notify`, :meth:`PlayRun.frame_future` and
   :meth:`PlayRun.wait_for_frame`, which take no other lock while they hold it.

The scheduler reads and sets a run only through :class:`PlayRun`'s public methods and fields.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import threading
import time
from collections import OrderedDict, deque
from typing import Callable

from playground.toy2d import charts
from playground.toy2d.frames import LIVE_MANIFOLD_POINTS, encode_frame
from playground.toy2d.playrun import FIRST_CHUNK, PlayRun, Viewer  # noqa: F401 - part of this API

FPS_ALONE = 24.0  # frames a second aimed for while a run has a core to itself
FPS_CROWDED = 5.0  # ... and when many runs share the cores: the frames give way to training (a frame costs a
# few ms of a core; at 9 frames/s, 30 runs' frames took ~0.8 of the machine's 2 cores and each run trained ~30 it/s)
FRAMES_PER_WORKER = 75.0  # beyond this many frames a second per worker (60 runs at 5/s on 2 workers: 150 each),
FPS_FLOOR = 3.0  # ... a crowd's frames slow further, down to this, and training keeps the time they would cost
MIN_SLICE_S = 0.002  # shortest training slice (shorter ones would spend more time switching than training)
TRAIN_OVER_FRAME = 0.5  # a slice trains at least half as long as a frame takes to draw: when the machine is
# crowded, frames come less often rather than training stopping (measured with benchmarks/classroom.py: 1.0 gave
# 30 students 9.0 frames/s each, 0.5 gave 9.5 with as much training)
MAX_SLICE_S = 0.05
SLOW_MOTION_SPEED = 20  # below this many iterations per frame, frames come at most SLOW_MOTION_FPS
SLOW_MOTION_FPS = 10.0
ENDED_KEPT = 256  # ended runs whose last frame and reason a page may still ask for
API_RUNS_PER_CLIENT = 4  # runs one page-less client (an address without a page) may have training at once
API_SHARE = 0.25  # of max_runs: what page-less sessions may hold together; the rest is kept for pages
SHARED_KEPT = 16  # shared runs a late page may still join (replaying the frames of a finished one)
VIEWERS_KEPT = 4096  # pages watching shared runs (and recently left), by token
LIVE_DENSITY_SAMPLES = 1000  # G samples behind the live D*'s density estimate


def default_workers() -> int:
    """One worker per core this process may use (``PLAYGROUND_TRAIN_WORKERS`` overrides)."""
    env = os.environ.get("PLAYGROUND_TRAIN_WORKERS")
    if env:
        return max(1, int(env))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class Scheduler:
    """Shares the training workers fairly among the playing runs; see the module docstring.

    ``clock`` (deadlines) and ``timer`` (measuring slices) may be replaced by a fake clock in tests;
    ``start=False`` makes no threads: call :meth:`work_once`.
    """

    def __init__(self, workers: int | None = None, *, clock: Callable[[], float] = time.monotonic,
                 timer: Callable[[], float] = time.perf_counter, start: bool = True, max_runs: int = 96):
        self.workers = workers or default_workers()
        self.clock = clock
        self.timer = timer
        self.max_runs = max_runs
        self._runs: dict[str, PlayRun] = {}
        self._ended: OrderedDict[str, PlayRun] = OrderedDict()  # recently ended: their pages get the news
        self._ready: deque[PlayRun] = deque()
        self._shared: OrderedDict[str, PlayRun] = OrderedDict()  # by what makes runs identical (join_shared)
        self._viewers: OrderedDict[str, Viewer] = OrderedDict()
        self._share_lock = threading.Lock()
        self._cv = threading.Condition()
        self.frame_seconds = 0.002  # what drawing one frame costs, smoothed (measured as we go)
        self.round_scale = 1.0  # slices' share of the planned length (see slice_seconds)
        self._stats = {"slices": 0, "frames": 0, "train_s": 0.0, "draw_s": 0.0}
        self._threads: list[threading.Thread] = []
        self._closed = False
        if start:
            for i in range(self.workers):
                t = threading.Thread(target=self._work_forever, name=f"toy2d-train-{i}", daemon=True)
                t.start()
                self._threads.append(t)

    # ---- runs -------------------------------------------------------------------------------------------

    def check_room(self, owner: str | None, page: bool) -> None:
        """Raise :class:`~playground.errors.SessionsFull` when a new run from ``owner`` would be refused, so
        that a refused Play costs no trainer (:meth:`submit` checks again, under the same lock as it adds)."""
        with self._cv:
            self._check_room(owner, page)

    def _check_room(self, owner: str | None, page: bool) -> None:
        from playground.errors import SessionsFull

        if len(self._runs) >= self.max_runs:
            raise SessionsFull(f"{self.max_runs} runs are training on this server right now. "
                               "Wait a moment and press Play again, or run the app on your own machine.")
        if not page:  # an API client: a few runs each, and never the places pages need
            api = [r for r in self._runs.values() if not r.page]
            if sum(r.owner == owner for r in api) >= API_RUNS_PER_CLIENT:
                raise SessionsFull(f"This client already has {API_RUNS_PER_CLIENT} runs training on this server; "
                                   "stop one first (or run the app on your own machine).")
            if len(api) >= int(API_SHARE * self.max_runs):
                raise SessionsFull("Runs started without a page hold their share of this server right now; the "
                                   "rest is kept for students' pages. Try again in a minute.")

    def submit(self, run: PlayRun) -> PlayRun:
        now = self.clock()
        with self._cv:
            self._check_room(run.owner, run.page)
            run.started = run.last_seen = now
            self._runs[run.token] = run
            self._ready.append(run)
            self._cv.notify()
        return run

    def join_shared(self, key: str, make: Callable[[], PlayRun], owner: str | None = None,
                    page: bool = True) -> Viewer:
        """Watch the run of everyone who pressed Play with the same ``key`` (every setting, the seed, from
        iteration 0): it is trained once and its frames serve every page. A page that comes after it has
        finished replays it; otherwise ``make()`` starts it, if ``owner`` may start one (:meth:`check_room`)."""
        with self._share_lock:  # one look-up-or-start at a time: a class pressing Play together starts one run
            with self._cv:
                run = self._shared.get(key)
                if run is not None and not (run.running or run.reason == "steps"):
                    run = None
            if run is None:
                self.check_room(owner, page)
                run = make()
                run.recording = []
                self.submit(run)
                with self._cv:
                    self._shared[key] = run
        viewer = Viewer(run)
        with self._cv:
            self._shared[key] = run
            self._shared.move_to_end(key)
            while len(self._shared) > SHARED_KEPT:
                self._shared.popitem(last=False)
            run.viewers += 1
            viewer.last_seen = run.last_seen = self.clock()
            self._viewers[viewer.token] = viewer
            while len(self._viewers) > VIEWERS_KEPT:
                self._viewers.popitem(last=False)
        return viewer

    def forget(self, idle_s: float) -> int:
        """Forget ended runs, finished shared runs and pages' viewers that nobody has asked about for ``idle_s``
        seconds (a page that comes back later has lost its lab too), so that what they hold (recorded frames,
        the trainer where a shared run ended) goes back; the counts alone bounded it at a few GB. Returns how
        many entries were forgotten."""
        cut = self.clock() - idle_s
        with self._cv:
            gone = 0
            for table, idle in ((self._ended, lambda r: r.last_seen < cut),
                                (self._shared, lambda r: not r.running and r.last_seen < cut),
                                (self._viewers, lambda v: v.last_seen < cut)):
                for key in [k for k, item in table.items() if idle(item)]:
                    del table[key]
                    gone += 1
        return gone

    def get(self, token) -> PlayRun | Viewer | None:
        if not isinstance(token, str) or len(token) > 64:
            return None
        return self._runs.get(token) or self._ended.get(token) or self._viewers.get(token)

    @property
    def playing(self) -> int:
        return len(self._runs)

    def request_frame(self, run: PlayRun) -> None:
        """The page is ready for the next frame."""
        run.last_seen = self.clock()
        run.frame_wanted = True
        if run.running:
            self.wake(run)

    def wake(self, run: PlayRun) -> None:
        """Put a parked run (waiting for its page, or stopped while waiting) back in the workers' queue."""
        with self._cv:
            if run.unpark():
                self._ready.append(run)
                self._cv.notify()

    def stop(self, run: PlayRun | Viewer, reason: str = "paused", last_frame: dict | None = None) -> None:
        """End a run, or take a page off a shared run (``last_frame``: what that page shows then; by default the
        run's frame it was at). A shared run ends when its last page leaves."""
        if isinstance(run, Viewer):
            self._leave(run, reason, last_frame)
            return
        run.reason = run.reason or reason
        run.stop()
        self.wake(run)

    def _leave(self, viewer: Viewer, reason: str, last_frame: dict | None) -> None:
        run = viewer.run
        with self._cv:
            if not viewer.running:
                return
            frame = json.dumps(last_frame, allow_nan=False) if last_frame is not None else \
                (run.recorded_at(viewer.seq) or "null")
            viewer.left = viewer.packet_json(viewer.seq + 1, frame, "stopped", reason)
            viewer.state, viewer.reason = "stopped", reason
            run.viewers -= 1
            alone = run.viewers <= 0
        if alone and run.running:
            self.stop(run, reason)
        run.notify()

    # ---- waiting for frames ------------------------------------------------------------------------------

    async def _await_frame(self, run: PlayRun, after: int, timeout: float) -> None:
        """Wait (up to ``timeout`` seconds) until ``run`` has a frame newer than ``after`` or has ended."""
        if run.seq <= after and run.running:
            fut = run.frame_future()
            self.request_frame(run)
            try:
                await asyncio.wait_for(fut, timeout)
            except asyncio.TimeoutError:
                pass
        else:
            run.last_seen = self.clock()

    async def next_frame(self, token, after: int = 0, timeout: float = 2.0) -> dict:
        """The first frame newer than ``after`` (waits up to ``timeout`` seconds for it), with the run's state."""
        run = self.get(token)
        if run is None:
            return {"token": token if isinstance(token, str) else None, "state": "gone", "seq": 0, "frame": None}
        if isinstance(run, Viewer):
            return json.loads(await self._viewer_frame(run, after, timeout, None))
        await self._await_frame(run, after, timeout)
        return run.packet()

    async def next_frame_json(self, token, after: int = 0, timeout: float = 2.0, rows: int | None = None) -> str:
        """:meth:`next_frame` as JSON text (shared by every pull of the same frame), with the chart rows from
        the page's ``rows`` on (None: none)."""
        run = self.get(token)
        if isinstance(run, Viewer):
            return await self._viewer_frame(run, after, timeout, rows)
        packet = await self.next_frame(token, after, timeout)
        run = self.get(token)
        if run is None:
            return json.dumps(packet)
        return run.packet_json() if rows is None else run.packet_with_rows(rows)

    async def _viewer_frame(self, viewer: Viewer, after: int, timeout: float, rows: int | None) -> str:
        """A page watching a shared run: the recorded frame after its ``after`` (fast-forwarding when it is
        far behind), waiting for the run's next one when it has seen the newest."""
        run = viewer.run
        if viewer.left is not None:  # it left the run: its own last frame
            return viewer.left
        viewer.last_seen = self.clock()
        if viewer.running:
            await self._await_frame(run, after, timeout)  # keeps the run alive (last_seen) while a page watches
        if viewer.left is not None:
            return viewer.left
        if not run.recording:
            return viewer.packet_json(0, "null", run.state if not run.running else "running", run.reason)
        seq, frame, frame_rows = run.recorded_after(after) if run.seq > after else run.recording[-1]
        state, reason = "running", None
        if not run.running and seq == run.seq:  # the run's end, and this page has reached it
            state, reason = run.state, run.reason
            viewer.state, viewer.reason = run.state, run.reason
        viewer.seq = max(viewer.seq, seq)
        text = viewer.packet_json(seq, frame, state, reason)
        return text if rows is None else run.packet_with_rows(rows, frame_rows, text)

    def wait_frame(self, run: PlayRun | Viewer, after: int = 0, timeout: float = 2.0) -> dict:
        """:meth:`next_frame` for a plain thread."""
        if isinstance(run, Viewer):  # its own event loop, on a thread of its own (this one may run one)
            box: list[str] = []
            t = threading.Thread(target=lambda: box.append(asyncio.run(self._viewer_frame(run, after, timeout, None))))
            t.start()
            t.join()
            return json.loads(box[0])
        deadline = time.monotonic() + timeout
        self.request_frame(run)
        run.wait_for_frame(after, deadline)
        run.last_seen = self.clock()
        return run.packet()

    # ---- the workers -------------------------------------------------------------------------------------

    def target_fps(self) -> float:
        n = max(len(self._runs), 1)
        if n <= self.workers:
            return FPS_ALONE
        return min(max(FPS_CROWDED, FPS_ALONE * self.workers / n), max(FPS_FLOOR, FRAMES_PER_WORKER * self.workers / n))

    def slice_seconds(self) -> float:
        """The training time of one slice: a round of all runs should take one frame interval.

        Planned from the workers' count, then scaled by how long rounds really take (``round_scale``):
        the web server and the clients share the cores too, so workers get less than a core each.
        """
        n = max(len(self._runs), 1)
        per_run = self.workers / (self.target_fps() * max(n, self.workers))  # worker seconds per run per frame
        floor = max(MIN_SLICE_S, TRAIN_OVER_FRAME * self.frame_seconds)
        return min(MAX_SLICE_S, max(floor, (per_run - self.frame_seconds) * self.round_scale))

    def _observe_round(self, run: PlayRun, now: float) -> None:
        """Feedback: rounds slower than the frame interval shrink everyone's slices, faster ones grow them."""
        if len(self._runs) <= self.workers:
            self.round_scale = 1.0  # no crowd: every run gets its planned slice again
        elif run.last_turn is not None:
            gap = now - run.last_turn
            if gap > 0:
                step = min(max((1.0 / self.target_fps()) / gap, 0.9), 1.1)
                self.round_scale = min(max(self.round_scale * step, 0.05), 1.0)
        run.last_turn = now

    def _take(self) -> tuple[PlayRun | None, float]:
        """The next run whose turn it is, or (None, seconds until one may be ready)."""
        now = self.clock()
        with self._cv:
            for _ in range(len(self._ready)):
                run = self._ready.popleft()
                if run.not_before <= now or run.stop_asked:
                    return run, 0.0
                self._ready.append(run)
            if not self._ready:
                return None, 0.5
            return None, max(min(r.not_before for r in self._ready) - now, 0.0)

    def work_once(self) -> bool:
        """Give one run its slice. False when no run was ready."""
        run, _ = self._take()
        if run is None:
            return False
        self._slice(run)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Stop every run and the workers (tests; a server's scheduler lives as long as the process)."""
        for run in list(self._runs.values()):
            self.stop(run, "paused")
        deadline = time.monotonic() + timeout
        while self._runs and self._threads and time.monotonic() < deadline:
            time.sleep(0.01)
        self._closed = True
        with self._cv:
            self._cv.notify_all()
        for t in self._threads:
            t.join(max(deadline - time.monotonic(), 0.1))

    def _work_forever(self) -> None:
        """A worker's loop. torch's thread settings do not fully carry over to a new thread (OpenMP keeps them per
        thread): a worker that did not set them itself trained a run differently from the thread that chose them
        (playground.device.default_threads), by the third decimal after 400 iterations. So each worker sets the
        process's count on its own thread (again whenever it changes), and the page trains exactly the run the
        CLI, the tests and a share link give."""
        import torch

        mine = None  # the thread count this worker's thread has set for itself
        last_sweep = time.monotonic()
        while not self._closed:
            run, wait = self._take()
            if time.monotonic() - last_sweep > 0.5:
                self.sweep()
                last_sweep = time.monotonic()
            if run is None:
                with self._cv:
                    self._cv.wait(min(max(wait, 0.001), 0.5))
                continue
            wanted = torch.get_num_threads()  # the process's setting (the app sets it once, a test may change it)
            if wanted != mine:
                torch.set_num_threads(wanted)
                mine = wanted
            self._slice(run)

    def sweep(self) -> None:
        """Give parked runs that should end (page gone, time up, stop asked) a turn, so they do."""
        for run in list(self._runs.values()):
            if run.parked and self._should_stop(run) is not None:
                self.wake(run)

    def stats(self) -> dict:
        """Counters for benchmarks: slices, frames, and seconds spent training and drawing (all workers)."""
        return dict(self._stats, playing=self.playing, round_scale=self.round_scale, slice_s=self.slice_seconds(),
                    frame_s=self.frame_seconds)

    def _slice(self, run: PlayRun) -> None:
        self._stats["slices"] += 1
        self._observe_round(run, self.clock())
        with run.lock:
            try:
                reason = self._should_stop(run)
                if reason is None:
                    k = run.iterations_for(self.slice_seconds())
                    if k > 0:
                        t0 = self.timer()
                        run.trainer.step(k)
                        run.record_slice(k, self.timer() - t0)
                        self._stats["train_s"] += self.timer() - t0
                    if run.frame_wanted:
                        self._draw(run)
                else:
                    self._end(run, reason)
                    return
            except Exception as exc:  # noqa: BLE001 - the run's own failure, shown on its page
                run.error = exc
                self._end(run, "error")
                return
        self._requeue(run)

    def _should_stop(self, run: PlayRun) -> str | None:
        now = self.clock()
        if run.stop_asked:
            return run.reason or "paused"
        if run.stop_at is not None and run.trainer.iteration >= run.stop_at:
            return "steps"
        if now - run.started > run.max_seconds:
            return "time"
        if now - run.last_seen > run.idle_seconds:
            return "idle"
        return None

    def _requeue(self, run: PlayRun) -> None:
        with self._cv:
            if run.since_frame >= run.speed and not run.frame_wanted and not run.stop_asked:
                run.park()  # trained its allowance: wait until the page takes the frame
            else:
                self._ready.append(run)
                self._cv.notify()

    def _draw(self, run: PlayRun, notify: bool = True) -> None:
        t0 = self.timer()
        now = self.clock()
        # D* follows G slowly and costs most of a frame: every other frame, every 4th on a crowded server,
        # where the manifold and the arrows come every other frame too (the page keeps the last ones)
        crowded = len(self._runs) > self.workers
        star = run.seq % (4 if crowded else 2) == 0
        extras = not crowded or run.seq % 2 == 0
        snap = run.trainer.snapshot(d_star=star, fresh_metrics=False, manifold_points=LIVE_MANIFOLD_POINTS,
                                    n_density=LIVE_DENSITY_SAMPLES, extras=extras)
        run.measure_rate(now)
        status = run.status(run, snap) if run.status else None
        frame = encode_frame(snap, run.extent, status=status, with_real=run.seq == 0,
                             show_manifold=run.show_manifold, show_arrows=run.show_arrows)
        frame["nr"], frame["pm"] = run.take_rows(), charts.per_mode(run.trainer)  # the charts, drawn by the page
        if run.seq == 0:
            frame["spec"] = charts.chart_spec(run.trainer)
        if run.speed < SLOW_MOTION_SPEED:  # slow motion: the page's model graph walks through the sub-steps of
            # the players that train ("dg", "d", "g" or ""), a few bytes
            t = run.trainer
            frame["slow"] = "d" * (not getattr(t, "freeze_d", False)) + "g" * (not getattr(t, "freeze_g", False))
        run.frame = frame
        run.seq += 1
        if run.recording is not None:
            run.record()
        if run.on_frame is not None:
            run.on_frame(run, run.frame)
        run.since_frame = 0
        run.frame_wanted = False
        if run.speed < SLOW_MOTION_SPEED:
            run.not_before = now + 1.0 / SLOW_MOTION_FPS
        self.frame_seconds = 0.8 * self.frame_seconds + 0.2 * (self.timer() - t0)
        self._stats["frames"] += 1
        self._stats["draw_s"] += self.timer() - t0
        if notify:
            run.notify()

    def _end(self, run: PlayRun, reason: str) -> None:
        """Retire a run: a last frame of where it stopped (unless it failed), then wake its page."""
        run.reason = run.reason or reason
        if reason != "error" and run.error is None:
            try:
                run.frame_wanted = True
                self._draw(run, notify=False)  # the page hears of it once the state says why it ended
            except Exception as exc:  # noqa: BLE001 - e.g. NaN weights: keep the message
                run.error = exc
                run.reason = "error"
        run.state = "error" if run.error is not None else "stopped"
        if run.recording is not None:  # a shared run: pages that leave it (or join it late) copy where it ended
            run.final = run.trainer
        run.trainer = run.status = run.on_frame = None  # an ended run keeps only its last frame and news
        with self._cv:
            self._runs.pop(run.token, None)
            self._ended[run.token] = run
            while len(self._ended) > ENDED_KEPT:
                self._ended.popitem(last=False)
        run.notify()


_SCHEDULER: Scheduler | None = None
_SCHEDULER_LOCK = threading.Lock()


def forget_idle(idle_s: float) -> int:
    """:meth:`Scheduler.forget` on the process's scheduler, if it has started."""
    return _SCHEDULER.forget(idle_s) if _SCHEDULER is not None else 0


def get_scheduler() -> Scheduler:
    """The process's scheduler (its worker threads start on first use)."""
    global _SCHEDULER
    with _SCHEDULER_LOCK:
        if _SCHEDULER is None:
            _SCHEDULER = Scheduler()
            # stop the workers before the interpreter goes: a daemon thread still inside torch while it tears down
            # aborts the process ("terminate called without an active exception")
            atexit.register(_SCHEDULER.close, 2.0)
            if os.environ.get("PLAYGROUND_SCHEDULER_STATS"):  # benchmarks: the counters every 2 s on stderr
                threading.Thread(target=_print_stats, args=(_SCHEDULER,), daemon=True).start()
        return _SCHEDULER


def _print_stats(scheduler: Scheduler) -> None:
    import sys

    while True:
        time.sleep(2.0)
        print("scheduler-stats " + json.dumps(scheduler.stats()), file=sys.stderr, flush=True)
