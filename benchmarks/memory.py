"""Memory under a determined visitor: does the server's memory come back?

Starts ``python app.py`` as its own process, with the idle times shortened (``--idle`` seconds, through
``PLAYGROUND_IDLE_S``; the app's default is :data:`playground.ui.sessions.IDLE_S`), and sends what the
public-Space report sent, each from sessions that never open a page unless said:

1. ``--loads`` (3,000) page loads: the share-link opener (``run/predict``, as a page's load event sends it) with
   a random query, each a fresh session;
2. ``--samples`` (1,000) DCGAN sample grids (``dcgan_samples`` through the queue, a seed each, two at a time);
3. ``--runs`` (2,000) abandoned 2-D runs: a page announces itself, presses Play, and is never seen again (no
   frame pulled, no tab closed). All come from one address, so most are refused by the 2-D lab's fair
   shares (counted as ``refused``; ``failed`` is anything else that did not succeed).

It prints the server's RSS at start (a warmed server: 20 requests of each kind sent, the idle time passed, RSS
steady), after each phase, the peak, and 1.5 and 3 times ``--idle`` seconds after the last request, as one
JSON line. The goal (issue 22): the peak below 2 GB, and the end within 10 %
of the start.

    python benchmarks/memory.py [--loads 3000] [--samples 1000] [--runs 2000] [--idle 60] [--port 7890]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from classroom import SHOW, PeakRSS, _values, fn_indexes, page_events, start_app  # noqa: E402

from playground.toy2d.config import ToyConfig  # noqa: E402


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def settle(pid: int, quiet_s: float = 10.0, limit_s: float = 180.0) -> float:
    """Wait until the server's RSS has moved less than 5 MB for ``quiet_s`` seconds; the seconds waited."""
    t0 = time.monotonic()
    marks = [(t0, rss_mb(pid))]
    while time.monotonic() - t0 < limit_s:
        time.sleep(1.0)
        marks.append((time.monotonic(), rss_mb(pid)))
        recent = [m for t, m in marks if t >= marks[-1][0] - quiet_s]
        if marks[-1][0] - marks[0][0] >= quiet_s and max(recent) - min(recent) < 5:
            break
    return round(time.monotonic() - t0, 1)


# What the 2-D lab's fair shares answer when one client starts more runs than it may hold (toy2d.scheduler),
# or more sessions hold a lab than its store keeps (ui.sessions): the server did its job, so these are counted
# apart from failures, whose first few sentences are kept (FAILURES) and printed.
REFUSALS = ("training on this server", "hold their share of this server", "sessions are using it")
FAILURES: list[str] = []


def outcome(completed: dict) -> str:
    """``ok``, ``refused`` (a fair-share answer: :data:`REFUSALS`) or ``failed``: a process_completed message."""
    if completed.get("success"):
        return "ok"
    error = str((completed.get("output") or {}).get("error") or "")
    if any(r in error for r in REFUSALS):
        return "refused"
    if len(FAILURES) < 3 and error not in FAILURES:
        FAILURES.append(error)
    return "failed"


async def pooled(n: int, at_once: int, fn) -> dict:
    """Run ``fn(i)`` for i < n, ``at_once`` at a time; count the answers' outcomes."""
    outcomes: dict[str, int] = {}
    sem = asyncio.Semaphore(at_once)

    async def one(i):
        async with sem:
            try:
                key = await fn(i)
            except Exception as exc:  # noqa: BLE001 - counted
                key = type(exc).__name__
            outcomes[key] = outcomes.get(key, 0) + 1

    await asyncio.gather(*[one(i) for i in range(n)])
    return outcomes


async def phases(url: str, config: dict, args, pid: int, quiet: bool = False) -> dict:
    pages, named = page_events(config), fn_indexes(config)
    out = {}
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=httpx.Limits(max_connections=16)) as c:

        async def load(i):
            r = await c.post(f"gradio_api/run/predict?tab=toy2d&seed={i}&lr_d={secrets.token_hex(4)}", json={
                "data": [], "fn_index": pages["open_link"], "event_data": None, "trigger_id": None,
                "session_hash": secrets.token_hex(6)})
            return str(r.status_code)

        async def queued(session, fn, data):
            index, n = fn
            r = await c.post("gradio_api/queue/join", json={"data": data + [None] * (n - len(data)), "fn_index": index,
                                                            "event_data": None, "trigger_id": None, "session_hash": session})
            if r.status_code != 200:
                return str(r.status_code)
            event_id = r.json()["event_id"]
            async with c.stream("GET", "gradio_api/queue/data", params={"session_hash": session}) as s:
                async for line in s.aiter_lines():
                    if line.startswith("data:") and event_id in line and "process_completed" in line:
                        return outcome(json.loads(line[5:]))
            return "no answer"

        async def sample(i):
            return await queued(secrets.token_hex(6), named["dcgan_samples"], [1000 + i])

        async def abandoned_run(i):
            session = secrets.token_hex(6)
            await c.post("gradio_api/run/predict", json={"data": [], "fn_index": pages["mark"], "event_data": None,
                                                         "trigger_id": None, "session_hash": session})
            return await queued(session, (pages["play"], len(config["dependencies"][pages["play"]]["inputs"])),
                                [*_values(ToyConfig(seed=i)), 200, [], SHOW])

        out["start_mb"] = round(rss_mb(pid))
        for name, n, at_once, fn in (("loads", args.loads, 16, load), ("samples", args.samples, 2, sample),
                                     ("runs", args.runs, 8, abandoned_run)):
            t = time.perf_counter()
            outcomes = await pooled(n, at_once, fn)
            out[name] = {"n": n, "outcomes": outcomes, "s": round(time.perf_counter() - t, 1),
                         "rss_after_mb": round(rss_mb(pid))}
            if not quiet:
                print(json.dumps({name: out[name]}), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--loads", type=int, default=3000)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--idle", type=float, default=60.0)
    ap.add_argument("--port", type=int, default=7890)
    args = ap.parse_args()
    url = f"http://127.0.0.1:{args.port}/"
    import os

    os.environ["PLAYGROUND_IDLE_S"] = str(args.idle)
    proc = start_app(args.port)
    peak = PeakRSS(proc.pid)
    peak.start()
    try:
        from gradio_client import Client

        config = Client(url, verbose=False, download_files=False).config
        # the starting value is a warmed server's: one-time work (start-up's background jobs, the first use of each
        # kind of request) done, and its idle time passed
        settle(proc.pid)
        asyncio.run(phases(url, config, argparse.Namespace(loads=20, samples=20, runs=20), proc.pid, quiet=True))
        time.sleep(1.5 * args.idle)
        out_start = settle(proc.pid)
        peak.reset()
        FAILURES.clear()
        out = asyncio.run(phases(url, config, args, proc.pid))
        out["settled_s"] = out_start
        out["peak_mb"] = round(peak.peak_mb())
        for wait in (1.5 * args.idle, 1.5 * args.idle):  # past the idle time (and a sweep), then as long again
            time.sleep(wait)
            out.setdefault("idle_mb", []).append(round(rss_mb(proc.pid)))
        out["end_over_start"] = round(out["idle_mb"][-1] / out["start_mb"], 3)
        out["failures"] = FAILURES
        print(json.dumps(out), flush=True)
    finally:
        peak.stop()
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()
