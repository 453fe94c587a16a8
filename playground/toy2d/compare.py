"""Two runs side by side on the same data and seed, trained in lock-step: the lab's Compare.

A comparison is one of :data:`~playground.toy2d.presets.COMPARE_PRESETS` (each pair changes one thing
to make one point, with the settings the point needs), a custom pair (run B = run A with a few
settings changed), or a GAN beside a small VAE on the same data (which one misses modes).
:func:`run_compare` trains both and yields their pictures' snapshots as it goes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from playground.toy2d.config import ToyConfig
from playground.toy2d.presets import COLLAPSE, COMPARE_PRESETS, make_compare_trainers
from playground.toy2d.trainer import Trainer
from playground.toy2d.vae import VAETrainer

CUSTOM = "Custom: A = the settings above, B = A with the changes below"
GAN_VS_VAE = "Compare: GAN vs VAE on the same data (which one misses modes?)"
# Measured on seeds 0-7 under both kernel families (tests/toy2d/test_compare_presets.py): the VAE's KL(data || G)
# 0.36-0.46 against the GAN's 9.3-9.6, its samples on 7+ modes. Not claimed, because it does not hold: that the
# GAN's samples are sharp (on half of those seeds only 5-7 % of them lie within 3 sigma of a mode at 1,500
# iterations), and the textbook's "the GAN is mode-seeking, so its KL(G || data) is lower" (its samples off the
# modes cost it more there than the VAE's blur does: 2.1-2.7 against 1.0-1.2 on the same runs).
GAN_VS_VAE_STORY = (
    "Both learn the 8-Gaussian ring. Left, a GAN with a strong D: its samples pile up on one or a few spots. "
    "Right, a VAE trained by maximum likelihood, which minimises KL(data‖G): it misses no mode, and pays by "
    "blurring between them (few high-quality samples). Compare KL(data‖G): the VAE's is a small fraction of "
    "the GAN's.")
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
        gan = ToyConfig(**COLLAPSE, seed=cfg.seed)
        return Pair(Trainer(gan), VAETrainer(gan), ("GAN (the 'Mode collapse' recipe)", "VAE (maximum likelihood)"),
                    int(iterations or 1500), "modes_covered", GAN_VS_VAE_STORY)
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


# The table under the two pictures. Each column measures what its header says: modes by the lab's fair-share
# rule and by the papers' one-sample rule, the share of samples on a mode, and three divergences between the
# two densities on the picture's grid (metrics.py and divergence.py say how). The KL pair is what "mode-seeking"
# and "mode-covering" mean: missing data costs KL(data || G), mass off the data costs KL(G || data).
TABLE_HEADERS = ("run", "what", "modes covered", "modes hit", "high quality", "JSD", "KL(data‖G)", "KL(G‖data)")
TABLE_NOTE = (
    "*modes covered*: modes holding at least a quarter of an even share of 2,500 samples; *hit*: modes with at "
    "least one sample within 3σ (the papers' count); *high quality*: samples within 3σ of a mode; *JSD*: 0 when "
    "G's samples match the data, at most 0.69; *KL(data‖G)* grows when G misses data, *KL(G‖data)* when G puts "
    "samples where there is none.")
TABLE_SAMPLES = 1000  # generated points behind each side's divergences


def side_quality(pair: Pair, side: str) -> dict:
    """JSD, both KLs and the Fréchet distance of one side's samples (``side`` "a" or "b"), measured through
    run A's lens (:meth:`Pictures.quality`: same grid and data for both sides, so the rows compare)."""
    t = pair.a if side == "a" else pair.b
    return pair.a.quality(t.generate(TABLE_SAMPLES))


def table_row(name: str, label: str, snap: dict, quality: dict) -> list:
    """One side's row of :data:`TABLE_HEADERS`: its snapshot's mode metrics and its :func:`side_quality`."""
    m = snap["metrics"]
    total = m.get("modes_total") or "–"
    hq = m.get("high_quality")
    return [name, label, f"{m.get('modes_covered', '–')}/{total}", f"{m.get('modes_hit', '–')}/{total}",
            "–" if hq is None else f"{100 * hq:.0f}%", *(_number(quality.get(k)) for k in ("jsd", "kl_data_g", "kl_g_data"))]


def _number(x) -> str:
    return "–" if x is None else f"{x:.3f}"
