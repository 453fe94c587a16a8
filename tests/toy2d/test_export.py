"""Exports: metrics CSV, animated GIF, model + config, loaded back."""

import numpy as np
import pytest
import torch
from PIL import Image, ImageSequence

from playground.errors import UserError
from playground.toy2d import ToyConfig, Trainer
from playground.toy2d import export


def read_gif(path) -> np.ndarray:
    """All frames of a GIF as an (n, h, w, 3) array."""
    with Image.open(path) as im:
        return np.stack([np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)])


def test_gif_csv_and_model(tmp_path):
    t = Trainer(ToyConfig(g_width=16, d_width=16, batch_size=32), log_every=5)
    gif = export.record_gif(t, tmp_path / "run.gif", iterations=20, frames=4, size=96)
    frames = read_gif(gif)
    assert frames.shape[0] == 5 and frames.shape[1:3] == (96, 96)
    assert not np.array_equal(frames[0], frames[-1])  # the picture changes while training
    csv_path = export.save_metrics_csv(t, tmp_path / "m.csv")
    assert csv_path.read_text().splitlines()[0].startswith("iteration,d_loss,g_loss")
    assert len(csv_path.read_text().splitlines()) == 1 + 4  # header + a row every 5 of 20 iterations
    export.save_model(t, tmp_path / "model")
    u = export.load_model(tmp_path / "model")
    for a, b in zip(t.G.parameters(), u.G.parameters()):
        assert torch.equal(a, b)


def test_gif_from_snapshots(tmp_path):
    t = Trainer(ToyConfig(g_width=16, d_width=16, batch_size=32))
    snaps = [t.snapshot(res=8)]
    t.step(30)
    snaps.append(t.snapshot(res=8))
    gif = export.gif_from_snapshots(snaps, t.dataset.extent, tmp_path / "a.gif", size=64)
    assert read_gif(gif).shape[0] == 2
    with pytest.raises(UserError, match="Nothing to export"):
        export.gif_from_snapshots([], t.dataset.extent, tmp_path / "b.gif")
