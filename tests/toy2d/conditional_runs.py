"""Run the conditional preset under a chosen family of CPU kernels and report what its samples show.

A child process per kernel family, as :mod:`tests.toy2d.preset_runs` does for the other presets (whose
families, environments and reasons this module shares). What is counted is written out here, against ring
centres and labels computed here, not by ``playground.toy2d.metrics``:

* modes covered: a mode holds at least one sample within 3 sigma and nearer to it than to any other centre
  (VEEGAN/PacGAN), and ``fair``: modes holding at least a quarter of their even share of the samples;
* label accuracy: G is asked for label i, for i = 0 .. 7 in turn, and a sample counts when its nearest centre
  is the i-th point of the ring (angle 2 pi i / 8) (an unconditional G is measured the same way, ignoring labels);
* spread: the samples' mean distance from their centroid (2, the radius, when spread over the whole ring).

    python -m tests.toy2d.conditional_runs '[{"name": "Cure: conditional labels", "seed": 100}]'
"""

from __future__ import annotations

import json
import sys

import numpy as np

from tests.toy2d import preset_runs
from tests.toy2d.preset_runs import ring_centres

N_SAMPLES = 2500


def report(t, n: int = N_SAMPLES) -> dict:
    """Modes covered (papers' count and the fair-share count), label accuracy and per-mode counts of n samples."""
    from scipy.spatial.distance import cdist

    centres = ring_centres()
    labels = np.arange(n) % len(centres)  # every label equally often
    x = t.generate(n, labels=labels).astype(np.float64)
    d = cdist(x, centres)
    nearest = d.argmin(1)
    close = d[np.arange(n), nearest] <= 3 * t.dataset.sigma
    counts = np.bincount(nearest[close], minlength=len(centres))
    return {"modes": int((counts > 0).sum()), "fair": int((counts >= 0.25 * n / len(centres)).sum()),
            "label_accuracy": float((nearest == labels).mean()), "on_modes": float(close.mean()),
            "per_mode": [int(c) for c in counts], "spread": float(np.linalg.norm(x - x.mean(0), axis=1).mean())}


def run_job(job: dict) -> dict:
    """``{"name", "seed", "iterations" (None: the preset's), "overrides"}`` -> :func:`report` after training."""
    from playground.toy2d import presets

    t, full = presets.make_trainer(job["name"], seed=job["seed"], log_every=0, **job.get("overrides", {}))
    t.step(job.get("iterations") or full)
    return report(t)


def main() -> None:
    from playground.device import default_threads

    import torch

    default_threads()
    results = [run_job(j) for j in json.loads(sys.argv[1])]
    print(json.dumps({"capability": torch.backends.cpu.get_cpu_capability(), "results": results}))


def run_families(jobs: list[dict], timeout: float = 1200) -> dict[str, dict]:
    """:func:`tests.toy2d.preset_runs.run_families` with this module's jobs in the children."""
    return preset_runs.run_families(jobs, timeout, module="tests.toy2d.conditional_runs")

if __name__ == "__main__":
    main()
