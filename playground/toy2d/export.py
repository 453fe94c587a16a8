"""Take a run home: metrics CSV, an animated GIF, and the model (safetensors + config JSON).

Frames are drawn with plain numpy + PIL (no matplotlib): D's output as a blue-white-red heatmap, its
decision contour, real points in green, generated points in purple, and G's manifold in black.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from playground.toy2d.trainer import Trainer

REAL = (22, 150, 60)
FAKE = (125, 40, 170)
MANIFOLD = (40, 40, 40)


def save_metrics_csv(trainer: Trainer, path: str | Path) -> Path:
    p = Path(path)
    p.write_text(trainer.history_csv())
    return p


def save_model(trainer: Trainer, folder: str | Path) -> Path:
    """model.safetensors + config.json in ``folder`` (see :meth:`Trainer.save`)."""
    return trainer.save(folder)


def load_model(path: str | Path) -> Trainer:
    return Trainer.load(path)


def _colormap(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Diverging map: lo -> blue, middle -> white, hi -> red. (H, W) -> (H, W, 3) uint8."""
    t = np.clip((v - lo) / max(hi - lo, 1e-12), 0, 1)[..., None]
    blue, white, red = np.array([49, 104, 178.0]), np.array([247, 247, 247.0]), np.array([200, 50, 45.0])
    rgb = np.where(t < 0.5, blue + (white - blue) * (t / 0.5), white + (red - white) * ((t - 0.5) / 0.5))
    return rgb.astype(np.uint8)


def render_frame(snap: dict, size: int = 320, extent=None) -> Image.Image:
    """One picture of a :meth:`Trainer.snapshot`: heatmap, contour, manifold, real and fake points."""
    gx, gy, d = snap["grid_x"], snap["grid_y"], snap["d_grid"]
    xmin, xmax, ymin, ymax = extent or (gx[0], gx[-1], gy[0], gy[-1])
    if snap.get("d_is_probability", True) and d.min() >= 0 and d.max() <= 1:
        lo, hi = 0.0, 1.0
    else:  # critic values: centre the colour scale on the decision level
        level = snap["boundary_level"]
        span = float(np.abs(d - level).max()) or 1.0
        lo, hi = level - span, level + span
    heat = _colormap(d[::-1], lo, hi)  # image rows go top-down, grid rows go bottom-up
    img = Image.fromarray(heat).resize((size, size), Image.BILINEAR)
    draw = ImageDraw.Draw(img)

    def px(p: np.ndarray) -> np.ndarray:
        x = (p[:, 0] - xmin) / (xmax - xmin) * (size - 1)
        y = (ymax - p[:, 1]) / (ymax - ymin) * (size - 1)
        return np.stack([x, y], 1)

    # decision contour: cells where D crosses the level between neighbours
    above = d >= snap["boundary_level"]
    edge = np.zeros_like(above)
    edge[:, 1:] |= above[:, 1:] != above[:, :-1]
    edge[1:, :] |= above[1:, :] != above[:-1, :]
    ys, xs = np.nonzero(edge)
    for x, y in px(np.stack([gx[xs], gy[ys]], 1)):
        draw.rectangle([x - 1, y - 1, x + 1, y + 1], fill=(0, 0, 0))
    for line in snap["manifold"]:
        pts = [tuple(map(float, q)) for q in px(line)]
        draw.line(pts, fill=MANIFOLD, width=1)
    for colour, pts in ((REAL, snap["real"]), (FAKE, snap["fake"])):
        for x, y in px(pts):
            draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=colour)
    draw.text((4, 4), f"iteration {snap['iteration']}", fill=(0, 0, 0))
    return img


def record_gif(trainer: Trainer, path: str | Path, iterations: int, frames: int = 40, size: int = 240, fps: int = 10) -> Path:
    """Train ``iterations`` more iterations and save ``frames`` snapshots as an animated GIF."""
    import imageio.v3 as iio

    per = max(1, iterations // frames)
    pics = [np.asarray(render_frame(trainer.snapshot(res=40, d_star=False), size))]
    done = 0
    while done < iterations:
        n = min(per, iterations - done)
        trainer.step(n)
        done += n
        pics.append(np.asarray(render_frame(trainer.snapshot(res=40, d_star=False), size)))
    p = Path(path)
    iio.imwrite(p, np.stack(pics), extension=".gif", duration=int(1000 / fps), loop=0)
    return p


def gif_from_snapshots(snaps: list[dict], path: str | Path, size: int = 240, fps: int = 10) -> Path:
    """Save snapshots already taken (e.g. by the live tab) as an animated GIF."""
    import imageio.v3 as iio

    if not snaps:
        from playground.errors import UserError

        raise UserError("Nothing to export yet: train for a few iterations first.")
    p = Path(path)
    iio.imwrite(p, np.stack([np.asarray(render_frame(s, size)) for s in snaps]), extension=".gif", duration=int(1000 / fps), loop=0)
    return p
