"""The metrics CLI answers bad options with one line and exit code 2, before any long work."""

import os

import pytest
import torch

from playground.metrics import assets
from playground.metrics.__main__ import main


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if the CLI got as far as loading a network."""

    def refuse(*a, **k):
        raise AssertionError("the CLI started working before checking its options")

    monkeypatch.setattr("playground.metrics.__main__.load_fid_network", refuse)
    monkeypatch.setattr("playground.metrics.__main__.compute_metrics", refuse)


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize(
    "device, says",
    [("foo", "Unknown device 'foo'"), ("cuda", "no CUDA GPU is available"), ("cuda:7", "no CUDA GPU is available")],
)
def test_bad_device(two_sets, monkeypatch, capsys, no_work, device, says):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the same answer on a GPU machine
    a, b = two_sets
    assert main([str(a), str(b), "--device", device]) == 2
    assert says in one_line_error(capsys)


def test_unwritable_save_stats(two_sets, tmp_path, capsys, no_work):
    a, b = two_sets
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main([str(a), str(b), "--save-stats", str(blocker / "stats.npz")]) == 2
    assert f"{blocker} is a file, not a folder" in one_line_error(capsys)
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert main([str(a), str(b), "--save-stats", str(locked / "stats.npz")]) == 2
        assert "cannot write there (Permission denied)" in one_line_error(capsys)
    assert main([str(a), "--save-stats", str(tmp_path)]) == 2
    assert "is a folder" in one_line_error(capsys)


def test_bad_batch_size_is_an_argparse_error(two_sets, capsys, no_work):
    a, b = two_sets
    with pytest.raises(SystemExit) as exc:
        main([str(a), str(b), "--batch-size", "0"])
    assert exc.value.code == 2 and "must be at least 1" in capsys.readouterr().err


def test_wrong_is_weights_file_names_the_right_file_and_the_option(two_sets, tmp_path, monkeypatch, capsys):
    wrong = tmp_path / "model.pth"
    wrong.write_bytes(b"not the inception weights")
    monkeypatch.setattr(
        "playground.metrics.compute.fid_network_ref", lambda *a, **k: pytest.fail("checked too late")
    )
    a, b = two_sets
    assert main([str(a), str(b), "--metrics", "fid,is", "--is-weights", str(wrong)]) == 2
    msg = one_line_error(capsys)
    assert "is not the Inception Score weights file" in msg and assets.IS_WEIGHTS_NAME in msg
    assert "--is-weights" in msg and "FID" not in msg and "Delete it" not in msg
    assert "25 bytes, expected 95,628,359" in msg
    assert wrong.exists()  # the user's file is never deleted
    # a damaged copy in our cache is deleted (and downloaded again when downloads are allowed)
    monkeypatch.setenv("PLAYGROUND_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("PLAYGROUND_IS_WEIGHTS", raising=False)
    cached = tmp_path / "cache" / assets.IS_WEIGHTS_NAME
    cached.parent.mkdir()
    cached.write_bytes(b"cut short")
    with pytest.raises(assets.WeightsUnavailable, match="damaged; it was deleted"):
        assets.is_weights_path(download=False)
    assert not os.path.exists(cached)
