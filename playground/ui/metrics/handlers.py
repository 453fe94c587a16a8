"""The Metrics tab's handlers: what each event computes (layout and wiring in :mod:`playground.ui.metrics.layout`;
tables and figures in :mod:`~playground.ui.metrics.results`). Each handler takes its inputs as a dict by name
and returns its outputs the same way (``playground.ui.common.on`` wires them).

* :func:`compute` / :func:`example_handler` / :func:`run_link_example`: uploads or an example through
  ``compute_metrics``. Each browser session keeps its own feature cache (a second click on the same
  files is instant) and the uploaded files are deleted when the session ends. The shared app caps one
  request's work (images per set, seconds: :class:`WorkLimits`) and stops it when its page or API
  client goes away, so one upload cannot hold the only metrics worker for minutes.
* :func:`make_link` / :func:`link_state`: example, resize convention and metrics as a share link;
* :func:`start_precompute` / :func:`precomputed`: the default example's results, computed once per
  server in a background thread once the server has started (the FID network over 20 images, the two sets
  on two cores: ~5 s on a CPU) and kept in memory and on disk under the cache root (named by a hash of the
  program, ``arrival.code_version``: a changed program computes them anew), labelled with when and where
  they were computed. The page never waits for it: on load it shows the stored result when there is one,
  else a note, and a timer (:func:`poll_precomputed`) fills the results in when they arrive.
* :func:`explain_mode`: the chosen resize convention's one-line explanation.
"""

from __future__ import annotations

import json
import logging
import threading
import time

import gradio as gr

from playground import share
from playground.device import get_device
from playground.errors import UserError
from playground import safe_input
from playground.files import cache_root
from playground.metrics.compute import compute_metrics
from playground.metrics.examples import EXAMPLES, example_sets
from playground.metrics.features import FeatureCache
from playground.metrics.limits import WorkLimits
from playground.ui import arrival
from playground.ui.common import after_server_start, session_key
from playground.ui.queue_gate import client_left
from playground.ui.metrics import results
from playground.ui.metrics.session import Session
from playground.ui.metrics.texts import MODE_HELP, WAITING_FOR_EXAMPLE
from playground.ui.pictures import ResultCache, picture_file
from playground.ui.sessions import SessionStore

log = logging.getLogger("playground.ui.metrics")

TAB_ID = "metrics"
GROUPS = share.schema(TAB_ID).groups  # the control groups a link may hide, in page order
DEFAULT_EXAMPLE = "held_out"
DEFAULT_MODE = "clean"
DEFAULT_METRICS = ("fid", "kid", "pr")
STORE_VERSION = 2  # 2: with the PCA and FID-vs-N figures (Plotly JSON)
INPUTS = ("fake_files", "real_files", "mode", "metrics")  # a computation's inputs (the API's parameters)
SETTINGS = ("mode", "metrics")  # an example's inputs
# what a computation sets
OUTPUTS = ("status", "table", "notes", "pca_plot", "fidn_plot", "nn_image", "nn_text", "is_plot")
STORED = OUTPUTS[:5]  # what the precomputed example shows (its figures: the PCA and FID against N)
LINK = ("example", "mode", "metrics")  # what a share link holds

# One request's share of the shared app (the CLI has no caps). On 2 CPU cores the network runs at ~3
# images/s, so ~360 images fit in the time; on a GPU the image cap binds first.
APP_MAX_IMAGES_PER_SET = 1000
APP_MAX_SECONDS = 120
MAX_UPLOAD_FILES = APP_MAX_IMAGES_PER_SET

_state: dict = {}  # "result": the precomputed example's {"table", "label", "notes"}; "thread"
_lock = threading.Lock()


# ---- computing: sessions, limits, the handlers ------------------------------------------------------------


def _device() -> str:
    """CUDA when there is one; else the CPU (the converted TF Inception network is untested on MPS)."""
    return "cuda" if get_device().type == "cuda" else "cpu"


_sessions: SessionStore[Session] = SessionStore(
    "metrics tab", max_sessions=32, on_free=lambda s: s.forget()
)
# The bundled examples are the same for everyone and every server (fixed seeds, the bundled DCGAN; the key is
# the pictures' bytes): their features are kept on disk too, so a restarted server does not spend a core on
# the Inception network for seconds while a class is clicking.
_example_cache = FeatureCache(folder=cache_root() / "metrics" / "example-features", max_items=8)


def _limits(request: gr.Request | None = None, closed: threading.Event | None = None) -> WorkLimits:
    """The shared app's caps for one request: it stops when its client stops listening (``queue_gate.client_left``:
    the page closed or the API client disconnected; Gradio then drops the event, but a plain function runs on
    unless it asks) or when the session ends (``closed``)."""
    session, started = getattr(request, "session_hash", None), time.monotonic()
    return WorkLimits(
        max_images_per_set=APP_MAX_IMAGES_PER_SET,
        max_seconds=APP_MAX_SECONDS,
        should_stop=lambda: client_left(session, started) or (closed is not None and closed.is_set()),
    )


def _paths(files) -> list[str]:
    if not files:
        return []
    if not isinstance(files, (list, tuple)):
        files = [files]
    out = []
    for f in files:
        p = (
            f
            if isinstance(f, str)
            else getattr(f, "name", None) or (f.get("path") if isinstance(f, dict) else None)
        )
        if p:
            out.append(str(safe_input.web_file(str(p))))  # only files uploaded to this app (raw values skip
            # Gradio's own check)
    if len(out) > MAX_UPLOAD_FILES:
        raise UserError(
            f"{len(out)} files is more than this page accepts ({MAX_UPLOAD_FILES}); zip them or use the CLI."
        )
    return out


def _plot(fig) -> gr.Plot:
    """A figure's box, shown only when it holds one (a Plotly figure or its JSON): never an empty box."""
    if isinstance(fig, dict):
        import plotly.io as pio

        fig = pio.from_json(json.dumps(fig))
    return gr.Plot(value=fig, visible=fig is not None)


def _outputs(values: dict) -> dict:
    """:func:`_run`'s values as the tab's outputs: each picture and plot appears only when there is one."""
    nn_path = values["nn_image"]
    return {**values, "pca_plot": _plot(values["pca_plot"]), "fidn_plot": _plot(values["fidn_plot"]),
            "nn_image": gr.Image(nn_path, visible=nn_path is not None), "is_plot": _plot(values["is_plot"])}


def _stored_outputs(res: dict) -> dict:
    """The precomputed example as the results' outputs (:data:`STORED`)."""
    pca, fidn = (res.get("figures") or [None, None])[:2]
    return {"status": res["label"], "table": res["table"], "notes": res["notes"], "pca_plot": _plot(pca),
            "fidn_plot": _plot(fidn)}


def _run(fake, real, mode, metrics, cache, progress, limits: WorkLimits, label="") -> dict:
    """fake, real: lists of uploaded paths, or ImageSets (the examples). The results as plain values by output
    name (:data:`OUTPUTS`): status, table, notes, PCA figure, FID-vs-N figure, the neighbours' picture file (or
    None), their text, IS figure (or None)."""
    if not metrics:
        raise UserError("Tick at least one metric.")
    if not fake:
        raise UserError("Upload the generated images first (image files or a .zip), or click an example.")
    if not real:
        raise UserError("Upload real images (or a .npz of reference statistics) to compare with.")
    t0 = time.perf_counter()

    def on_progress(stage, done, total, rate):
        progress((done, max(total, 1)), desc=f"{stage} images: {done}/{total} · {rate:.1f} images/s")

    def on_status(text):
        progress(0, desc=text)

    progress(0, desc="Loading the Inception network (first use takes a few seconds)…")
    report = compute_metrics(
        fake,
        real,
        metrics=metrics,
        mode=mode,
        device=_device(),
        cache=cache,
        progress=on_progress,
        status=on_status,
        limits=limits,
    )
    try:
        nn_img, nn_text = results.neighbours(report)
        status = f"**Done in {time.perf_counter() - t0:.1f} s.** {label}".strip()
        return {
            "status": status,
            "table": results.table(report),
            "notes": results.notes(report),
            "pca_plot": results.pca_figure(report),
            "fidn_plot": results.fid_n_figure(report),
            # written once (examples repeat across a class)
            "nn_image": None if nn_img is None else picture_file(nn_img),
            "nn_text": nn_text,
            "is_plot": results.is_figure(report),
        }
    finally:
        report.fake_set.close()
        if report.real_set is not None:
            report.real_set.close()


def compute(v: dict, request: gr.Request | None = None, progress=gr.Progress()) -> dict:
    """The uploaded sets (:data:`INPUTS`) through the metrics, in this session (its feature cache; its uploads
    deleted when it ends): every output (:data:`OUTPUTS`)."""
    fake_paths, real_paths = _paths(v["fake_files"]), _paths(v["real_files"])
    sess = _sessions.get_or_create(session_key(request), Session)
    sess.claim(fake_paths + real_paths)
    with sess.computing():
        return _outputs(_run(fake_paths, real_paths, v["mode"], v["metrics"], sess.cache, progress,
                             _limits(request, sess.closed)))


# An example's results depend on the example, the convention and the metrics alone: a class clicking the same
# example gets the one computation (its FID square roots and figures cost ~1-2 s of CPU each time otherwise).
_example_results = ResultCache(max_items=32)


def example_values(kind: str, mode, metrics, progress=lambda *a, **k: None, request: gr.Request | None = None) -> dict:
    """An example's results as :func:`_run`'s plain values by name, computed once per example and settings on
    this server (the class shares them); ``request``: the client whose leaving stops the computation."""
    key = (kind, mode, tuple(metrics) if isinstance(metrics, (list, tuple)) else metrics)
    fresh = []

    def compute():
        progress(0, desc="Preparing the example images…")
        gen, real, text = example_sets(kind)
        fresh.append(text)
        return _run(gen, real, mode, metrics, _example_cache, progress, _limits(request), label=f"Example: {text}.")

    try:
        hash(key)
    except TypeError:
        key = None  # odd values from an API client: computed (and refused there) without the cache
    values = compute() if key is None else _example_results.get_or_compute(key, compute)
    if not fresh:  # someone on this server clicked the same example before: say so, not their time
        values = {**values, "status": "**Done:** the same example with the same settings was computed on this "
                                      f"server before; its results are shared. Example: {EXAMPLES[kind]}."}
    return values


def example_handler(kind: str):
    """The handler of the example ``kind``'s button: its results for the settings (:data:`SETTINGS`), every
    output (:data:`OUTPUTS`)."""

    def run_example(v: dict, request: gr.Request | None = None, progress=gr.Progress()) -> dict:
        return _outputs(example_values(kind, v["mode"], v["metrics"], progress, request))

    run_example.__name__ = f"run_example_{kind}"
    return run_example


def choose_example(kind: str):
    """The handler that notes the example ``kind`` as the page's (its share link names it) as its button is
    pressed, before the example is computed."""

    def chosen(v: dict, request: gr.Request | None = None) -> dict:
        return {"example": kind}

    chosen.__name__ = f"choose_example_{kind}"
    return chosen


def run_link_example(v: dict, request: gr.Request | None = None, progress=gr.Progress()) -> dict:
    """An opened link's example (``link_opened``, ``example`` and the settings), computed as its button would:
    every output; nothing for a page without one."""
    if not v.get("link_opened") or not v.get("example"):
        return {}
    return _outputs(example_values(v["example"], v["mode"], v["metrics"], progress, request))


def explain_mode(v: dict, request: gr.Request | None = None) -> dict:
    """The chosen resize convention's explanation under it."""
    return {"mode_help": MODE_HELP.get(v["mode"], "")}


# ---- share links ------------------------------------------------------------------------------------------


def link_state(example, mode, metrics) -> dict:
    return {"example": example or None, "mode": mode, "metrics": list(metrics or [])}


def make_link(v: dict, request: gr.Request | None = None) -> str:
    """The query part of a link that reopens this tab with this example, convention and metrics."""
    options = {"hide": tuple(v.get("link_hide") or ()), "big": bool(v.get("link_big"))}
    return share.build_link("", TAB_ID, link_state(v["example"], v["mode"], v["metrics"]), options)


# ---- the precomputed example ------------------------------------------------------------------------------


def _store_stem() -> str:
    return f"example-{DEFAULT_EXAMPLE}-{DEFAULT_MODE}-v{STORE_VERSION}-"


def store_path():
    """The stored result of this program (its code version in the name: another version's is never shown)."""
    return cache_root() / "metrics" / f"{_store_stem()}{arrival.code_version()}.json"


def precomputed() -> dict | None:
    """The default example's stored result (``table``, ``notes``, ``label``), or None while it is computed."""
    with _lock:
        if "result" in _state:
            return _state["result"]
    try:
        data = json.loads(store_path().read_text())
        if data.get("version") == STORE_VERSION and data.get("table"):
            with _lock:
                _state["result"] = data
            return data
    except (OSError, ValueError):
        pass
    return None


def _prefill_example_features() -> None:
    """The default example's two image sets through the FID network at once, one per core (each thread's torch
    calls run on their own core: the app uses one torch thread), into the example feature cache, where
    :func:`compute_metrics` then finds them. The same calls as compute_metrics' own, so the same features."""
    from playground.metrics.features import extract_features
    from playground.metrics.inception import fid_network_ref

    gen, real, _ = example_sets(DEFAULT_EXAMPLE)
    ref = fid_network_ref()
    threads = [threading.Thread(target=extract_features, args=(images, DEFAULT_MODE, ref, None, "cpu"),
                                kwargs={"cache": _example_cache}, name=f"metrics-example-{images.label}", daemon=True)
               for images in (gen, real)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _compute() -> None:
    try:
        if _device() == "cpu" and "is" not in DEFAULT_METRICS:  # (with IS the generated set takes the IS network)
            try:
                _prefill_example_features()
            except Exception:  # noqa: BLE001 - compute_metrics below then extracts them itself
                log.warning("could not prefill the example's features", exc_info=True)
        out = example_values(DEFAULT_EXAMPLE, DEFAULT_MODE, list(DEFAULT_METRICS))
        when = time.strftime("%Y-%m-%d %H:%M %Z")
        figures = [None if f is None else json.loads(f.to_json()) for f in (out["pca_plot"], out["fidn_plot"])]
        data = {"version": STORE_VERSION, "table": out["table"], "notes": out["notes"], "figures": figures,
                "label": f"**Precomputed example:** {EXAMPLES[DEFAULT_EXAMPLE]}, {DEFAULT_MODE} convention "
                         f"(computed at {when} on this server). Press an example button to compute it live."}
        path = store_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)
        for old in path.parent.glob(f"{_store_stem()}*.json"):  # other versions' results
            if old != path:
                old.unlink(missing_ok=True)
        with _lock:
            _state["result"] = data
    except Exception:  # noqa: BLE001 - the page then simply has no precomputed result
        log.exception("could not precompute the metrics example")


def start_precompute() -> None:
    """Compute the default example once per server, in the background (never blocks the page)."""
    if precomputed() is not None:
        return
    with _lock:
        if "thread" in _state:
            return
        # after the server has started: on a 2-core machine it would otherwise slow the page's first serving
        _state["thread"] = after_server_start(_compute, "metrics-example")


def wait_precomputed(timeout: float) -> dict | None:
    """The precomputed result, waiting up to ``timeout`` seconds for the background computation."""
    t = _state.get("thread")
    if t is not None:
        t.join(timeout)
    return precomputed()


# ---- opening a page / a link ------------------------------------------------------------------------------


def poll_precomputed(v: dict, request: gr.Request | None = None) -> dict:
    """The timer's tick: the precomputed example's results (:data:`STORED`) once they are there, and the timer
    (``example_timer``) stopped; nothing until then."""
    res = precomputed()
    if res is None:
        return {}
    return {**_stored_outputs(res), "example_timer": gr.Timer(active=False)}


def on_load(v: dict, request: gr.Request | None = None) -> dict:
    """Page load (``link_opened``, ``example``): a link's example is computed next (as its button would);
    otherwise the precomputed example's results (:data:`STORED`) are shown, or, while it is being computed, the
    timer that fetches it (``example_timer``) is started, in the same answer (two events would race with the
    computation's end: a page could miss it until reloaded)."""
    if v.get("link_opened") and v.get("example"):
        return {"example_timer": gr.Timer(active=False)}  # the link's own example runs next (run_link_example)
    res = precomputed()
    if res is None:
        return {"status": WAITING_FOR_EXAMPLE, "example_timer": gr.Timer(active=True)}
    return {**_stored_outputs(res), "example_timer": gr.Timer(active=False)}

