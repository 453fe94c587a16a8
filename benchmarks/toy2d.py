"""How fast does the 2-D GAN lab train while the live view streams? Prints one JSON object.

Measured in one process, interleaved (bare, live, bare, live, ...) so machine load hits both alike:

- ``bare``: the baseline, a plain PyTorch loop (autograd, ``torch.optim``) of the same MLPs, batch and
  optimiser (1 D step + 1 G step per iteration), no pictures.
- ``trainer``: :class:`playground.toy2d.Trainer` alone, with its hand-written backprop (the default,
  compiled with TorchScript), the same backprop run as plain Python (``scripted=False``: the fallback
  where ``torch.jit`` is missing; TorchScript is deprecated) and with autograd (``use_fast=False``), no
  pictures.
- ``live``: Play without Gradio: the training scheduler's workers train the run and make compact
  frames (48x48 D grid, D* every other frame, 512 fakes, manifold, arrows) while this thread, like the
  page, asks for the next frame as soon as it has the last.
- memory: RSS growth per extra live trainer (after training and a snapshot), and parameter bytes.

- ``--browser``: the real tab in headless Chromium (the app in this process): frames/s the page
  receives, the tab's iterations/s, and the gaps between frame arrivals.

    python benchmarks/toy2d.py [--seconds 3] [--rounds 2] [--threads 1] [--browser]

For a class of many sessions at once through the web server, see ``benchmarks/classroom.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from playground.toy2d import ToyConfig, Trainer  # noqa: E402
from playground.toy2d.models import build_models, parameter_bytes  # noqa: E402
from playground.toy2d.data import make_dataset  # noqa: E402


def bare_loop(cfg: ToyConfig, seconds: float) -> float:
    """Iterations/s of the textbook loop: no logging, no checks, no pictures."""
    torch.manual_seed(cfg.seed)
    G, D = build_models(cfg)
    ds = make_dataset(cfg)
    og = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2), fused=True)
    od = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2), fused=True)
    B, n, t0 = cfg.batch_size, 0, time.perf_counter()
    while True:
        for _ in range(50):
            real = ds.sample(B)
            with torch.no_grad():
                fake = G(torch.randn(B, cfg.z_dim))
            out = D(torch.cat([real, fake]))
            loss_d = F.softplus(-out[:B]).mean() + F.softplus(out[B:]).mean()
            od.zero_grad(set_to_none=True)
            loss_d.backward()
            od.step()
            loss_g = F.softplus(-D(G(torch.randn(B, cfg.z_dim)))).mean()
            og.zero_grad(set_to_none=True)
            loss_g.backward()
            og.step()
        n += 50
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n / dt


def trainer_loop(cfg: ToyConfig, seconds: float, use_fast: bool, scripted: bool = True) -> float:
    """Iterations/s of :class:`Trainer` alone (no pictures), with or without its hand-written backprop."""
    t = Trainer(cfg, use_fast=use_fast, scripted=scripted)
    t.step(20)
    t0, it0 = time.perf_counter(), t.iteration
    while time.perf_counter() - t0 < seconds:
        t.step(50)
    return (t.iteration - it0) / (time.perf_counter() - t0)


def tab_frame(t: Trainer) -> int:
    """One frame of the default snapshot, encoded as Play encodes it (compact JSON); its bytes."""
    from playground.toy2d.frames import encode_frame

    return len(json.dumps(encode_frame(t.snapshot(), t.dataset.extent)))


def live_loop(cfg: ToyConfig, seconds: float) -> dict:
    """Play without Gradio: the process's scheduler trains the run on its workers while this thread plays
    the page, asking for the next frame as soon as it has the last one."""
    from playground.toy2d.scheduler import PlayRun, Scheduler

    sched = Scheduler()
    t = Trainer(cfg)
    t.step(5)
    run = sched.submit(PlayRun(t, max_seconds=seconds + 30))
    p = sched.wait_frame(run, 0, timeout=30)
    seq, it0, frames, nbytes = p["seq"], p["frame"]["it"], 0, 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        p = sched.wait_frame(run, seq, timeout=5)
        if p["seq"] > seq:
            frames, nbytes, seq = frames + 1, nbytes + len(json.dumps(p)), p["seq"]
    dt = time.perf_counter() - t0
    sched.close()
    return {
        "iterations_per_s": (p["frame"]["it"] - it0) / dt,
        "frames_per_s": frames / dt,
        "frame_ms": 1000 * sched.frame_seconds,
        "frame_kb": nbytes / max(frames, 1) / 1024,
    }


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_per_trainer(cfg: ToyConfig, n: int = 20) -> dict:
    keep = [Trainer(cfg.replace(seed=1000))]  # warm up allocator and caches
    keep[0].step(20)
    keep[0].snapshot()
    before = rss_bytes()
    for i in range(n):
        t = Trainer(cfg.replace(seed=i))
        t.step(20)
        t.snapshot()
        keep.append(t)
    per = (rss_bytes() - before) / n
    pbytes = parameter_bytes(keep[0].G, keep[0].D)
    return {"rss_per_trainer_kb": per / 1024, "parameter_kb": pbytes / 1024, "rss_over_parameters": per / pbytes}


def browser_stream(seconds: float) -> dict:
    """The real thing: the app in this process, Debian's Chromium pressing Play on the 2-D lab.

    Counts the frames the page draws on its canvas and the iterations the run made meanwhile (both kept
    by the page's script as data attributes).
    """
    from playwright.sync_api import sync_playwright

    from playground.ui.app import build_demo, launch_kwargs

    demo = build_demo()
    demo.launch(server_name="127.0.0.1", server_port=0 or None, prevent_thread_lock=True, quiet=True,
                **launch_kwargs())
    url = demo.local_url
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.get_by_role("tab", name="2-D GAN lab").click()
        page.locator("#toy2d-play").click()
        lab = page.locator("#toy2d-lab [data-frames]")
        page.wait_for_function("() => document.querySelector('#toy2d-lab [data-state]')?.dataset.state === 'running'",
                               timeout=60_000)
        page.wait_for_timeout(2000)  # warm-up
        page.evaluate("""() => {
            const el = document.querySelector('#toy2d-lab [data-frames]');
            window.__times = []; let last = el.dataset.frames;
            new MutationObserver(() => { if (el.dataset.frames !== last) { last = el.dataset.frames; window.__times.push(performance.now()); } })
              .observe(el, {attributes: true});
        }""")
        f0, it0, t0 = int(lab.get_attribute("data-frames")), int(lab.get_attribute("data-iteration")), time.perf_counter()
        page.wait_for_timeout(int(seconds * 1000))
        f1, it1 = int(lab.get_attribute("data-frames")), int(lab.get_attribute("data-iteration"))
        dt = time.perf_counter() - t0
        frames = f1 - f0
        times = np.array(page.evaluate("() => window.__times"))
        gaps = np.diff(times) if len(times) > 2 else np.array([0.0])
        page.locator("#toy2d-pause").click()
        browser.close()
    demo.close()
    return {"browser_frames_per_s": frames / dt, "tab_iterations_per_s": (it1 - it0) / dt,
            "frame_gap_ms": {"median": float(np.median(gaps)), "p90": float(np.percentile(gaps, 90)),
                             "max": float(gaps.max())}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--browser", action="store_true", help="also measure the real tab in headless Chromium")
    a = ap.parse_args()
    from playground.device import default_threads

    default_threads()  # the app's process settings (1 torch thread, short interpreter switch interval)
    torch.set_num_threads(a.threads)
    cfg = ToyConfig()  # default MLPs: 2 hidden layers x 64, batch 256, Adam, non-saturating loss
    tab_frame(Trainer(cfg))  # warm-up: imports the tab module
    bare, live, fast, python_fast, autograd = [], [], [], [], []
    for _ in range(a.rounds):
        bare.append(bare_loop(cfg, a.seconds))
        fast.append(trainer_loop(cfg, a.seconds, True))
        python_fast.append(trainer_loop(cfg, a.seconds, True, scripted=False))
        autograd.append(trainer_loop(cfg, a.seconds, False))
        live.append(live_loop(cfg, a.seconds))
    live_ips = float(np.mean([r["iterations_per_s"] for r in live]))
    bare_ips = float(np.mean(bare))
    out = {
        "config": {"batch_size": cfg.batch_size, "g": f"{cfg.g_depth}x{cfg.g_width}", "d": f"{cfg.d_depth}x{cfg.d_width}", "optimizer": cfg.optimizer},
        "torch_threads": a.threads,
        "cpu_count": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],
        "machine": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "bare_iterations_per_s": round(bare_ips, 1),
        "trainer_iterations_per_s": round(float(np.mean(fast)), 1),
        "trainer_unscripted_iterations_per_s": round(float(np.mean(python_fast)), 1),
        "unscripted_over_scripted": round(float(np.mean(python_fast)) / float(np.mean(fast)), 3),
        "trainer_autograd_iterations_per_s": round(float(np.mean(autograd)), 1),
        "live_iterations_per_s": round(live_ips, 1),
        "live_over_bare": round(live_ips / bare_ips, 3),
        "frames_per_s": round(float(np.mean([r["frames_per_s"] for r in live])), 2),
        "frame_ms": round(float(np.mean([r["frame_ms"] for r in live])), 2),
        "frame_kb": round(float(np.mean([r["frame_kb"] for r in live])), 1),
        "goal": {"browser_frames_per_s": 20, "tab_iterations_per_s": 1000, "frame_kb": 12},
        "rounds": {"bare": [round(x, 1) for x in bare], "trainer": [round(x, 1) for x in fast],
                   "live": [round(r["iterations_per_s"], 1) for r in live]},
    }
    out.update({k: round(v, 1) for k, v in memory_per_trainer(cfg).items()})
    if a.browser:
        b = browser_stream(max(a.seconds, 5.0))
        out["browser_frames_per_s"] = round(b["browser_frames_per_s"], 2)
        out["tab_iterations_per_s"] = round(b["tab_iterations_per_s"], 1)
        out["browser_frame_gap_ms"] = {k: round(v, 1) for k, v in b["frame_gap_ms"].items()}
        out["tab_over_bare"] = round(b["tab_iterations_per_s"] / bare_ips, 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
