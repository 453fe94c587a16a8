"""playground.cli_common: devices and output paths are checked before work; errors are one line."""

import pytest
import torch

from playground import cli_common
from playground.errors import UserError


def test_unknown_device_and_missing_gpu(monkeypatch):
    assert cli_common.resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(UserError, match="Unknown device 'foo'"):
        cli_common.resolve_device("foo")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(UserError, match="no CUDA GPU is available"):
        cli_common.resolve_device("cuda")


def test_gpu_index_out_of_range(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(UserError, match="has 1 CUDA GPU"):
        cli_common.resolve_device("cuda:3")


def test_unwritable_output_is_refused_up_front(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    # A path under a regular file cannot be created, even by root.
    with pytest.raises(UserError, match="--out .*cannot write there"):
        cli_common.output_folder(blocker / "sub")
    with pytest.raises(UserError, match="cannot write there"):
        cli_common.output_file(blocker / "sub" / "grid.png")
    with pytest.raises(UserError, match="ending in .png"):
        cli_common.output_file(tmp_path / "grid.txt", suffixes=(".png",))
    assert cli_common.output_folder(tmp_path / "new" / "dir").is_dir()


def test_run_turns_errors_into_exit_code_2(capsys):
    def bad():
        raise UserError("something is wrong")

    def disk():
        raise PermissionError(13, "Permission denied", "/root/x")

    assert cli_common.run(bad) == 2
    assert capsys.readouterr().err == "error: something is wrong\n"
    assert cli_common.run(disk) == 2
    assert capsys.readouterr().err == "error: Permission denied (/root/x)\n"
    assert cli_common.run(lambda: None) == 0
