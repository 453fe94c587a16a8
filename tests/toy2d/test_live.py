"""LiveRun: training on a background thread, snapshots between chunks, stops that stop."""

import threading
import time

import pytest

from playground.toy2d import ToyConfig, Trainer
from playground.toy2d.live import LiveRun
from playground.toy2d.trainer import NonFiniteTraining


def test_snapshots_arrive_while_training_advances_and_stop_stops():
    t = Trainer(ToyConfig())
    live = LiveRun(t, chunk=5).start()
    try:
        first = live.snapshot(d_star=False)
        time.sleep(0.3)
        second = live.snapshot(d_star=True)
        assert second["iteration"] > first["iteration"] >= 5
        assert first["d_star_grid"] is None and second["d_star_grid"] is not None
        assert second["iteration"] % 5 == 0  # taken between two chunks, never inside one
    finally:
        t0 = time.monotonic()
        live.stop()
    assert not live.running and time.monotonic() - t0 < 1.0
    it = t.iteration
    time.sleep(0.1)
    assert t.iteration == it  # nothing trains after stop()
    assert live.snapshot()["iteration"] == it  # drawn directly once stopped


def test_the_session_stop_flag_ends_it():
    stop = threading.Event()
    live = LiveRun(Trainer(ToyConfig()), stop_event=stop).start()
    live.snapshot()
    stop.set()
    live._thread.join(1.0)
    assert not live.running


def test_max_rate_is_respected():
    t = Trainer(ToyConfig())
    live = LiveRun(t, max_rate=100, chunk=5).start()
    try:
        t0 = time.monotonic()
        it0 = live.snapshot()["iteration"]
        time.sleep(0.5)
        it1 = live.snapshot()["iteration"]
        rate = (it1 - it0) / (time.monotonic() - t0)
    finally:
        live.stop()
    assert rate < 100 * 1.3


def test_nobody_asking_for_frames_stops_training():
    live = LiveRun(Trainer(ToyConfig()), idle_seconds=0.2).start()
    live._thread.join(2.0)
    assert not live.running and live.error is None


def test_a_diverging_run_reports_its_error_to_the_drawing_thread():
    cfg = ToyConfig(optimizer="sgd", lr_d=10.0, lr_g=10.0, loss="lsgan")
    live = LiveRun(Trainer(cfg)).start()
    with pytest.raises(NonFiniteTraining, match="learning rate"):
        for _ in range(100):
            live.snapshot()
            time.sleep(0.02)
    live.stop()
