"""The training scheduler: fair shares counted in iterations on a fake clock, stops, frames on demand."""

import asyncio
import threading

import numpy as np
import pytest

from playground.toy2d.config import ToyConfig
from playground.toy2d.scheduler import FIRST_CHUNK, FPS_CROWDED, MIN_SLICE_S, PlayRun, Scheduler
from playground.toy2d.trainer import NonFiniteTraining, Trainer


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class FakeTrainer:
    """Advances the fake clock by ``cost`` seconds per iteration; draws a tiny but real snapshot."""

    def __init__(self, clock: FakeClock, cost: float, fail_at: int | None = None):
        self.clock, self.cost, self.fail_at = clock, cost, fail_at
        self.iteration = 0
        self.steps: list[int] = []  # iterations per call
        self.history: list[dict] = []  # a row every 100 iterations, as the real trainer logs
        self._last_metrics = None

    class dataset:  # noqa: N801 - stands in for the data set's attribute
        extent = (-1.0, 1.0, -1.0, 1.0)
        centers = None

    class cfg:  # noqa: N801
        loss = "nonsaturating"

    def step(self, k: int) -> None:
        if self.fail_at is not None and self.iteration + k >= self.fail_at:
            raise NonFiniteTraining("Training diverged at iteration 7: the D loss became nan.")
        self.clock.now += k * self.cost
        self.history += [{"iteration": i, "d_loss": 1.0, "g_loss": 1.0}
                         for i in range(self.iteration + 1, self.iteration + k + 1) if i % 100 == 0]
        self.iteration += k
        self.steps.append(k)

    def snapshot(self, **_):
        g = np.full((4, 4), 0.5, dtype=np.float32)
        pts = np.zeros((3, 2))
        return {"d_grid": g, "d_star_grid": g, "boundary_level": 0.5, "d_is_probability": True, "fake": pts,
                "real": pts, "manifold": [pts], "arrows_dir": pts, "iteration": self.iteration}


def _scheduler(clock, workers=1):
    return Scheduler(workers, clock=clock, timer=clock, start=False)


def _run(sched, trainer, **kw):
    run = PlayRun(trainer, idle_seconds=kw.pop("idle_seconds", 1e9), max_seconds=kw.pop("max_seconds", 1e9), **kw)
    return sched.submit(run)


def _work(sched, clock, slices, ask_frames=True):
    for _ in range(slices):
        if ask_frames:
            for run in list(sched._runs.values()):
                sched.request_frame(run)
        assert sched.work_once()


def test_equal_runs_get_equal_iterations_and_time():
    clock = FakeClock()
    sched = _scheduler(clock)
    trainers = [FakeTrainer(clock, cost=1e-4) for _ in range(6)]
    for t in trainers:
        _run(sched, t)
    _work(sched, clock, 600)
    counts = [t.iteration for t in trainers]
    # round robin: after 100 turns each, no run is more than one slice ahead of another
    slice_its = max(max(t.steps) for t in trainers)
    assert max(counts) - min(counts) <= slice_its, counts
    assert min(counts) > 0


def test_fair_share_is_time_not_iterations():
    """A run whose iterations cost twice as much gets half the iterations: the same CPU time."""
    clock = FakeClock()
    sched = _scheduler(clock)
    cheap, dear = FakeTrainer(clock, 1e-4), FakeTrainer(clock, 2e-4)
    _run(sched, cheap, speed=10**6)  # no frame allowance in the way: only the time slices count
    _run(sched, dear, speed=10**6)
    _work(sched, clock, 400)
    ratio = cheap.iteration / dear.iteration
    assert 1.8 < ratio < 2.2, (cheap.iteration, dear.iteration)


def test_slices_shrink_with_more_runs():
    """More playing runs → shorter slices, so every run still gets several frames a second."""
    clock = FakeClock()
    sched = _scheduler(clock, workers=2)
    one = sched.slice_seconds()
    for _ in range(30):
        _run(sched, FakeTrainer(clock, 1e-4))
    thirty = sched.slice_seconds()
    assert thirty < one / 3
    # a round of 30 runs on 2 workers (training + drawing) fits in one frame interval (the crowded rate, 5/s)
    assert 30 / 2 * (thirty + sched.frame_seconds) <= 1 / FPS_CROWDED + 1e-9
    assert sched.target_fps() == FPS_CROWDED == 5.0
    # ... unless frames are dear: then frames come less often, and training keeps a third of the time at least
    # (a slice of at least half a frame's drawing time)
    sched.frame_seconds = 0.02
    assert sched.slice_seconds() >= 0.01


def test_rounds_slower_than_the_frame_interval_shrink_the_slices():
    """The workers share the cores with the web server: when a round of all runs takes longer than a frame
    interval, slices shrink (down to the floor), and grow back when rounds are quick again."""
    clock = FakeClock()
    sched = _scheduler(clock, workers=2)
    runs = [_run(sched, FakeTrainer(clock, 1e-4)) for _ in range(30)]
    planned = sched.slice_seconds()
    for _ in range(40):  # every run's turn comes 0.5 s apart: 2 frames/s, far below the target
        for r in runs:
            sched._observe_round(r, clock.now)
        clock.now += 0.5
    slow = sched.slice_seconds()
    assert slow < planned / 2
    assert slow >= max(MIN_SLICE_S, sched.frame_seconds)  # never below the floor (training >= drawing)
    for _ in range(60):  # turns every 20 ms: faster than needed, slices grow back to the plan
        for r in runs:
            sched._observe_round(r, clock.now)
        clock.now += 0.02
    assert sched.slice_seconds() == pytest.approx(planned)


def test_speed_caps_iterations_between_frames():
    clock = FakeClock()
    sched = _scheduler(clock)
    t = FakeTrainer(clock, 1e-4)
    run = _run(sched, t, speed=3)
    seen = []
    for _ in range(10):
        clock.now += 0.2  # slow motion paces frames at 10 a second
        sched.request_frame(run)
        sched.work_once()
        seen.append(run.frame["it"] if run.frame else None)
    steps = np.diff([s for s in seen if s is not None])
    assert steps.max() <= 3 and steps.min() >= 1, seen


def test_a_run_that_trained_its_allowance_waits_for_the_page():
    clock = FakeClock()
    sched = _scheduler(clock)
    t = FakeTrainer(clock, 1e-4)
    run = _run(sched, t, speed=30)
    sched.work_once()  # a first chunk, measured, then the first frame (asked for at the start)
    sched.work_once()  # its 30 iterations' allowance: then it waits, parked, until the page asks again
    parked_at = t.iteration
    assert parked_at == FIRST_CHUNK + 30 and not sched.work_once()  # nothing ready: no training ahead of the page
    sched.request_frame(run)
    assert sched.work_once() and t.iteration == parked_at and run.seq == 2  # the frame first
    sched.work_once()
    assert t.iteration == parked_at + 30


def test_pause_ends_the_run_at_its_next_turn_with_a_last_frame():
    clock = FakeClock()
    sched = _scheduler(clock)
    t = FakeTrainer(clock, 1e-4)
    other = FakeTrainer(clock, 1e-4)
    run = _run(sched, t)
    _run(sched, other)
    _work(sched, clock, 10)
    sched.stop(run, "paused")
    before = t.iteration
    _work(sched, clock, 10)
    assert run.state == "stopped" and run.reason == "paused" and t.iteration == before
    assert run.frame["it"] == before  # the last frame shows where it stopped
    assert other.iteration > 0 and sched.playing == 1


def test_a_closed_page_frees_the_run_and_a_time_limit_ends_it():
    clock = FakeClock()
    sched = _scheduler(clock)
    quiet = _run(sched, FakeTrainer(clock, 1e-4), idle_seconds=10)
    capped = _run(sched, FakeTrainer(clock, 1e-4), max_seconds=5)
    sched.work_once()
    sched.work_once()
    clock.now += 11  # nobody asked for a frame for 11 s
    _work(sched, clock, 2, ask_frames=False)
    assert quiet.reason == "idle" and quiet.state == "stopped"
    assert capped.reason == "time"
    assert sched.playing == 0


def test_a_parked_run_whose_page_left_is_swept():
    clock = FakeClock()
    sched = _scheduler(clock)
    run = _run(sched, FakeTrainer(clock, 1e-4), speed=30, idle_seconds=10)
    for _ in range(3):
        sched.work_once()
    assert run.parked
    clock.now += 11
    sched.sweep()
    assert sched.work_once() and run.reason == "idle" and sched.playing == 0


def test_a_diverging_run_keeps_its_message_and_disturbs_no_one():
    clock = FakeClock()
    sched = _scheduler(clock)
    bad = _run(sched, FakeTrainer(clock, 1e-4, fail_at=7))
    good_t = FakeTrainer(clock, 1e-4)
    good = _run(sched, good_t)
    _work(sched, clock, 20)
    assert bad.state == "error" and "diverged" in bad.packet()["error"]
    assert good.running and good_t.iteration > 100


def test_full_scheduler_refuses_clearly():
    from playground.errors import SessionsFull

    clock = FakeClock()
    sched = Scheduler(1, clock=clock, timer=clock, start=False, max_runs=2)
    _run(sched, FakeTrainer(clock, 1e-4))
    _run(sched, FakeTrainer(clock, 1e-4))
    with pytest.raises(SessionsFull, match="2 runs are training"):
        _run(sched, FakeTrainer(clock, 1e-4))


def _run_async(coro):
    """asyncio.run on a thread of its own (the test process may already run an event loop here)."""
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("v", asyncio.run(coro)))
    t.start()
    t.join(60)
    return out["v"]


def test_pages_awaiting_frames_get_them_from_real_workers():
    """Three real runs on real worker threads: each awaiting page gets new frames; Pause ends one."""
    sched = Scheduler(2)
    runs = [sched.submit(PlayRun(Trainer(ToyConfig(seed=s, g_width=16, d_width=16)))) for s in range(3)]

    async def follow(run, n):
        seqs, its = [], []
        seq = 0
        while len(seqs) < n:
            p = await sched.next_frame(run.token, seq, timeout=10)
            assert p["state"] == "running" and p["seq"] > seq
            seq = p["seq"]
            seqs.append(seq)
            its.append(p["frame"]["it"])
        return seqs, its

    async def main():
        return await asyncio.gather(*(follow(r, 4) for r in runs))

    for seqs, its in _run_async(main()):
        assert seqs == sorted(set(seqs)) and its[-1] > its[0]
    sched.stop(runs[0], "paused")
    async def wait_end():
        p = await sched.next_frame(runs[0].token, runs[0].seq, timeout=10)
        while p["state"] == "running":
            p = await sched.next_frame(runs[0].token, p["seq"], timeout=10)
        return p

    end = _run_async(wait_end())
    assert end["state"] == "stopped" and end["reason"] == "paused"
    assert runs[1].running and runs[2].running
    assert _run_async(sched.next_frame("no-such-token", 0))["state"] == "gone"
    sched.close()
    assert not runs[1].running and sched.playing == 0


def test_frames_bring_the_chart_rows_the_page_lacks_up_to_their_own_iteration():
    """The page draws the charts: each pull says how many rows it has (``rows``) and gets the rest, up to the
    newest frame, each row the trainer logged (every 100 iterations) in the charts' columns."""
    import json

    from playground.toy2d import charts, playrun

    clock = FakeClock()
    sched = _scheduler(clock)
    t = FakeTrainer(clock, 1e-4)
    run = _run(sched, t, speed=450)
    _work(sched, clock, 40)
    assert t.iteration >= 450 and run.seq >= 1
    p = json.loads(run.packet_with_rows(0))
    frame_it = p["frame"]["it"]
    assert p["rows_from"] == 0 and [r[0] for r in p["rows"]] == list(range(100, frame_it + 1, 100))
    assert p["rows"][0] == charts.chart_row(t.history[0]) and len(p["rows"]) == p["frame"]["nr"]
    more = json.loads(run.packet_with_rows(2))
    assert more["rows_from"] == 2 and more["rows"] == p["rows"][2:]
    assert "rows" not in json.loads(run.packet_with_rows(len(p["rows"])))  # nothing new: the plain packet
    assert "rows" not in json.loads(run.packet_json())  # API clients that do not ask get none
    run.rows.extend(["[0]"] * (2 * playrun.MAX_ROWS))
    assert len(json.loads(run.packet_with_rows(0))["rows"]) == playrun.MAX_ROWS  # a long history comes in parts


def test_a_run_trained_by_the_workers_is_the_run_trained_anywhere_else():
    """A worker thread must train with the thread settings the app chose (playground.device.default_threads),
    or the page's run is not the run the CLI, the tests and a share link give: measured, without the
    worker's own setting its weights after 400 iterations differed in the third decimal."""
    import time

    import torch

    from playground.device import default_threads

    default_threads()
    cfg = ToyConfig(seed=4, g_width=16, d_width=16)
    worked = Trainer(cfg)
    sched = Scheduler(1)
    try:
        run = sched.submit(PlayRun(worked, idle_seconds=1e9, max_seconds=1e9, stop_at=400))
        deadline = time.monotonic() + 30
        while run.running and time.monotonic() < deadline:
            sched.request_frame(run)
            time.sleep(0.01)
        assert run.reason == "steps" and worked.iteration == 400
    finally:
        sched.close()
    here = Trainer(cfg)
    here.step(400)
    assert all(torch.equal(a, b) for a, b in zip([*here.G.parameters(), *here.D.parameters()],
                                                 [*worked.G.parameters(), *worked.D.parameters()]))


def test_a_shared_run_s_recording_keeps_its_first_and_newest_frames_when_thinned():
    """Late pages replay the recording: thinned, it keeps the first frame (the real data, the charts' spec) and
    the newest (a page that has seen it waits for the next one; without it, it asked in a loop and the run,
    waiting for a page to want a frame, never trained again)."""
    from playground.toy2d import playrun

    run = PlayRun(FakeTrainer(FakeClock(), 1e-4))
    run.recording = []
    for seq in range(1, 3 * playrun.MAX_RECORDED + 2):
        run.seq, run.frame = seq, {"it": seq}
        run.record()
        assert run.recording[0][0] == 1 and run.recording[-1][0] == seq
        assert len(run.recording) <= playrun.MAX_RECORDED
    seqs = [r[0] for r in run.recording]
    assert seqs == sorted(set(seqs))
    assert run.recorded_after(run.seq - 1)[0] == run.seq  # one behind: the newest
    assert run.recorded_after(0)[0] == 1  # a new page starts at the first


def test_slices_return_to_plan_when_the_crowd_leaves():
    """A crowd shrinks the slices; once runs no longer outnumber the workers, a run gets its planned slice again
    (it kept the crowd's 2 ms slices, and a class's shared run crawled)."""
    clock = FakeClock()
    sched = _scheduler(clock, workers=2)
    alone_plan = sched.slice_seconds()
    runs = [_run(sched, FakeTrainer(clock, 1e-4)) for _ in range(30)]
    for _ in range(40):
        for r in runs:
            sched._observe_round(r, clock.now)
        clock.now += 0.5
    assert sched.round_scale < 0.1
    for r in runs[1:]:
        sched._runs.pop(r.token)
    sched._observe_round(runs[0], clock.now)
    assert sched.slice_seconds() == pytest.approx(alone_plan)


def test_page_less_clients_get_a_few_runs_and_never_the_places_pages_need():
    """Issue #22: one client starting 96 page-less runs held every training slot. Now an address without a page
    gets API_RUNS_PER_CLIENT runs, page-less runs together a quarter of the server, and pages the rest."""
    from playground.errors import SessionsFull
    from playground.toy2d import scheduler as S

    clock = FakeClock()
    sched = Scheduler(1, clock=clock, timer=clock, start=False, max_runs=20)

    def run(owner, page):
        return sched.submit(PlayRun(FakeTrainer(clock, 1e-4), owner=owner, page=page))

    for _ in range(S.API_RUNS_PER_CLIENT):
        run("10.0.0.1", page=False)
    with pytest.raises(SessionsFull, match=f"already has {S.API_RUNS_PER_CLIENT} runs"):
        run("10.0.0.1", page=False)
    run("10.0.0.2", page=False)  # another client's first run: fine (5 of the 5 page-less places)
    with pytest.raises(SessionsFull, match="kept for students' pages"):
        run("10.0.0.3", page=False)
    pages = [run("10.0.0.1", page=True) for _ in range(15)]  # a class behind one address: every page plays
    assert len(pages) == 15 and sched.playing == 20
    with pytest.raises(SessionsFull, match="20 runs are training"):
        run("10.0.0.9", page=True)
