"""Two runs side by side on the same data and seed, trained in lock-step: the lab's Compare.

A comparison is one of :data:`~playground.toy2d.presets.COMPARE_PRESETS` (each pair changes one thing
to make one point, with the settings the point needs), a custom pair (run B = run A with a few
settings changed), or a GAN beside a small VAE on the same data (mode-seeking vs mean-seeking).
:func:`run_compare` trains both and yields their pictures' snapshots as it goes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from playground.toy2d.config import ToyConfig
from playground.toy2d.presets import COMPARE_PRESETS, make_compare_trainers
from playground.toy2d.trainer import Trainer
from playground.toy2d.vae import VAETrainer

CUSTOM = "Custom: A = the settings above, B = A with the changes below"
GAN_VS_VAE = "Compare: GAN vs VAE on the same data (mode-seeking vs mean-seeking)"
CHOICES = (*COMPARE_PRESETS, GAN_VS_VAE, CUSTOM)
DEFAULT = next(iter(COMPARE_PRESETS))  # collapse vs its cure: a true story by default
FRAMES = 40  # pictures per comparison
MAX_ITERATIONS = 10_000


@dataclass
class Pair:
    """What is compared: two trainers (B may be a VAE), their captions, and how long to train."""

    a: Trainer
    b: Trainer | VAETrainer
    labels: tuple[str, str]
    iterations: int
    watch: str = "modes_covered"
    description: str = ""


def make_pair(choice: str, cfg: ToyConfig, b_changes: dict, iterations: int | None = None) -> Pair:
    """The pair for a choice of :data:`CHOICES`: presets keep their own settings (seed from ``cfg``)."""
    if choice in COMPARE_PRESETS:
        p = COMPARE_PRESETS[choice]
        a, b, n = make_compare_trainers(choice, seed=cfg.seed)
        return Pair(a, b, tuple(p["labels"]), int(iterations or n), p.get("watch", "modes_covered"), p["description"])
    if choice == GAN_VS_VAE:
        return Pair(Trainer(cfg), VAETrainer(cfg), ("GAN (the settings above)", "VAE (maximum likelihood)"),
                    int(iterations or 1500), "modes_covered",
                    "The GAN's samples are sharp but may miss modes; the VAE covers every mode and blurs between them.")
    b_cfg = cfg.replace(**b_changes)
    changed = ", ".join(f"{k} = {v}" for k, v in b_changes.items() if getattr(cfg, k) != v) or "nothing"
    return Pair(Trainer(cfg), Trainer(b_cfg), (f"A: {cfg.loss}", f"B: {changed}"), int(iterations or 3000))


def vae_snapshot(vae: VAETrainer, like: dict) -> dict:
    """A picture of the VAE's samples in the lab's style: no discriminator (a blank surface), the real
    data and the samples (``like`` is a GAN snapshot supplying the grid and the real points)."""
    blank = np.full_like(like["d_grid"], 0.5)
    return {"d_grid": blank, "boundary_level": 0.5, "d_is_probability": True, "real": like["real"],
            "fake": vae.generate(len(like["fake"])), "manifold": None, "arrows_pos": None, "arrows_dir": None,
            "metrics": vae.metrics(), "iteration": like["iteration"]}


def run_compare(pair: Pair, stop: threading.Event | None = None, frames: int = FRAMES) -> Iterator[tuple[dict, dict, bool]]:
    """Train A and B in lock-step; yield (snapshot A, snapshot B, finished) ``frames`` times."""
    n = max(1, min(pair.iterations, MAX_ITERATIONS))
    per_frame = max(1, n // frames)
    done = 0
    while True:
        finished = done >= n or (stop is not None and stop.is_set())
        sa = pair.a.snapshot()
        sb = vae_snapshot(pair.b, sa) if isinstance(pair.b, VAETrainer) else pair.b.snapshot()
        yield sa, sb, finished
        if finished:
            return
        k = min(per_frame, n - done)
        pair.a.step(k)
        pair.b.step(k)  # same data, same seed, same number of updates
        done += k


def table_row(name: str, label: str, snap: dict) -> list:
    m = snap["metrics"]
    hq = m.get("high_quality")
    rkl = m.get("reverse_kl")
    return [name, label, f"{m.get('modes_covered', '–')}/{m.get('modes_total', '–')}",
            "–" if hq is None else f"{100 * hq:.0f}%", "–" if rkl is None else f"{rkl:.2f}"]
