"""A class at once: students on one server, driven the way a class drives it. One JSON line per scenario.

Starts ``python app.py`` as its own process (so its memory is the server's alone). Each scenario's students
open their pages (each on its own connection, sending the page's load events: the session mark and the share
link opener, with the link's query), press Play at the same moment (``/toy2d_start``, as the page's click),
then pull frames exactly as the page's script does (``GET toy2d.frame_route.FRAME_PATH?token&after&rows``: the
next frame once the last has arrived, with the chart rows the page lacks: the page draws the charts itself
and sends no other request while a run plays), and finally press Pause. Scenarios (``--scenarios``):

- ``alone``: one student at default settings: the baseline, measured in the same run;
- ``link30`` / ``link60`` (``link1`` for one): every student opened the teacher's link to the "Mode collapse"
  preset (every setting and the seed) and follows the run until its last iteration (1,500);
- ``own30`` / ``own60``: each student at default settings with a seed of their own.

Per scenario it prints:

- ``frames_per_s``: min and median over students (frames received in the measured window);
- ``iterations_per_s``: min, median and sum (from the iteration numbers the frames carry);
- ``time_to_last_iteration_s`` (link scenarios): how many reached the preset's last iteration, median and max
  seconds from Play;
- ``first_frame_s_max``: the slowest student's seconds from pressing Play to its first frame;
- ``play_answer_s_max``: of that, the slowest answer to the Play click (the run's token);
- ``pause_s_max``: the slowest student's seconds from pressing Pause to a frame saying "stopped";
- ``frame_kb``: mean bytes per frame on the wire (the response bodies, rows included, in KiB);
- ``errors``, ``server_peak_rss_mb`` (sampled every 0.2 s during the phase);
- ``load_generator_cores``: this process's own CPU over the phase (cores), so it is known not to be the limit;
- ``sum_over_alone`` (own scenarios): the sum of iterations/s over the ``alone`` student's.

With ``--others`` (at ``--others-n`` sessions, default 30) it also measures the other tabs under a class:
every session clicks DCGAN *Compute* and translates a picture with a bundled model at the same moment
while 10 of them start a metrics example; it prints p50/p95/max latencies and errors per action.

    python benchmarks/classroom.py [--scenarios alone,link30,own30,own60,link60] [--seconds 8] [--others]
                                   [--train-workers N] [--port 7870]

The machine running this also runs the clients, which a Space would not, so they are kept as cheap as a page's
own requests: one asyncio loop, raw HTTP/1.1 over kept-alive connections for the frame pulls and the
non-queued events (load events, Pause), and Gradio's queue protocol (``queue/join`` + the ``queue/data``
event stream) for Play, as the page's client sends it. (``gradio_client`` cost ~0.15 s of CPU per call: 30
students' Play and Pause took the server's cores away at exactly the moments measured.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playground.toy2d.config import ToyConfig  # noqa: E402
from playground.ui.toy2d.frame_route import FRAME_PATH  # noqa: E402
from playground.ui.toy2d.handlers import control_values  # noqa: E402

WARMUP_S = 2.0
PAUSE_WAIT_S = 10.0  # a Pause that has not stopped the run by then counts as not stopped (None)
SHOW = ["manifold", "gradient arrows"]


def _values(cfg: ToyConfig) -> list:
    """The settings' controls' values as the page sends them: Gradio's data list, in the settings' order."""
    return list(control_values(cfg).values())


# ---- the server --------------------------------------------------------------------------------------


def start_app(port: int, train_workers: int | None = None) -> subprocess.Popen:
    env = dict(os.environ, GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(port),
               GRADIO_ANALYTICS_ENABLED="False")
    if train_workers:
        env["PLAYGROUND_TRAIN_WORKERS"] = str(train_workers)
    log = open(Path(tempfile.gettempdir()) / f"classroom-app-{port}.log", "w")  # never a pipe that can fill
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited: {Path(log.name).read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError("app.py did not answer within 120 s")


class PeakRSS(threading.Thread):
    """Samples a process's resident memory every 0.2 s; ``peak_mb()`` since the last ``reset()``."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self._stop = pid, 0, threading.Event()

    def run(self):
        while not self._stop.is_set():
            try:
                with open(f"/proc/{self.pid}/status") as f:
                    rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
                self.peak = max(self.peak, rss)
            except (OSError, StopIteration):
                pass
            time.sleep(0.2)

    def reset(self):
        self.peak = 0

    def peak_mb(self) -> float:
        return self.peak / 1024

    def stop(self):
        self._stop.set()


# ---- one student in the 2-D lab ----------------------------------------------------------------------


def event_output(line: str, event_id: str) -> list | None:
    """The output data of a line of Gradio's ``queue/data`` event stream when it says that ``event_id``
    completed (a failure raises), else None."""
    if not line.startswith("data:"):
        return None
    msg = json.loads(line[5:])
    if msg.get("event_id") != event_id or msg.get("msg") != "process_completed":
        return None
    if not msg.get("success"):
        raise RuntimeError(f"event failed: {str(msg.get('output'))[:200]}")
    return msg["output"]["data"]


class FramePuller:
    """One student's connection for frame pulls: plain HTTP/1.1 GETs over one kept-alive socket.

    A browser's fetch costs its own laptop, not the server; here all students share the server's cores, so
    the load generator must be cheap: httpx spent ~0.85 of a core pulling for 60 students (the server was
    then waiting for requests, not the other way round); this costs a few percent of that.
    """

    def __init__(self, url: str):
        u = httpx.URL(url)
        self.host, self.port, self.prefix = u.host, u.port or 80, u.path.rstrip("/")
        self.reader = self.writer = None

    async def get_json(self, path: str, params: dict) -> tuple[dict, int]:
        """(parsed body, body bytes) of ``GET path?params``; reconnects once if the connection dropped."""
        target = f"{self.prefix}/{path}?{httpx.QueryParams(params)}"
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                self.writer.write(f"GET {target} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
                head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                status = int(head[0].split()[1])
                headers = dict(h.split(": ", 1) for h in head[1:] if ": " in h)
                length = int(next(v for k, v in headers.items() if k.lower() == "content-length"))
                body = await self.reader.readexactly(length)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise
                continue
            if status != 200:
                raise RuntimeError(f"HTTP {status} from {path}: {body[:200]!r}")
            return json.loads(body), length
        raise AssertionError("unreachable")

    async def post_json(self, path: str, body: dict) -> dict:
        """``POST path`` with a JSON body (a page's non-queued event); the parsed answer."""
        data = json.dumps(body).encode()
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"POST {self.prefix}/{path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = {k.lower(): v for k, v in (h.split(": ", 1) for h in head[1:] if ": " in h)}
        if "content-length" in headers:
            raw = await self.reader.readexactly(int(headers["content-length"]))
        else:  # chunked
            raw = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                raw += await self.reader.readexactly(size)
                await self.reader.readexactly(2)
        status = int(head[0].split()[1])
        if status != 200:
            raise RuntimeError(f"HTTP {status} from {path}: {raw[:200]!r}")
        return json.loads(raw)

    async def queue_event(self, session_hash: str, fn_index: int, data: list, query: str = "") -> list:
        """One queued event as the page's client sends it: ``queue/join``, then the session's ``queue/data``
        event stream (on a connection of its own, closed after) until this event completes; its output data."""
        joined = await self.post_json(f"gradio_api/queue/join?{query}", {
            "data": data, "event_data": None, "fn_index": fn_index, "trigger_id": None, "session_hash": session_hash})
        event_id = joined["event_id"]
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(f"GET {self.prefix}/gradio_api/queue/data?session_hash={session_hash} HTTP/1.1\r\n"
                         f"Host: {self.host}\r\nAccept: text/event-stream\r\n\r\n".encode())
            await reader.readuntil(b"\r\n\r\n")
            while True:
                line = (await reader.readline()).decode("utf-8", "replace").strip()
                if not line and reader.at_eof():
                    raise RuntimeError("the event stream ended before the event completed")
                data = event_output(line, event_id)
                if data is not None:
                    return data
        finally:
            writer.close()

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


def page_events(config: dict) -> dict[str, int]:
    """The fn_index of each load event a page sends when it opens (they have no api name): the session mark
    (no outputs, no js) and the share link opener (its outputs are every control a link sets)."""
    loads = [(i, d) for i, d in enumerate(config["dependencies"])
             if any(t[1] == "load" for t in d.get("targets", [])) and d.get("backend_fn")]
    named = {d.get("api_name"): i for i, d in enumerate(config["dependencies"])}
    return {"mark": next(i for i, d in loads if not d["outputs"]),
            "open_link": max(loads, key=lambda x: len(x[1]["outputs"]))[0],
            "play": named["toy2d_start"], "pause": named["toy2d_pause"]}


def preset_values(name: str) -> tuple[list, str, int]:
    """A preset as the teacher's link gives it: the controls' values, the link's query, its length."""
    from playground import share
    from playground.toy2d.presets import PRESETS

    p = PRESETS[name]
    query = share.build_link("", "toy2d", share.toy2d_state(p["config"], name), {}).split("?", 1)[1]
    return _values(p["config"]), query, p["iterations"]


async def open_page(http: "FramePuller", page: dict, fns: dict[str, int], query: str) -> None:
    """What a page sends when it opens: its heartbeat stream (held open while the page is; closing it is how
    Gradio learns that a tab closed, and the app then frees the session) and its load events (not queued:
    ``run/predict`` with the page's query, as Gradio's page client sends them)."""
    reader, writer = await asyncio.open_connection(http.host, http.port)
    writer.write(f"GET {http.prefix}/gradio_api/heartbeat/{page['session']} HTTP/1.1\r\nHost: {http.host}\r\n"
                 f"Accept: text/event-stream\r\n\r\n".encode())
    page["heartbeat"] = writer
    for name in ("mark", "open_link"):
        await http.post_json(f"gradio_api/run/predict?{query}", {"data": [], "fn_index": fns[name], "event_data": None,
                                                                "trigger_id": None, "session_hash": page["session"]})


def close_page(page: dict) -> None:
    """The student closes the tab: the heartbeat stream ends."""
    if page.get("heartbeat") is not None:
        page["heartbeat"].close()
        page["heartbeat"] = None


async def student(url: str, page: dict, go: asyncio.Event, seconds: float, out: dict, values: list,
                  target: int | None, limit_s: float) -> None:
    """One student (``page``: its session and the events' fn_index): press Play (a queued event, as the page's
    click sends it), then pull frames one after the other
    as the page's script does (with the chart rows it lacks), for WARMUP_S + ``seconds``, and on until its run
    has reached iteration ``target`` (at most ``limit_s`` after Play). While a run plays the page sends nothing
    else: the charts come with the frames (the browser test checks that no queued event is sent)."""
    http = FramePuller(url)
    frames, errors = [], []
    first = stopped = answered = reached = None
    await go.wait()
    t_play = time.perf_counter()
    try:
        play = FramePuller(url)
        try:
            value = (await play.queue_event(page["session"], page["fns"]["play"], [*values, 200, [], SHOW],
                                            page["query"]))[0]
        finally:
            await play.close()
        token = json.loads(value)["token"]
        answered = time.perf_counter() - t_play
        end = t_play + WARMUP_S + seconds
        seq = rows = 0
        while True:
            now = time.perf_counter()
            if now >= t_play + limit_s or (now >= end and (target is None or reached is not None)):
                break
            p, size = await http.get_json(FRAME_PATH.lstrip("/"), {"token": token, "after": seq, "rows": rows})
            if p.get("rows") and p.get("rows_from") == rows:
                rows += len(p["rows"])
            if p.get("frame") and p["seq"] > seq:
                now = time.perf_counter()
                first = first if first is not None else now - t_play
                seq = p["seq"]
                frames.append((now, p["frame"]["it"], size))
                if target is not None and reached is None and p["frame"]["it"] >= target:
                    reached = now - t_play
            if p["state"] != "running":
                errors.append(f"run ended early: {p.get('reason')} {p.get('error', '')}")
                break
        # Pause as the page does: the click, while the page goes on pulling until a frame says "stopped"
        t_pause = time.perf_counter()
        pauser = FramePuller(url)
        pause = asyncio.create_task(pauser.post_json(f"gradio_api/run/predict?{page['query']}", {
            "data": [], "fn_index": page["fns"]["pause"], "event_data": None, "trigger_id": None,
            "session_hash": page["session"]}))
        while time.perf_counter() - t_pause < PAUSE_WAIT_S:
            p, _ = await http.get_json(FRAME_PATH.lstrip("/"), {"token": token, "after": seq, "rows": rows})
            seq = max(seq, p["seq"])
            if p["state"] != "running":
                stopped = time.perf_counter() - t_pause
                break
        await pause
        await pauser.close()
    except Exception as exc:  # noqa: BLE001 - counted, not raised
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        await http.close()
    window = [f for f in frames if t_play + WARMUP_S <= f[0] <= t_play + WARMUP_S + seconds] if frames else []
    its = 0.0
    if len(window) >= 2 and window[-1][0] > window[0][0]:
        its = (window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0])
    out.update(frames_per_s=len(window) / seconds, iterations_per_s=its, first_frame_s=first,
               frame_bytes=[f[2] for f in frames], errors=errors, pause_s=stopped, play_answer_s=answered,
               time_to_target_s=reached)


SCENARIOS = {  # name -> (students, every student's settings: "own" seeds or the teacher's "link", target)
    "alone": (1, "own"), "own30": (30, "own"), "own60": (60, "own"),
    "link1": (1, "link"), "link30": (30, "link"), "link60": (60, "link"),
}
LINK_PRESET = "Mode collapse"
LINK_LIMIT_S = {1: 60.0, 30: 60.0, 60: 150.0}  # the goal: every run at its last iteration within this


def play_phase(url: str, scenario: str, seconds: float, rss: PeakRSS) -> dict:
    """A scenario's students open their pages and press Play at the same moment; one asyncio loop drives their
    frame pulls, each over its own connection (:class:`FramePuller`), so the clients' own CPU stays small, as
    on thirty laptops. ``own``: each student's own seed at default settings; ``link``: everyone opened the
    teacher's link to the "Mode collapse" preset (settings and seed) and follows the run to its last iteration."""
    n, kind = SCENARIOS[scenario]
    if kind == "link":
        values, query, target = preset_values(LINK_PRESET)
        settings = [values] * n
        limit = LINK_LIMIT_S.get(n, 150.0)
    else:
        settings = [list({**control_values(ToyConfig()), "seed": 1000 + i}.values()) for i in range(n)]
        query, target, limit = "", None, WARMUP_S + seconds + 5
    fns = page_events(httpx.get(url + "config", timeout=60).json())
    pages = [{"session": secrets.token_hex(6), "fns": fns, "query": query} for _ in range(n)]
    outs = [{} for _ in range(n)]
    rss.reset()
    cpu0, wall0 = time.process_time(), time.perf_counter()

    async def main():
        openers = [FramePuller(url) for _ in range(n)]
        await asyncio.gather(*(open_page(h, p, fns, query) for h, p in zip(openers, pages)))
        for h in openers:
            await h.close()
        go = asyncio.Event()
        tasks = [asyncio.create_task(student(url, p, go, seconds, o, v, target, limit))
                 for p, o, v in zip(pages, outs, settings)]
        go.set()
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), limit + 120)
        finally:
            for p in pages:  # the class closes its tabs: the server frees their sessions
                close_page(p)
            await asyncio.sleep(0.5)

    asyncio.run(main())
    cpu = (time.process_time() - cpu0) / max(time.perf_counter() - wall0, 1e-9)
    fps = [o.get("frames_per_s", 0.0) for o in outs]
    its = [o.get("iterations_per_s", 0.0) for o in outs]
    firsts = [o.get("first_frame_s") for o in outs]
    pauses = [o.get("pause_s") for o in outs]
    answers = [o.get("play_answer_s") for o in outs]
    to_target = [o.get("time_to_target_s") for o in outs]
    sizes = [b for o in outs for b in o.get("frame_bytes", [])]
    errors = [e for o in outs for e in o.get("errors", ["no result"])]
    out = {
        "scenario": scenario,
        "sessions": n,
        "frames_per_s": {"min": round(min(fps), 2), "median": round(statistics.median(fps), 2)},
        "iterations_per_s": {"min": round(min(its), 1), "median": round(statistics.median(its), 1),
                             "sum": round(sum(its), 1)},
        "slowest_over_median": round(min(its) / max(statistics.median(its), 1e-9), 3),
        "first_frame_s_max": None if None in firsts else round(max(firsts), 3),
        "play_answer_s_max": None if None in answers else round(max(answers), 3),
        "pause_s_max": None if None in pauses else round(max(pauses), 3),
        "frame_kb": round(float(np.mean(sizes)) / 1024, 2) if sizes else None,
        "errors": len(errors),
        "error_examples": errors[:3],
        "server_peak_rss_mb": round(rss.peak_mb(), 1),
        "load_generator_cores": round(cpu, 3),
    }
    if target is not None:
        done = [t for t in to_target if t is not None]
        out["time_to_last_iteration_s"] = {"target": target, "reached": f"{len(done)}/{n}",
                                           "median": round(statistics.median(done), 2) if done else None,
                                           "max": round(max(done), 2) if len(done) == n else None}
    return out


# ---- the other tabs ----------------------------------------------------------------------------------


def _timed(fn, results: list, errors: list) -> None:
    t0 = time.perf_counter()
    try:
        fn()
        results.append(time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - counted
        errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")


def _percentiles(xs: list[float]) -> dict:
    if not xs:
        return {"n": 0}
    a = np.asarray(xs)
    return {"n": len(xs), "p50": round(float(np.percentile(a, 50)), 3), "p95": round(float(np.percentile(a, 95)), 3),
            "max": round(float(a.max()), 3)}


def fn_indexes(config: dict) -> dict[str, tuple[int, int]]:
    """api_name → (the event's index, its number of inputs), from the app's config: a page's client sends the
    index as ``fn_index`` and a value for every input (None for a session's state, which the server fills)."""
    return {d["api_name"]: (i, len(d["inputs"])) for i, d in enumerate(config["dependencies"]) if d.get("api_name")}


def queue_call(http: httpx.Client, session_hash: str, fn: tuple[int, int], data: list) -> list:
    """One event through Gradio's queue as the page's own client sends it: ``queue/join``, then the session's
    ``queue/data`` event stream until this event completes. Its output data (an error raises).

    Much lighter than ``gradio_client`` (a thread and a stream reader per call, ~0.15 s of CPU an answer,
    which made 30 sessions' answers wait for the load generator, not the server)."""
    fn_index, n_inputs = fn
    data = list(data) + [None] * (n_inputs - len(data))
    r = http.post("gradio_api/queue/join", json={"data": data, "event_data": None, "fn_index": fn_index,
                                                 "trigger_id": None, "session_hash": session_hash})
    r.raise_for_status()
    event_id = r.json()["event_id"]
    with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session_hash}) as stream:
        for line in stream.iter_lines():
            data = event_output(line, event_id)
            if data is not None:
                return data
    raise RuntimeError("the event stream ended before the event completed")


ACTIONS = ["dcgan_compute", "translate_bundled"]
SHARED_GROUPS = ("2:17, 2:22, 2:28", "2:14, 2:20, 2:3", "2:6")  # the first preset's groups


def face_picture(folder: Path, seed: int) -> Path:
    """A 64×64 noise picture to translate (its own per seed, so the result cache cannot answer it)."""
    from PIL import Image

    path = folder / f"face-{seed}.png"
    Image.fromarray((np.random.default_rng(seed).random((64, 64, 3)) * 255).astype(np.uint8)).save(path)
    return path


def upload(http: httpx.Client, path: Path) -> dict:
    r = http.post("gradio_api/upload", files=[("files", (path.name, path.read_bytes(), "image/png"))])
    r.raise_for_status()
    return {"path": r.json()[0], "orig_name": path.name,  # the server's copy, as a page sends it
            "meta": {"_type": "gradio.FileData"}}


def fetch_pictures(http: httpx.Client, answer) -> None:
    for item in answer if isinstance(answer, (list, tuple)) else [answer]:
        if isinstance(item, dict) and item.get("url"):
            http.get(item["url"]).raise_for_status()


class OtherTabs:
    """The other tabs under a class: see :func:`others_phase`. Latencies and errors per action and half."""

    def __init__(self, url: str, n: int, n_metrics: int):
        from gradio_client import Client

        self.n, self.n_metrics = n, min(n, n_metrics)
        self.tmp = Path(tempfile.mkdtemp(prefix="classroom-"))
        self.shared_face = face_picture(self.tmp, 0)
        config = Client(url, verbose=False, download_files=False, ssl_verify=False).config
        self.fns, self.mark = fn_indexes(config), page_events(config)["mark"]
        self.pools = [httpx.Client(base_url=url, timeout=120, verify=False) for _ in range(n)]
        self.pages = [secrets.token_hex(6) for _ in range(n)]  # each student's page (its session)
        self.metrics_pages = [secrets.token_hex(6) for _ in range(self.n_metrics)]  # their metrics tab's page
        self.barrier = threading.Barrier(n)
        self.lat = {f"{a}_{half}": [] for a in ACTIONS for half in ("same", "own")} | {"metrics_example": []}
        self.errs = {k: [] for k in self.lat}

    def open_pages(self) -> None:
        """The class opens its pages before the first click: each page announces itself (its load event; the
        queue keeps its places for pages, playground.ui.queue_gate) and resets its generator."""
        for i, page in enumerate(self.pages + self.metrics_pages):
            http = self.pools[i % self.n]
            http.post("gradio_api/run/predict", json={"data": [], "fn_index": self.mark, "event_data": None,
                                                      "trigger_id": None, "session_hash": page}).raise_for_status()
            queue_call(http, page, self.fns["dcgan_reset_generator"], [])

    def student(self, i: int) -> None:
        """Even students send the shared groups and picture, odd ones their own; the first n_metrics also
        start a metrics example (in their metrics tab) at the same moment."""
        http, page, half = self.pools[i], self.pages[i], ("same" if i % 2 == 0 else "own")
        s = 1000 + i  # a grid seed of this student's own
        groups = SHARED_GROUPS if half == "same" else (f"{s}:1, {s}:2, {s}:3", f"{s}:4, {s}:5, {s}:6", f"{s}:7")
        face = self.shared_face if half == "same" else face_picture(self.tmp, s)
        self.barrier.wait()
        if i < self.n_metrics:
            kind = ["held_out", "blurred", "noisy"][i % 3]
            fn = self.fns[f"metrics_example_{kind}"]
            metrics = lambda: fetch_pictures(http, queue_call(http, self.metrics_pages[i], fn,  # noqa: E731
                                                              ["clean", ["fid", "kid"]]))
            threading.Thread(target=self.timed, args=("metrics_example", metrics)).start()
        self.timed(f"dcgan_compute_{half}",
                   lambda: fetch_pictures(http, queue_call(http, page, self.fns["dcgan_arithmetic"], [*groups, 0.25, 0])))
        translate = ["edges2face", "upload", None, upload(http, face), False]
        self.timed(f"translate_bundled_{half}",
                   lambda: fetch_pictures(http, queue_call(http, page, self.fns["translate"], translate)))

    def timed(self, key: str, fn) -> None:
        _timed(fn, self.lat[key], self.errs[key])

    def run(self) -> None:
        threads = [threading.Thread(target=self.student, args=(i,)) for i in range(self.n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        deadline = time.monotonic() + 900  # the metrics examples run one at a time: wait for the last
        while len(self.lat["metrics_example"]) + len(self.errs["metrics_example"]) < self.n_metrics \
                and time.monotonic() < deadline:
            time.sleep(0.5)
        for http in self.pools:
            http.close()

    def summary(self) -> dict:
        lat, errs = dict(self.lat), dict(self.errs)
        for a in ACTIONS:  # both halves together: the number the goal is about
            lat[a] = lat[f"{a}_same"] + lat[f"{a}_own"]
            errs[a] = errs[f"{a}_same"] + errs[f"{a}_own"]
        order = [k for a in ACTIONS for k in (a, f"{a}_same", f"{a}_own")] + ["metrics_example"]
        return {k: {**_percentiles(lat[k]), "errors": len(errs[k]), "error_examples": errs[k][:2]} for k in order}


def others_phase(url: str, n: int, rss: PeakRSS, n_metrics: int = 10) -> dict:
    """n sessions click DCGAN Compute, then translate with a bundled model; ``n_metrics`` start a metrics example.

    Even sessions send the first preset's groups and one shared picture (a class following the same
    instructions, which the app's result caches serve); odd sessions send groups and a picture of their
    own, so every one of their requests is computed. Latencies are reported for both halves and together.

    Each session works like a page: it is opened first (one cheap call, as a page's load event does:
    Gradio builds a session's state, ~25 ms of the server's event loop for this app's ~330 components,
    when the page opens, not when Compute is clicked), and one connection pool (``httpx.Client``)
    uploads its picture, sends its clicks through Gradio's queue as the page's client does
    (:func:`queue_call`) and fetches every picture an answer names; the timing covers upload, answer and
    pictures. The load generator shares the 2 cores with the server, so it is kept light (gradio_client
    took ~0.15 s of CPU per answer, 3x the server's).
    """
    tabs = OtherTabs(url, n, n_metrics)
    tabs.open_pages()
    rss.reset()
    tabs.run()
    return {"sessions": n, **tabs.summary(), "server_peak_rss_mb": round(rss.peak_mb(), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenarios", default="alone,link30,own30,own60,link60",
                    help=f"comma-separated, of {', '.join(SCENARIOS)}; 'alone' (one student, default settings) is "
                         "the baseline of sum_over_alone, measured in the same run")
    ap.add_argument("--seconds", type=float, default=8.0, help="measured seconds per scenario (after a 2 s warm-up)")
    ap.add_argument("--others", action="store_true", help="also measure DCGAN, translation and metrics under a class")
    ap.add_argument("--others-n", type=int, default=30)
    ap.add_argument("--others-metrics", type=int, default=10, help="how many of them start a metrics example")
    ap.add_argument("--port", type=int, default=7870)
    ap.add_argument("--train-workers", type=int, default=None,
                    help="the server's training workers (PLAYGROUND_TRAIN_WORKERS; default one per core): run with "
                         "1 and with 2 to see how the class's training scales with the workers")
    a = ap.parse_args()
    url = f"http://127.0.0.1:{a.port}/"
    proc = start_app(a.port, a.train_workers)
    rss = PeakRSS(proc.pid)
    rss.start()
    alone = None
    try:
        for scenario in [x.strip() for x in a.scenarios.split(",") if x.strip()]:
            r = play_phase(url, scenario, a.seconds, rss)
            if scenario == "alone":
                alone = r["iterations_per_s"]["sum"]
            if alone and scenario.startswith("own"):
                r["sum_over_alone"] = round(r["iterations_per_s"]["sum"] / alone, 3)
            r["cpu_count"] = os.cpu_count()
            r["train_workers"] = a.train_workers or "one per core"
            r["load_average_1min"] = round(os.getloadavg()[0], 2)
            print(json.dumps({"phase": "2-D lab play", **r}), flush=True)
            time.sleep(1.0)  # let the previous phase's runs end
        if a.others:
            print(json.dumps({"phase": "other tabs", **others_phase(url, a.others_n, rss, a.others_metrics)}), flush=True)
    finally:
        rss.stop()
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
