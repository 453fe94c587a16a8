"""The metrics tab's share links and its precomputed example (layout and wiring in ``metrics_tab.py``).

* :func:`make_link` / :func:`link_state`: example, resize convention and metrics as a share link;
* :func:`start_precompute` / :func:`precomputed`: the default example's results, computed once per
  server in a background thread (the FID network over 20 images: seconds on a CPU) and kept in memory
  and on disk under the cache root, labelled with when and where they were computed. The page never
  waits for it: on load it shows the stored result when there is one, else a note.
"""

from __future__ import annotations

import json
import logging
import threading
import time

import gradio as gr

from playground import share
from playground.files import cache_root

log = logging.getLogger("playground.ui.metrics")

TAB_ID = "metrics"
GROUPS = share.schema(TAB_ID).groups  # the control groups a link may hide, in page order
DEFAULT_EXAMPLE = "held_out"
DEFAULT_MODE = "clean"
DEFAULT_METRICS = ("fid", "kid", "pr")
STORE_VERSION = 1

_state: dict = {}  # "result": the precomputed example's {"table", "label", "notes"}; "thread"
_lock = threading.Lock()


# ---- share links ------------------------------------------------------------------------------------------


def link_state(example, mode, metrics) -> dict:
    return {"example": example or None, "mode": mode, "metrics": list(metrics or [])}


def make_link(v: dict, request: gr.Request | None = None) -> str:
    """The query part of a link that reopens this tab with this example, convention and metrics."""
    options = {"hide": tuple(v.get("link_hide") or ()), "big": bool(v.get("link_big"))}
    return share.build_link("", TAB_ID, link_state(v["example"], v["mode"], v["metrics"]), options)


# ---- the precomputed example ------------------------------------------------------------------------------


def store_path():
    return cache_root() / "metrics" / f"example-{DEFAULT_EXAMPLE}-{DEFAULT_MODE}-v{STORE_VERSION}.json"


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


def _compute() -> None:
    from playground.metrics.examples import EXAMPLES
    from playground.ui import metrics_tab as tab

    try:
        out = tab._example_handler(DEFAULT_EXAMPLE).__wrapped__(DEFAULT_MODE, list(DEFAULT_METRICS),
                                                                progress=lambda *a, **k: None)
        when = time.strftime("%Y-%m-%d %H:%M %Z")
        data = {"version": STORE_VERSION, "table": out[1], "notes": out[2],
                "label": f"**Precomputed example:** {EXAMPLES[DEFAULT_EXAMPLE]}, {DEFAULT_MODE} convention "
                         f"(computed at {when} on this server). Press an example button to compute it live."}
        path = store_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)
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
        _state["thread"] = threading.Thread(target=_compute, name="metrics-example", daemon=True)
        _state["thread"].start()


def wait_precomputed(timeout: float) -> dict | None:
    """The precomputed result, waiting up to ``timeout`` seconds for the background computation."""
    t = _state.get("thread")
    if t is not None:
        t.join(timeout)
    return precomputed()


# ---- opening a page / a link ------------------------------------------------------------------------------


def on_load(v: dict, request: gr.Request | None = None):
    """Page load: a link's example is computed (as its button would); otherwise the precomputed example's
    table is shown. Outputs: status, table, notes."""
    if v.get("link_opened") and v.get("example"):
        return [gr.skip()] * 3  # the link's own example runs next (after_link)
    res = precomputed()
    if res is None:
        return ("*The example results are being computed on this server (once); reload in a minute, or press "
                "an example button.*", gr.skip(), gr.skip())
    return res["label"], res["table"], res["notes"]


class LinkTarget:
    """What an opened share link sets in the metrics tab (``playground/ui/app.py`` dispatches links)."""

    tab = TAB_ID

    def __init__(self, c: dict, run_example):
        self.c, self.run_example = c, run_example
        self.outputs = [c["example"], c["mode"], c["metrics"], *[c[f"group:{g}"] for g in GROUPS], c["group:share"],
                        c["link_opened"]]

    def apply(self, state: dict, options: dict, notes: list[str]) -> list:
        hidden = set(options.get("hide") or ())
        groups = [gr.update(visible=g not in hidden) for g in GROUPS]
        return [state["example"], state["mode"], state["metrics"], *groups, gr.update(visible=not hidden), True]

    def after(self, event) -> None:
        """Fill the results on load: the precomputed example, or the link's example computed."""
        from playground.ui.common import named_inputs

        c = self.c
        names = ["link_opened", "example"]
        shown = event.then(named_inputs(names, on_load), [c[n] for n in names], [c["status"], c["table"], c["notes"]],
                           api_name=False, queue=False)
        shown.then(self.run_example, [c["link_opened"], c["example"], c["mode"], c["metrics"]], c["outputs"],
                   api_name=False, concurrency_limit=1, concurrency_id="metrics", show_progress="full")
