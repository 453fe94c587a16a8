import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from playground.device import get_device, gpu
from playground.errors import UserError

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_get_device_honours_playground_device(monkeypatch):
    # "meta" is never what the automatic choice returns, so this fails if the variable is ignored.
    monkeypatch.setenv("PLAYGROUND_DEVICE", "meta")
    assert get_device() == torch.device("meta")
    assert get_device("cpu") == torch.device("cpu")  # an explicit choice wins over the variable


def test_get_device_picks_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv("PLAYGROUND_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device() == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert get_device() == torch.device("mps")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert get_device() == torch.device("cpu")


@pytest.mark.parametrize("value, message", [
    ("gpu0", "PLAYGROUND_DEVICE is 'gpu0', which is not a device: use cpu, cuda, cuda:N or mps."),
    ("cuda:7", "PLAYGROUND_DEVICE is 'cuda:7', but this machine has no such device: use cpu, or unset it."),
])
def test_a_bad_playground_device_is_a_sentence(monkeypatch, value, message):
    monkeypatch.setenv("PLAYGROUND_DEVICE", value)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)  # one GPU at most, whatever this machine has
    with pytest.raises(UserError) as info:
        get_device()
    assert str(info.value) == message


def _stand_in_spaces():
    """The test stand-in for Hugging Face's ``spaces`` package (tests/fixtures/zerogpu/spaces.py)."""
    spec = importlib.util.spec_from_file_location("spaces", FIXTURES / "zerogpu" / "spaces.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gpu_leaves_the_function_alone_without_spaces(monkeypatch):
    monkeypatch.setitem(sys.modules, "spaces", None)  # `import spaces` raises ImportError

    def f(x):
        return x + 1

    assert gpu(f) is f and gpu(duration=5)(f) is f


def test_gpu_wraps_with_spaces_and_asks_for_the_duration(monkeypatch):
    spaces = _stand_in_spaces()
    monkeypatch.setitem(sys.modules, "spaces", spaces)

    def double(x):
        return x * 2

    def count(n):
        yield from range(n)

    wrapped, gen = gpu(double, duration=45), gpu(count)
    assert wrapped is not double and gen is not count
    assert spaces.WRAPPED == {f"{__name__}.{double.__qualname__}": 45, f"{__name__}.{count.__qualname__}": 60}
    assert wrapped(3) == 6 and list(gen(3)) == [0, 1, 2]
    assert [c["name"] for c in spaces.CALLS] == [f"{__name__}.{double.__qualname__}",
                                                 f"{__name__}.{count.__qualname__}"]
    assert spaces.CALLS[0]["arg_types"] == ["builtins.int"] and spaces.CALLS[0]["result_types"] == ["builtins.int"]
    assert len(spaces.CALLS[1]["result_bytes"]) == 3  # each yielded item crossed on its own


def test_the_stand_in_pickles_like_zerogpu(monkeypatch):
    """ZeroGPU pickles arguments and results between processes: the stand-in does too, so a function handed
    (or returning) something that does not pickle fails here as it would on a Space."""
    import pickle
    import threading

    spaces = _stand_in_spaces()
    monkeypatch.setitem(sys.modules, "spaces", spaces)
    seen = []

    def keep(x):
        seen.append(x)
        return x

    def lock():
        return threading.Lock()

    def locks(n):
        yield threading.Lock()

    keep, lock, locks = gpu(keep), gpu(lock), gpu(locks)
    data = {"a": [1, 2]}
    assert keep(data) == data and seen[0] == data and seen[0] is not data  # the function got a copy
    with pytest.raises(pickle.PicklingError):
        keep(lambda: 1)  # a callback
    with pytest.raises(pickle.PicklingError):
        keep(threading.Lock())
    with pytest.raises(pickle.PicklingError):
        lock()
    with pytest.raises(pickle.PicklingError):
        list(locks(1))
    scripted = torch.jit.script(torch.nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="serialize"):  # torch: "Tried to serialize object ..."
        keep(scripted)


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
