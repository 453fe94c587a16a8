"""A page during a flood: can a student still train and click while page-less clients flood the queue?

Starts ``python app.py`` as its own process. Each repeat measures one page (its heartbeat and load events, as
``benchmarks/classroom.py`` sends them) twice, on a quiet server and then during a flood:

- ``first_frame_s``: seconds from pressing Play (the queued ``toy2d_start``) to the first 2-D frame pulled;
- ``compute_s``: seconds from clicking DCGAN *Compute* (``dcgan_arithmetic``, groups of the page's own so no
  cache answers) to its answer.

The flood is what the public-Space report found: ``--joins`` (300) page-less ``queue/join`` for a DCGAN
inversion of ``--steps`` (400) steps at once, each from a fresh session, then one more every second while the
page is measured. The page is measured ``--repeats`` times quiet first, then as often during the flood. It prints
every time, then one JSON line: min, median and max of each, the ratio of the medians (flooded / quiet), and
the flood's join answers by HTTP status. The goal (issue 22): during the flood, the
first frame within 2 s of Play and the DCGAN answer within 3 s.

    python benchmarks/flood.py [--repeats 3] [--joins 300] [--steps 400] [--port 7880]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from classroom import (FRAME_PATH, SHOW, FramePuller, _values, close_page, face_picture, fn_indexes,  # noqa: E402
                       open_page, page_events, start_app, upload)

from playground.toy2d.config import ToyConfig  # noqa: E402


async def page_times(url: str, config: dict, attempt: int) -> dict:
    """One page opens, presses Play until its first frame, then clicks DCGAN Compute."""
    fns, named = page_events(config), fn_indexes(config)
    page = {"session": secrets.token_hex(6)}
    http = FramePuller(url)
    await open_page(http, page, fns, "")
    try:
        t = time.perf_counter()
        value = (await FramePuller(url).queue_event(page["session"], fns["play"],
                                                    [*_values(ToyConfig(seed=attempt)), 200, [], SHOW]))[0]
        token = json.loads(value)["token"]
        while True:
            p, _ = await http.get_json(FRAME_PATH.lstrip("/"), {"token": token, "after": 0, "rows": 0})
            if p.get("frame"):
                break
        first = time.perf_counter() - t
        s = 5000 + attempt  # groups of this page's own: computed, not served from the cache
        fn, n = named["dcgan_arithmetic"]
        data = [f"{s}:1, {s}:2", f"{s}:3", f"{s}:4", 0.25, 0]
        t = time.perf_counter()
        await FramePuller(url).queue_event(page["session"], fn, data + [None] * (n - len(data)))
        return {"first_frame_s": round(first, 3), "compute_s": round(time.perf_counter() - t, 3)}
    finally:
        close_page(page)
        await http.close()


async def flood(url: str, config: dict, picture: dict, joins: int, steps: int, stop: asyncio.Event,
                statuses: Counter) -> None:
    """``joins`` page-less inversion joins at once, then one a second until ``stop``; never reads the answers'
    streams (nobody listens)."""
    fn, n = fn_indexes(config)["dcgan_invert"]
    data = [picture, steps, 0.0, []]
    data += [None] * (n - len(data))

    async def join(client: httpx.AsyncClient) -> None:
        r = await client.post("gradio_api/queue/join", json={
            "data": data, "event_data": None, "fn_index": fn, "trigger_id": None, "session_hash": secrets.token_hex(6)})
        statuses[r.status_code] += 1

    async with httpx.AsyncClient(base_url=url, timeout=60, limits=httpx.Limits(max_connections=joins)) as client:
        await asyncio.gather(*[join(client) for _ in range(joins)])
        while not stop.is_set():
            await join(client)
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except asyncio.TimeoutError:
                pass


async def measure(url: str, config: dict, picture: dict, repeats: int, joins: int, steps: int) -> dict:
    """The page ``repeats`` times on the quiet server, then ``repeats`` times during one flood."""
    quiet = [await page_times(url, config, a) for a in range(repeats)]
    stop, statuses = asyncio.Event(), Counter()
    flooding = asyncio.create_task(flood(url, config, picture, joins, steps, stop, statuses))
    await asyncio.sleep(3.0)  # the burst is in, and the inversions it let in are running
    flooded = []
    for a in range(repeats):
        flooded.append(await page_times(url, config, repeats + a))
        await asyncio.sleep(1.0)
    stop.set()
    await flooding
    return {"quiet": quiet, "flooded": flooded, "joins": dict(sorted(statuses.items()))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--joins", type=int, default=300)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--port", type=int, default=7880)
    args = ap.parse_args()
    url = f"http://127.0.0.1:{args.port}/"
    proc = start_app(args.port)
    try:
        from gradio_client import Client

        config = Client(url, verbose=False, download_files=False).config
        with httpx.Client(base_url=url, timeout=60) as http:
            picture = upload(http, face_picture(Path(__import__("tempfile").mkdtemp()), 0))
        out = asyncio.run(measure(url, config, picture, args.repeats, args.joins, args.steps))
        print(json.dumps(out), flush=True)
        summary = {}
        for key in ("first_frame_s", "compute_s"):
            q = [r[key] for r in out["quiet"]]
            f = [r[key] for r in out["flooded"]]
            summary[key] = {"quiet": [min(q), statistics.median(q), max(q)],
                            "flooded": [min(f), statistics.median(f), max(f)],
                            "ratio_of_medians": round(statistics.median(f) / statistics.median(q), 2)}
        print(json.dumps({"summary (min, median, max)": summary, "joins": out["joins"], "steps": args.steps}),
              flush=True)
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()
