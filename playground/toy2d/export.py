"""Take a run home: metrics CSV, an animated GIF, and the model (safetensors + config JSON).

Frames are drawn by :mod:`playground.toy2d.render` (the same pictures the live tab shows).
"""

from __future__ import annotations

from pathlib import Path

from playground.errors import UserError
from playground.toy2d.render import render_frame, write_gif
from playground.toy2d.trainer import Trainer


def save_metrics_csv(trainer: Trainer, path: str | Path) -> Path:
    """The training history (losses and mode metrics every ``log_every`` iterations) as CSV."""
    p = Path(path)
    p.write_text(trainer.history_csv())
    return p


def save_model(trainer: Trainer, folder: str | Path) -> Path:
    """model.safetensors + config.json in ``folder`` (see :meth:`Trainer.save`)."""
    return trainer.save(folder)


def load_model(path: str | Path) -> Trainer:
    return Trainer.load(path)


def record_gif(trainer: Trainer, path: str | Path, iterations: int, frames: int = 40, size: int = 240, fps: int = 10) -> Path:
    """Train ``iterations`` more iterations and save ``frames`` + 1 snapshots as an animated GIF."""
    per = max(1, iterations // frames)
    extent = trainer.dataset.extent
    pics = [render_frame(trainer.snapshot(res=40, d_star=False), extent, size=size)]
    done = 0
    while done < iterations:
        n = min(per, iterations - done)
        trainer.step(n)
        done += n
        pics.append(render_frame(trainer.snapshot(res=40, d_star=False), extent, size=size))
    write_gif(pics, path, fps=fps)
    return Path(path)


def gif_from_snapshots(snaps: list[dict], extent, path: str | Path, size: int = 240, fps: int = 10) -> Path:
    """Save snapshots already taken (e.g. by the live tab) as an animated GIF."""
    if not snaps:
        raise UserError("Nothing to export yet: train for a few iterations first.")
    write_gif([render_frame(s, extent, size=size) for s in snaps], path, fps=fps)
    return Path(path)
