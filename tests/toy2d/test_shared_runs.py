"""Identical runs trained once: pages that press Play with the same settings and seed (a class on the teacher's
link) watch one run. Checked with the process's real scheduler and real trainers."""

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from playground.toy2d.config import ToyConfig
from playground.toy2d.lab import Lab
from playground.toy2d.scheduler import Viewer, get_scheduler
from playground.toy2d.trainer import Trainer

CFG = ToyConfig(seed=11, g_width=16, d_width=16)


def pull(token, after=0, rows=0, timeout=5.0) -> dict:
    """The page's pull (on a thread with an event loop of its own, as the web server's)."""
    with ThreadPoolExecutor(1) as pool:
        coro = get_scheduler().next_frame_json(token, after, timeout=timeout, rows=rows)
        return json.loads(pool.submit(asyncio.run, coro).result())


def follow(token, until=lambda p: p["state"] != "running", limit=60.0) -> list[dict]:
    """Pull frames as the page does (the next after the last, with the chart rows it lacks) until ``until``."""
    packets, seq, rows = [], 0, 0
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        p = pull(token, seq, rows)
        if p.get("rows") and p["rows_from"] == rows:
            rows += len(p["rows"])
        if p["seq"] > seq:
            seq = p["seq"]
            packets.append(p | {"rows_had": rows})
        if until(p):
            return packets
    raise AssertionError(f"no end within {limit} s: {packets[-1:]}")


def test_pages_on_the_same_settings_and_seed_watch_one_run_trained_once():
    labs = [Lab() for _ in range(3)]
    try:
        before = get_scheduler().playing
        a, b = (lab.start(CFG, share=True, stop_at=600) for lab in labs[:2])
        c = labs[2].start(CFG.replace(seed=12), share=True, stop_at=600)  # another seed: a run of its own
        assert isinstance(a, Viewer) and a.run is b.run and c.run is not a.run and a.token != b.token
        assert get_scheduler().playing - before == 2
        pa, pb = follow(a.token), follow(b.token)
        assert pa[-1]["state"] == pb[-1]["state"] == "stopped" and pa[-1]["reason"] == "steps"
        assert pa[-1]["frame"] == pb[-1]["frame"] and pa[-1]["frame"]["it"] == 600
        assert pa[0]["frame"].get("real") and pa[0]["frame"].get("spec")  # the first frame: data and charts
        assert [r["frame"]["it"] for r in pa] == sorted(r["frame"]["it"] for r in pa)
        assert pa[-1]["rows_had"] == 6  # a chart row every 100 iterations, all of them
        # trained once, and exactly as one student alone would have trained it
        alone = Trainer(CFG)
        alone.step(600)
        final = a.run.final
        for x, y in zip([*alone.G.parameters(), *alone.D.parameters()], [*final.G.parameters(), *final.D.parameters()]):
            assert torch.equal(x, y)
        assert final.history == alone.history
        follow(c.token)
    finally:
        for lab in labs:
            lab.close()


def test_a_late_page_replays_a_finished_run_from_its_first_frame():
    early, late = Lab(), Lab()
    try:
        first = early.start(CFG, share=True, stop_at=400)
        ended = follow(first.token)
        v = late.start(CFG, share=True, stop_at=400)
        assert v.run is first.run and not v.run.running  # the same run, already finished: nothing retrained
        replay = follow(v.token)
        assert replay[0]["frame"].get("real") and replay[0]["seq"] == 1
        assert replay[-1]["frame"] == ended[-1]["frame"] and replay[-1]["state"] == "stopped"
        assert replay[-1]["rows_had"] == 4
        # the late student goes on alone from where the run ended
        late.stop_run("paused")
        assert late.trainer.iteration == 400 and not late.trainer is first.run.final
    finally:
        early.close()
        late.close()


def test_pause_takes_a_copy_and_the_class_run_goes_on():
    labs = [Lab(), Lab()]
    try:
        a, b = (lab.start(CFG, share=True) for lab in labs)
        follow(a.token, until=lambda p: (p.get("frame") or {}).get("it", 0) >= 300)
        labs[0].stop_run("paused")
        left = pull(a.token, a.seq)
        assert left["state"] == "stopped" and "Paused" in left["frame"]["status"]
        mine = labs[0].trainer
        assert mine.iteration >= 300 and left["frame"]["it"] == mine.iteration
        assert b.run.running  # the other page's run goes on
        later = follow(b.token, until=lambda p: p["frame"]["it"] >= mine.iteration + 300)
        assert later[-1]["state"] == "running" and mine.iteration == left["frame"]["it"]  # the copy is apart
        labs[1].stop_run("paused")  # the last page leaves: the run ends
        deadline = time.monotonic() + 10
        while b.run.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not b.run.running
    finally:
        for lab in labs:
            lab.close()


def test_a_run_that_is_not_from_iteration_0_or_on_own_data_is_not_shared():
    lab, other = Lab(), Lab()
    try:
        lab.step(CFG, "it")
        own = lab.start(CFG, share=True)
        assert not isinstance(own, Viewer)  # it goes on from the student's own iteration 1
        lab.stop_run()
        lab.use_points([[0.0, 0.0], [1.0, 1.0], [1.0, 0.0]] * 10)
        other.use_points([[0.0, 0.0], [1.0, 1.0], [1.0, 0.0]] * 10)
        custom = CFG.replace(dataset="custom")
        assert not isinstance(lab.start(custom, share=True), Viewer)
    finally:
        lab.close()
        other.close()


def test_a_class_pressing_play_at_the_same_moment_starts_one_run():
    """60 Play clicks handled at once on the server's threads: one run, 60 pages on it (a look-up-or-start
    that is not atomic started one run per click)."""
    import threading

    labs = [Lab() for _ in range(60)]
    viewers = [None] * len(labs)
    go = threading.Barrier(len(labs))

    def press(i):
        go.wait()
        viewers[i] = labs[i].start(CFG.replace(seed=77), share=True, stop_at=200)

    threads = [threading.Thread(target=press, args=(i,)) for i in range(len(labs))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len({id(v.run) for v in viewers}) == 1 and viewers[0].run.viewers == 60
    finally:
        for lab in labs:
            lab.close()


def test_ended_runs_and_viewers_are_forgotten_once_nobody_asked_for_them_in_the_idle_time():
    """The memory report: 2,000 abandoned runs kept their recorded frames and final trainers (bounded only by
    counts: 256 ended runs, 4,096 viewers) long after their sessions had gone. The session sweep now forgets
    what no page asked about for the idle time; what a page still watches stays."""
    sch = get_scheduler()
    lab, other = Lab(), Lab()
    try:
        cfg = CFG.replace(seed=21)
        v = lab.start(cfg, share=True, stop_at=200)
        follow(v.token)
        assert sch.forget(3600) == 0 and sch.get(v.token) is v  # asked about just now: kept
        shared_run = v.run
        time.sleep(0.05)
        assert sch.forget(0.01) >= 3  # the ended run, the finished shared run and its viewer
        assert sch.get(v.token) is None and sch.get(shared_run.token) is None
        again = other.start(cfg, share=True, stop_at=200)  # another page, the same settings: a fresh run
        assert again.run is not shared_run
        follow(again.token)
    finally:
        lab.close()
        other.close()


def test_a_refused_play_builds_no_trainer(monkeypatch):
    """A flood of page-less Plays from one address is refused by the fair shares; each refusal used to build a
    trainer (networks, optimisers, data) before the scheduler said no. Now the scheduler is asked first, on
    the student's own run and on the class's shared one."""
    from playground.errors import SessionsFull
    from playground.toy2d import scheduler as S

    built = []
    real = Lab.new_trainer
    monkeypatch.setattr(Lab, "new_trainer", lambda self, cfg: built.append(cfg.seed) or real(self, cfg))
    owner = "10.9.9.9"
    labs = [Lab() for _ in range(S.API_RUNS_PER_CLIENT + 2)]
    try:
        for i, lab in enumerate(labs[:S.API_RUNS_PER_CLIENT]):
            lab.start(CFG.replace(seed=300 + i), owner=owner, page=False)
        assert len(built) == S.API_RUNS_PER_CLIENT
        with pytest.raises(SessionsFull, match=f"already has {S.API_RUNS_PER_CLIENT} runs"):
            labs[-2].start(CFG.replace(seed=400), owner=owner, page=False)
        with pytest.raises(SessionsFull, match=f"already has {S.API_RUNS_PER_CLIENT} runs"):
            labs[-1].start(CFG.replace(seed=401), share=True, owner=owner, page=False)
        assert len(built) == S.API_RUNS_PER_CLIENT and labs[-2].trainer is None
        page = labs[-2].start(CFG.replace(seed=402), owner=owner, page=True)  # a page from that address: fine
        assert page.trainer is not None and built[-1] == 402
    finally:
        for lab in labs:
            lab.close()
