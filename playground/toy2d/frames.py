"""A snapshot as a compact frame for the browser, which draws it on a canvas.

A picture of the lab is a few small arrays: D over a 48×48 grid, D* over the same grid, the fakes,
G's manifold lines and the gradient arrows. Sent as quantised bytes (grids as uint8 over their colour
range, coordinates as uint16 over the view, arrow directions as int8) they take ~8 KB a frame, where a
JPEG of the drawn pictures took ~70 KB. The real data never moves, so it is sent only when asked for.

:func:`encode_frame` makes the JSON-ready dict; :func:`decode_frame` turns it back into arrays (the
tests check the round trip, and anything other than a browser can use it).
"""

from __future__ import annotations

import base64

import numpy as np

from playground.toy2d.render import label_colours, surface_range

FRAME_VERSION = 1
COORD_MAX = 65535  # uint16 coordinates over the view's extent widened by COORD_PAD on every side,
COORD_PAD = 0.25  # so that points just outside the view are drawn outside it, not piled on its edge
ARROW_MAX = 127  # int8 arrow directions, the longest arrow = 127
LIVE_MANIFOLD_POINTS = 21  # points per manifold line in a live frame (the canvas draws them as a polyline)


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def _unb64(s: str, dtype) -> np.ndarray:
    return np.frombuffer(base64.b64decode(s), dtype=dtype)


def quantise_grid(grid: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Values in [lo, hi] → uint8 0..255 (clipped), rows as in the snapshot (row 0 = lowest y)."""
    g = np.asarray(grid, dtype=np.float64)
    q = np.rint((g - lo) / max(hi - lo, 1e-12) * 255.0)
    return np.clip(q, 0, 255).astype(np.uint8)


def quantise_points(points: np.ndarray, extent) -> np.ndarray:
    """Plane points (n, 2) → uint16 coordinates over the widened view (farther points are clipped to its
    edge, which lies outside the picture; non-finite ones go to a corner of it)."""
    xmin, xmax, ymin, ymax = extent
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    u = (p[:, 0] - xmin) / (xmax - xmin)
    v = (p[:, 1] - ymin) / (ymax - ymin)
    uv = (np.stack([u, v], axis=1) + COORD_PAD) / (1 + 2 * COORD_PAD)
    uv = np.where(np.isfinite(uv), uv, 0.0)
    return np.rint(np.clip(uv, 0.0, 1.0) * COORD_MAX).astype("<u2")


def dequantise_points(q: np.ndarray, extent) -> np.ndarray:
    xmin, xmax, ymin, ymax = extent
    uv = np.asarray(q, dtype=np.float64).reshape(-1, 2) / COORD_MAX * (1 + 2 * COORD_PAD) - COORD_PAD
    return np.stack([xmin + uv[:, 0] * (xmax - xmin), ymin + uv[:, 1] * (ymax - ymin)], axis=1)


def encode_frame(snap: dict, extent, *, status: dict | None = None, with_real: bool = False,
                 show_manifold: bool = True, show_arrows: bool = True) -> dict:
    """The JSON-ready frame of a :meth:`Trainer.snapshot`; see the module docstring.

    Keys: ``v``, ``ext`` (xmin, xmax, ymin, ymax), ``n`` (grid size), ``d`` (uint8 grid) with ``lo``,
    ``mid`` (the boundary level), ``hi``; ``ds`` (D*'s uint8 grid over [0, 1]) when the snapshot has it;
    ``fake`` (uint16 pairs); ``man`` (uint16 pairs, ``ml`` points per line); ``arr`` (int8 directions of
    the first ``len(arr) / 2`` fakes); ``real`` when ``with_real``; ``status`` as given. A conditional G's
    frame has ``nl`` (its number of labels), and with the reals the label each fake was asked for (``fl``, uint8;
    fixed for the run) and the labels' colours (``lc``, RGB triples one after another).
    """
    d = np.asarray(snap["d_grid"], dtype=np.float32)
    lo, mid, hi = surface_range(d, snap["boundary_level"], snap.get("d_is_probability", True))
    frame = {
        "v": FRAME_VERSION,
        "it": int(snap["iteration"]),
        "ext": [float(e) for e in extent],
        "n": int(d.shape[0]),
        "d": _b64(quantise_grid(d, lo, hi)),
        "lo": lo, "mid": mid, "hi": hi,
        "prob": bool(snap.get("d_is_probability", True)),
        "fake": _b64(quantise_points(snap["fake"], extent)),
    }
    if snap.get("d_star_grid") is not None:
        frame["ds"] = _b64(quantise_grid(snap["d_star_grid"], 0.0, 1.0))
    if snap.get("manifold") is None and snap.get("arrows_dir") is None:
        frame["extras"] = False  # left out of this frame: the page keeps drawing the last ones
    if show_manifold and snap.get("manifold"):
        lines = snap["manifold"]
        frame["man"] = _b64(quantise_points(np.concatenate(lines), extent))
        frame["ml"] = int(len(lines[0]))
    if show_arrows and snap.get("arrows_dir") is not None and len(snap["arrows_dir"]):
        frame["arr"] = _b64(quantise_arrows(snap["arrows_dir"]))
    if with_real:
        frame["real"] = _b64(quantise_points(snap["real"], extent))
    if snap.get("fake_labels") is not None:
        frame["nl"] = int(snap["n_labels"])
        if with_real:
            frame["fl"] = _b64(np.asarray(snap["fake_labels"], dtype=np.uint8))
            frame["lc"] = [c for rgb in label_colours(frame["nl"]) for c in rgb]
    if status is not None:
        frame["status"] = status
    return frame


def quantise_arrows(directions: np.ndarray) -> np.ndarray:
    """Arrow directions (k, 2) → int8, the longest one scaled to length 127 (the drawing's convention:
    the longest arrow has a fixed length, the others in proportion)."""
    d = np.asarray(directions, dtype=np.float64).reshape(-1, 2)
    d = np.where(np.isfinite(d), d, 0.0)
    longest = float(np.linalg.norm(d, axis=1).max()) if len(d) else 0.0
    if longest <= 0:
        return np.zeros(d.shape, dtype=np.int8)
    return np.clip(np.rint(d / longest * ARROW_MAX), -ARROW_MAX, ARROW_MAX).astype(np.int8)


def decode_frame(frame: dict) -> dict:
    """Arrays back from :func:`encode_frame` (for tests and non-browser clients)."""
    ext, n = frame["ext"], frame["n"]
    lo, hi = frame["lo"], frame["hi"]
    out = {
        "d_grid": lo + _unb64(frame["d"], np.uint8).reshape(n, n).astype(np.float64) / 255.0 * (hi - lo),
        "boundary_level": frame["mid"],
        "fake": dequantise_points(_unb64(frame["fake"], "<u2"), ext),
    }
    if "ds" in frame:
        out["d_star_grid"] = _unb64(frame["ds"], np.uint8).reshape(n, n).astype(np.float64) / 255.0
    if "man" in frame:
        pts = dequantise_points(_unb64(frame["man"], "<u2"), ext)
        out["manifold"] = np.split(pts, len(pts) // frame["ml"])
    if "arr" in frame:
        out["arrows_dir"] = _unb64(frame["arr"], np.int8).reshape(-1, 2).astype(np.float64) / ARROW_MAX
    if "real" in frame:
        out["real"] = dequantise_points(_unb64(frame["real"], "<u2"), ext)
    if "fl" in frame:
        out["fake_labels"] = _unb64(frame["fl"], np.uint8).astype(np.int64)
        out["n_labels"] = frame["nl"]
    return out


def snapshot_from_frame(frame: dict, real: np.ndarray | None = None) -> dict:
    """A frame as the snapshot dict :func:`playground.toy2d.render.render_frame` draws (the GIF export)."""
    snap = decode_frame(frame)
    lo, mid, hi = frame["lo"], frame["mid"], frame["hi"]
    snap["d_is_probability"] = bool(frame.get("prob", True)) and (lo, mid, hi) == (0.0, 0.5, 1.0)
    snap.setdefault("real", real if real is not None else np.zeros((0, 2)))
    arrows = snap.get("arrows_dir")
    snap["arrows_pos"] = None if arrows is None else snap["fake"][: len(arrows)]
    return snap


__all__ = ["encode_frame", "decode_frame", "quantise_grid", "quantise_points", "dequantise_points",
           "quantise_arrows", "snapshot_from_frame"]
