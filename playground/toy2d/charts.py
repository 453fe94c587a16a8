"""The 2-D lab's curves as Plotly figures written as plain JSON, and its one-line status.

Building figures through plotly.graph_objects (property validation) cost ~50 ms per refresh; plain
JSON costs well under 1 ms, and the live view refreshes a chart every second or so for every student.
"""

from __future__ import annotations

import functools
import html
import json
import math

from playground.toy2d.divergence import LOG4
from playground.toy2d.trainer import Trainer


def status_line(trainer: Trainer, snap: dict, note: str | None = None, rate: float | None = None) -> str:
    """Iteration, speed, losses and mode metrics as a line of HTML (a fixed-layout component re-renders
    it cheaply many times a second; Markdown would be re-parsed and sanitised every time)."""
    m = snap["metrics"]
    parts = [f"<b>iteration {snap.get('iteration', trainer.iteration):,}</b>"]
    if rate:
        parts.append(f"{rate:,.0f} it/s")
    parts.append(f"D loss {snap['d_loss']:.3f} · G loss {snap['g_loss']:.3f}")
    if m.get("modes_total"):
        parts.append(
            f"modes covered <b>{m['modes_covered']}/{m['modes_total']}</b> · high-quality {100 * m['high_quality']:.0f}%"
            f" · reverse KL {fmt_number(m.get('reverse_kl'))}"
        )
    if trainer.freeze_d or trainer.freeze_g:
        parts.append("frozen: " + ", ".join(n for n, f in (("D", trainer.freeze_d), ("G", trainer.freeze_g)) if f))
    text = "<div>" + " · ".join(parts) + "</div>"
    return text + (f"<div>{html.escape(note)}</div>" if note else "")


def fmt_number(x, fmt: str = ".2f") -> str:
    """A metric for display; None (undefined, e.g. reverse KL with no high-quality sample) shows as –."""
    return "–" if x is None else format(x, fmt)


@functools.cache
def _template() -> dict:
    import plotly.io as pio

    return pio.templates["plotly_white"].to_plotly_json()


def _hline(y: float, text: str | None = None) -> tuple[dict, dict | None]:
    shape = {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": y, "y1": y,
             "line": {"dash": "dash", "color": "gray"}}
    note = None if text is None else {"text": text, "xref": "x domain", "x": 1, "xanchor": "right", "yref": "y",
                                      "y": y, "yanchor": "bottom", "showarrow": False, "font": {"size": 10}}
    return shape, note


def _figure(title: str, traces: list[dict], shapes=(), annotations=(), **layout) -> str:
    lay = {
        "template": _template(), "title": {"text": title, "font": {"size": 13}}, "height": 260,
        "margin": {"l": 40, "r": 10, "t": 36, "b": 30}, "uirevision": "keep",
        "legend": {"orientation": "h", "y": -0.25, "font": {"size": 10}},
        "shapes": list(shapes), "annotations": [a for a in annotations if a], **layout,
    }
    return json.dumps({"data": traces, "layout": lay}, allow_nan=False, default=float)


def _series(rows: list[dict], key: str, scale: float = 1.0) -> list:
    return [None if r.get(key) is None or not math.isfinite(r[key]) else scale * r[key] for r in rows]


def loss_figure(trainer: Trainer) -> str:
    h = trainer.history
    it = [r["iteration"] for r in h]
    traces = [
        {"type": "scatter", "x": it, "y": _series(h, "d_loss"), "name": "D loss", "line": {"color": "#168a46"}},
        {"type": "scatter", "x": it, "y": _series(h, "g_loss"), "name": "G loss", "line": {"color": "#8c3cc8"}},
    ]
    shapes, notes = [], []
    if trainer.cfg.loss in ("minimax", "nonsaturating", "dragan"):
        shape, note = _hline(math.log(4), "log 4: D loss at equilibrium (V = −log 4)")
        shapes, notes = [shape], [note]
    return _figure("Losses", traces, shapes, notes)


def _empty(title: str, text: str) -> str:
    return _figure(title, [], annotations=[{"text": text, "showarrow": False, "font": {"size": 11},
                                            "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}])


FIRST_POINT = "The first point appears after 100 iterations."


def divergence_figure(trainer: Trainer) -> str:
    """V(D*, G) from its definition beside 2·JSD(p_data || p_g) − log 4, with the −log 4 floor: the identity
    of the original GAN's objective, live (both measured on the lab's grid, see Trainer.quality)."""
    h = [r for r in trainer.history if r.get("v_star") is not None]
    title = "V(D*, G) = 2·JSD(p<sub>data</sub> ‖ p<sub>g</sub>) − log 4"
    if not h:
        return _empty(title, FIRST_POINT)
    it = [r["iteration"] for r in h]
    traces = [
        {"type": "scatter", "x": it, "y": _series(h, "v_star"), "name": "V(D*, G) (its definition)",
         "line": {"color": "#1f77b4", "width": 4}},
        {"type": "scatter", "x": it, "y": [2 * r["jsd"] - LOG4 for r in h], "name": "2·JSD − log 4",
         "line": {"color": "#ff7f0e", "dash": "dot", "width": 2}},
        {"type": "scatter", "x": it, "y": _series(h, "jsd"), "name": "JSD", "yaxis": "y2",
         "line": {"color": "#7f7f7f", "width": 1}},
    ]
    shape, note = _hline(-LOG4, "−log 4: p_g = p_data")
    return _figure(title, traces, [shape], [note], yaxis={"range": [-LOG4 - 0.08, 0.05]},
                   yaxis2={"overlaying": "y", "side": "right", "range": [0, math.log(2) * 1.02], "showgrid": False,
                           "title": {"text": "JSD", "font": {"size": 10}}})


def quality_figure(trainer: Trainer) -> str:
    """When to stop: the 2-D Fréchet distance between data and G's samples, and the modes covered."""
    h = trainer.history
    title = "When to stop? Sample quality (the losses won't tell)"
    if not h:
        return _empty(title, FIRST_POINT)
    it = [r["iteration"] for r in h]
    traces = [{"type": "scatter", "x": it, "y": _series(h, "frechet"), "name": "Fréchet distance (lower is better)",
               "line": {"color": "#d62728"}}]
    layout = {"yaxis": {"type": "log", "title": {"text": "Fréchet distance", "font": {"size": 10}}}}
    if any(r.get("modes_total") for r in h):
        traces.append({"type": "scatter", "x": it, "y": _series(h, "modes_covered"), "name": "modes covered",
                       "yaxis": "y2", "line": {"color": "#8c3cc8", "shape": "hv"}})
        total = max(r.get("modes_total") or 0 for r in h)
        layout["yaxis2"] = {"overlaying": "y", "side": "right", "range": [0, total + 0.5], "showgrid": False,
                            "title": {"text": "modes", "font": {"size": 10}}}
    return _figure(title, traces, **layout)


def per_mode_figure(trainer: Trainer) -> str:
    """High-quality samples per mode at the last logged iteration, with the level of a balanced G."""
    m = trainer._last_metrics or {}
    counts = [int(c) for c in (m.get("per_mode") or [])]
    title = "High-quality samples per mode"
    if not counts:
        text = FIRST_POINT if trainer.dataset.centers is not None else \
            "Mode metrics need a data set with separate modes (ring, grid, blobs)."
        return _empty(title, text)
    level = sum(counts) / len(counts)
    shape, _ = _hline(float(level))
    shape["line"]["dash"] = "dot"
    traces = [{"type": "bar", "x": list(range(1, len(counts) + 1)), "y": counts, "marker": {"color": "#8c3cc8"}}]
    return _figure(title, traces, [shape], xaxis={"title": {"text": "mode"}, "dtick": 1 if len(counts) <= 12 else 5})
