"""Exports: metrics CSV, animated GIF, model + config, loaded back."""

import numpy as np
import torch

from playground.toy2d import ToyConfig, Trainer
from playground.toy2d import export


def test_gif_csv_and_model(tmp_path):
    t = Trainer(ToyConfig(g_width=16, d_width=16, batch_size=32), log_every=5)
    gif = export.record_gif(t, tmp_path / "run.gif", iterations=20, frames=4, size=96)
    import imageio.v3 as iio

    frames = iio.imread(gif, index=None)
    assert frames.shape[0] == 5 and frames.shape[1:3] == (96, 96)
    assert not np.array_equal(frames[0], frames[-1])  # the picture changes while training
    csv_path = export.save_metrics_csv(t, tmp_path / "m.csv")
    assert csv_path.read_text().splitlines()[0].startswith("iteration,d_loss,g_loss")
    export.save_model(t, tmp_path / "model")
    u = export.load_model(tmp_path / "model")
    for a, b in zip(t.G.parameters(), u.G.parameters()):
        assert torch.equal(a, b)


def test_render_frame_colours_follow_d(tmp_path):
    t = Trainer(ToyConfig(g_width=16, d_width=16, batch_size=32))
    s = t.snapshot(res=8)
    s["d_grid"] = np.zeros((8, 8), dtype=np.float32)
    s["d_grid"][:, 4:] = 1.0  # right half "real"
    s["real"] = s["fake"] = np.zeros((0, 2))
    s["manifold"] = []
    img = np.asarray(export.render_frame(s, size=64)).astype(int)
    assert img[32, 2, 2] > img[32, 2, 0]  # left: blue
    assert img[32, 61, 0] > img[32, 61, 2]  # right: red
    gif = export.gif_from_snapshots([s, s], tmp_path / "a.gif", size=64)
    assert gif.exists()
