"""Compact frames: they decode back to the snapshot within their quantisation, and stay small."""

import json

import numpy as np
import pytest

from playground.toy2d.config import ToyConfig
from playground.toy2d.frames import (
    COORD_MAX,
    COORD_PAD,
    LIVE_MANIFOLD_POINTS,
    ARROW_MAX,
    decode_frame,
    encode_frame,
    snapshot_from_frame,
)
from playground.toy2d.trainer import Trainer

FRAME_BUDGET = 12 * 1024  # bytes of JSON per frame (the target for the wire)


@pytest.fixture(scope="module")
def trained():
    t = Trainer(ToyConfig(seed=1))
    t.step(300)
    return t


@pytest.mark.parametrize("loss", ["nonsaturating", "wgan"])
def test_frame_decodes_to_the_snapshot_within_quantisation(loss):
    t = Trainer(ToyConfig(seed=2, loss=loss))
    t.step(150)
    snap = t.snapshot()
    ext = t.dataset.extent
    frame = json.loads(json.dumps(encode_frame(snap, ext, with_real=True)))  # through JSON, as on the wire
    back = decode_frame(frame)
    # the D surface: within half a quantisation step where it lies inside the colour range
    d = snap["d_grid"].astype(np.float64)
    inside = (d >= frame["lo"]) & (d <= frame["hi"])
    assert inside.mean() > 0.9
    grid_step = (frame["hi"] - frame["lo"]) / 255  # uint8 over the colour range
    assert np.abs(back["d_grid"] - d)[inside].max() <= grid_step / 2 + 1e-6
    if loss == "nonsaturating":  # probabilities keep the fixed [0, 1] range and D = ½ as the boundary
        assert (frame["lo"], frame["mid"], frame["hi"]) == (0.0, 0.5, 1.0)
    else:  # a critic: the boundary is the mean level of real and fake scores
        assert frame["mid"] == pytest.approx(snap["boundary_level"])
    assert np.abs(back["d_star_grid"] - snap["d_star_grid"]).max() <= 0.5 / 255 + 1e-6
    # points: within half a coordinate step (those inside the view)
    step = max(ext[1] - ext[0], ext[3] - ext[2]) * (1 + 2 * COORD_PAD) / COORD_MAX  # uint16 over the widened view
    for key in ("fake", "real"):
        p = snap[key]
        ok = (p[:, 0] >= ext[0]) & (p[:, 0] <= ext[1]) & (p[:, 1] >= ext[2]) & (p[:, 1] <= ext[3])
        assert np.abs(back[key] - p)[ok].max() <= step / 2 + 1e-9
    # manifold: every line, every point
    want = snap["manifold"]
    assert len(back["manifold"]) == len(want)
    w = np.concatenate(want)
    near = (np.abs(w) < 1.4 * max(np.abs(ext)))[:, 0] & (np.abs(w) < 1.4 * max(np.abs(ext)))[:, 1]
    assert np.abs(np.concatenate(back["manifold"]) - w)[near].max() <= step
    # arrows: directions relative to the longest one
    a = snap["arrows_dir"]
    rel = a / np.linalg.norm(a, axis=1).max()
    assert np.abs(back["arrows_dir"] - rel).max() <= 0.5 / ARROW_MAX + 1e-9


def test_frames_fit_the_wire_budget(trained):
    ext = trained.dataset.extent
    live = dict(fresh_metrics=False, manifold_points=LIVE_MANIFOLD_POINTS)  # as the scheduler draws them
    with_star = json.dumps(encode_frame(trained.snapshot(d_star=True, **live), ext, status={"line": "x" * 200}))
    without = json.dumps(encode_frame(trained.snapshot(d_star=False, **live), ext, status={"line": "x" * 200}))
    assert len(with_star) <= FRAME_BUDGET, len(with_star)
    assert len(without) <= FRAME_BUDGET * 0.8, len(without)


def test_non_finite_points_do_not_break_a_frame(trained):
    snap = dict(trained.snapshot())
    snap["fake"] = snap["fake"].copy()
    snap["fake"][0] = [np.nan, np.inf]
    frame = encode_frame(snap, trained.dataset.extent)
    json.dumps(frame, allow_nan=False)
    assert np.isfinite(decode_frame(frame)["fake"]).all()


def test_a_frame_redraws_as_the_server_side_picture(trained):
    """The GIF export draws kept frames with the same renderer as before: same size, same palette."""
    from playground.toy2d.render import render_frame

    snap = trained.snapshot()
    frame = encode_frame(snap, trained.dataset.extent, with_real=True)
    again = snapshot_from_frame(frame)
    a = np.asarray(render_frame(snap, trained.dataset.extent, size=120), dtype=np.float64)
    b = np.asarray(render_frame(again, trained.dataset.extent, size=120), dtype=np.float64)
    assert a.shape == b.shape
    moved = np.abs(a - b).sum(axis=2) > 30
    assert moved.mean() < 0.05  # a few pixels of points and strokes move by a quantisation step


def test_a_frame_without_extras_says_so_and_is_smaller(trained):
    """A crowded server leaves the manifold and the arrows out of every other frame; the frame says so,
    so the page keeps drawing the last ones instead of erasing them."""
    live = dict(fresh_metrics=False, manifold_points=LIVE_MANIFOLD_POINTS, d_star=False)
    full = encode_frame(trained.snapshot(**live), trained.dataset.extent)
    lean = encode_frame(trained.snapshot(extras=False, **live), trained.dataset.extent)
    assert "extras" not in full and "man" in full and "arr" in full
    assert lean["extras"] is False and "man" not in lean and "arr" not in lean
    assert lean["d"] == full["d"] and lean["fake"] == full["fake"]  # the same picture otherwise
    assert len(json.dumps(lean)) < len(json.dumps(full))
