import pytest
import torch

from playground.device import get_device, gpu


def test_get_device_honours_override(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    assert get_device("cpu").type == "cpu"


def test_get_device_prefers_cuda_when_available(monkeypatch):
    monkeypatch.delenv("PLAYGROUND_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else None
    dev = get_device()
    if expected:
        assert dev.type == "cuda"
    else:
        assert dev.type in {"cpu", "mps"}


def test_gpu_decorator_is_transparent_without_spaces():
    @gpu
    def f(x):
        return x + 1

    @gpu(duration=5)
    def g(x):
        return x * 2

    assert f(1) == 2 and g(3) == 6


def test_default_threads_is_one_and_overridable(monkeypatch):
    from playground.device import default_threads

    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("PLAYGROUND_THREADS", raising=False)
        assert default_threads() == 1
        monkeypatch.setenv("PLAYGROUND_THREADS", "2")
        assert default_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_default_threads_shortens_the_interpreter_switch_interval():
    import sys

    from playground.device import SWITCH_INTERVAL_S, default_threads

    old = sys.getswitchinterval()
    try:
        default_threads()
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_S)
    finally:
        sys.setswitchinterval(old)
