"""Run presets under a chosen family of CPU kernels and report what their samples show.

The same code and seed give different last bits on different CPUs: MKL and ATen pick AVX2 or AVX-512
kernels by CPU, and GAN training amplifies the difference. A preset's claim must hold on both, so the
tests (test_presets.py, test_compare_presets.py) measure each family in a child process of its own,
started with the family's environment (the kernels are chosen when torch loads, so it cannot be switched
inside one process). Both families run at once, one process each (CI has two cores).

Modes are counted here from G's samples with the VEEGAN/PacGAN definition written out on its own
(:func:`modes_hit`: the papers' count, which the presets' claims use), and the lab's fair-share count beside
it (``covered`` in a report), against ring centres computed here, not by ``playground.toy2d.metrics``.

    python -m tests.toy2d.preset_runs '[{"kind": "modes", "name": "Mode collapse", "seed": 100}]'
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
KERNEL_VARS = ("MKL_ENABLE_INSTRUCTIONS", "ATEN_CPU_CAPABILITY")
# The kernels a CPU picks itself (AVX-512 on this project's machines), and the AVX2 ones forced.
FAMILIES = {"default": {}, "avx2": {"MKL_ENABLE_INSTRUCTIONS": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}}

# The timeout of the modules that test the cut claims (test_presets.py, test_compare_presets.py). Their
# shared runs are made in the setup of whichever test asks first, and pytest-timeout counts a
# test's setup with it: 406 s for test_presets' runs on a 2-core AMD EPYC at 2.0 GHz, against the project's
# 600 s per test. Twice that is still a guard against a hang.
CUT_TIMEOUT_S = 1200


def ring_centres(k=8, radius=2.0):
    """The ring presets' modes: k points evenly spaced on a circle of radius 2 (the WGAN-GP ring)."""
    a = np.arange(k) * 2 * np.pi / k
    return radius * np.c_[np.cos(a), np.sin(a)]


def modes_hit(points, centres, sigma):
    """VEEGAN/PacGAN: a mode counts when at least one sample lies within 3 sigma of it and nearer to it than
    to any other centre. Returns (modes hit, fraction of samples within 3 sigma of a mode)."""
    counts = per_mode_counts(points, centres, sigma)
    return int((counts > 0).sum()), float(counts.sum() / len(points))


def per_mode_counts(points, centres, sigma):
    """How many samples lie within 3 sigma of each centre and nearer to it than to any other."""
    from scipy.spatial.distance import cdist

    d = cdist(points, centres)
    nearest = d.argmin(1)
    close = d[np.arange(len(points)), nearest] <= 3 * sigma
    return np.bincount(nearest[close], minlength=len(centres))


def _samples_report(t) -> dict:
    """Of 2,500 samples: modes covered, the fraction within 3 sigma of a mode, and their spread (mean
    distance to their centroid: 2, the radius, for samples spread over the whole ring)."""
    centres = ring_centres()
    np.testing.assert_allclose(np.sort(t.dataset.centers, 0), np.sort(centres, 0), atol=1e-12)
    x = t.generate(2500).astype(np.float64)
    modes, on_modes = modes_hit(x, centres, t.dataset.sigma)
    counts = per_mode_counts(x, centres, t.dataset.sigma)
    return {"modes": modes, "on_modes": on_modes, "spread": float(np.linalg.norm(x - x.mean(0), axis=1).mean()),
            "covered": int((4 * len(centres) * counts >= len(x)).sum()),  # a quarter of an even share, or more
            "per_mode": [int(c) for c in counts]}


def run_job(job: dict) -> dict:
    """One job: ``{"kind": "modes" | "optimal_d" | "moved" | "compare_modes" | "gan_vs_vae", "name", "seed", "iterations",
    "overrides"}``; ``iterations`` None is the preset's own length."""
    from playground.toy2d import presets

    kind, name, seed, overrides = job["kind"], job["name"], job["seed"], job.get("overrides", {})
    if kind == "gan_vs_vae":  # the page's GAN vs VAE pair and the divergences its table shows
        from playground.toy2d import compare
        from playground.toy2d.config import ToyConfig

        pair = compare.make_pair(compare.GAN_VS_VAE, ToyConfig(seed=seed), {}, job.get("iterations"))
        pair.a.step(pair.iterations)
        pair.b.step(pair.iterations)
        sides = [compare.side_quality(pair, s) for s in "ab"]
        return {**{k: [q[k] for q in sides] for k in ("kl_data_g", "kl_g_data", "jsd")},
                "hit": [_samples_report(t)["modes"] for t in (pair.a, pair.b)]}
    if kind.startswith("compare"):
        a, b, full = presets.make_compare_trainers(name, seed=seed, log_every=0, **overrides)
        n = job.get("iterations") or full
        x0 = [t.generate(1000) for t in (a, b)]  # where each side's samples (fixed z) start
        for t in (a, b):
            t.step(n)
        if kind == "compare_moved":  # how far they moved
            return {"moved": [float(np.linalg.norm(t.generate(1000) - x, axis=1).mean()) for t, x in zip((a, b), x0)]}
        reports = [_samples_report(t) for t in (a, b)]
        return {"modes": [r["modes"] for r in reports], "per_mode": [r["per_mode"] for r in reports]}
    t, full = presets.make_trainer(name, seed=seed, log_every=0, **overrides)
    n = job.get("iterations") or full
    if kind == "optimal_d":
        g0 = [p.clone() for p in t.G.parameters()]
        t.step(n)
        r = t.d_vs_d_star()
        return {**r, "g_frozen": all(bool((p == q).all()) for p, q in zip(g0, t.G.parameters()))}
    t.step(n)
    return _samples_report(t)


def main() -> None:
    from playground.device import default_threads

    import torch

    default_threads()
    jobs = json.loads(sys.argv[1])
    results = [run_job(j) for j in jobs]
    print(json.dumps({"capability": torch.backends.cpu.get_cpu_capability(), "results": results}))


def family_env(family: str) -> dict:
    """This process's environment with the family's kernel settings (and no others)."""
    env = {k: v for k, v in os.environ.items() if k not in KERNEL_VARS}
    env.update(FAMILIES[family])
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def run_families(jobs: list[dict], timeout: float = 1200, module: str = "tests.toy2d.preset_runs") -> dict[str, dict]:
    """Run ``jobs`` once under each family, the families in parallel; {family: {"capability", "results"}}.
    ``module`` is the child's (``python -m module jobs``), which prints its results as JSON last."""
    procs = {f: subprocess.Popen([sys.executable, "-m", module, json.dumps(jobs)], cwd=ROOT,
                                 env=family_env(f), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in FAMILIES}
    out = {}
    for f, p in procs.items():
        stdout, stderr = p.communicate(timeout=timeout)
        assert p.returncode == 0, f"{f} kernels: {stderr[-3000:]}"
        out[f] = json.loads(stdout.strip().splitlines()[-1])
    return out


if __name__ == "__main__":
    main()
