"""One request's work is capped (images per set, seconds) and stops when its client goes away.

The network here is a stub that advances a fake clock by one "second" per image, so the limits are
tested without timing: what matters is how many batches ran before the stop.
"""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from playground.errors import RequestCancelled, WorkLimitExceeded
from playground.metrics import compute
from playground.metrics.features import extract_features
from playground.metrics.io import ImageRef, ImageSet
from playground.metrics.limits import Budget, WorkLimits


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def tiny_set(n, label="generated"):
    refs = []
    for i in range(n):
        buf = io.BytesIO()
        Image.fromarray(np.full((4, 4, 3), i % 256, np.uint8)).save(buf, format="PNG")
        refs.append(ImageRef(name=f"{i}.png", data=buf.getvalue()))
    return ImageSet(label, refs)


class StubNetwork:
    """N×3×299×299 → N×2048 zeros; each image costs one second on the fake clock."""

    def __init__(self, clock):
        self.clock, self.calls, self.images = clock, 0, 0

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        self.images += len(x)
        self.clock.now += len(x)
        return torch.zeros(len(x), 2048)


def run(n, limits, clock, batch=4):
    net = StubNetwork(clock)
    budget = Budget(limits)
    budget.start()
    try:
        res = extract_features(
            tiny_set(n), "clean", net, "stub", batch_size=batch, workers=1, check=budget.checker("generated")
        )
    except (WorkLimitExceeded, RequestCancelled) as exc:
        return net, exc
    return net, res


def test_a_request_that_cannot_finish_in_time_stops_after_the_first_estimate():
    clock = FakeClock()
    net, err = run(40, WorkLimits(max_seconds=10, estimate_after_s=3, clock=clock), clock)
    # After one batch: 4 images in 4 s -> 40 images need 40 s > 10 s: stop there, not at 10 s or 40 s.
    assert isinstance(err, WorkLimitExceeded) and net.calls == 1
    assert "needs at least 40 s" in str(err) and "about 10 in all fit" in str(err)
    assert "python -m playground.metrics" in str(err)


def test_the_hard_time_cap_stops_the_work():
    clock = FakeClock()
    limits = WorkLimits(max_seconds=10, estimate_after_s=1e9, clock=clock)  # no projection: cap only
    net, err = run(40, limits, clock)
    assert isinstance(err, WorkLimitExceeded) and "Stopped after 10 s" in str(err)
    assert net.images == 12  # the check after the third batch (12 s) is the first past 10 s


def test_work_within_the_limits_completes():
    clock = FakeClock()
    net, res = run(10, WorkLimits(max_seconds=10, estimate_after_s=3, clock=clock), clock)
    assert net.images == 10 and res.features.shape == (10, 2048) and res.names[-1] == "9.png"


def test_work_stops_when_the_client_goes_away():
    clock = FakeClock()
    net = None

    def gone():  # the client disconnects while the second batch runs
        return net is not None and net.calls >= 2

    limits = WorkLimits(should_stop=gone, clock=clock)
    net = StubNetwork(clock)
    budget = Budget(limits)
    budget.start()
    with pytest.raises(RequestCancelled, match="went away"):
        extract_features(tiny_set(40), "clean", net, "stub", batch_size=4, workers=1, check=budget.checker("x"))
    assert net.calls == 2


def test_too_many_images_are_refused_before_any_is_decoded(monkeypatch):
    """The repro scaled down: 3,000 1×1 PNGs held the worker 6.5 min; now the count alone refuses them."""

    def no_network(*a, **k):
        raise AssertionError("the network must not be loaded for a refused request")

    monkeypatch.setattr(compute, "fid_network_ref", no_network)
    decoded = []
    monkeypatch.setattr(ImageRef, "read_bytes", lambda self: decoded.append(self) or b"")
    with pytest.raises(WorkLimitExceeded, match="holds 30 images; this shared app measures at most 20"):
        compute.compute_metrics(
            tiny_set(30), tiny_set(3, "real"), metrics="fid", limits=WorkLimits(max_images_per_set=20)
        )
    assert decoded == []
