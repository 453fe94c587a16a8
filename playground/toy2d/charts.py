"""The 2-D lab's curves as Plotly figures written as plain JSON, and its one-line status.

Building figures through plotly.graph_objects (property validation) cost ~50 ms per refresh; plain
JSON costs well under 1 ms, and the live view refreshes a chart every second or so for every student.
"""

from __future__ import annotations

import functools
import html
import json
import math

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


def modes_figure(trainer: Trainer) -> str:
    h = [r for r in trainer.history if r.get("modes_total")]
    title = "Modes covered (of 2,500 samples)"
    if h:
        it = [r["iteration"] for r in h]
        traces = [
            {"type": "scatter", "x": it, "y": _series(h, "modes_covered"), "name": "modes covered"},
            {"type": "scatter", "x": it, "y": _series(h, "high_quality", 100.0), "name": "% high quality",
             "yaxis": "y2"},
            {"type": "scatter", "x": it, "y": _series(h, "reverse_kl"), "name": "reverse KL",
             "line": {"dash": "dot"}},
        ]
        return _figure(title, traces, yaxis={"rangemode": "tozero"},
                       yaxis2={"overlaying": "y", "side": "right", "range": [0, 100], "showgrid": False})
    if trainer.dataset.centers is None:
        text = "Mode metrics need a data set with separate modes (ring, grid, blobs)."
    else:
        text = "The first point appears after 100 iterations."
    return _figure(title, [], annotations=[{"text": text, "showarrow": False, "font": {"size": 11},
                                            "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}])


def per_mode_figure(snap: dict) -> str:
    m = snap["metrics"]
    counts = [int(c) for c in (m.get("per_mode") or [])]
    title = "High-quality samples per mode"
    if not counts:
        return _figure(title, [])
    level = m.get("n_samples", sum(counts)) / max(len(counts), 1) * m.get("high_quality", 1)
    shape, _ = _hline(float(level))
    shape["line"]["dash"] = "dot"
    traces = [{"type": "bar", "x": list(range(1, len(counts) + 1)), "y": counts, "marker": {"color": "#8c3cc8"}}]
    return _figure(title, traces, [shape], xaxis={"title": {"text": "mode"}, "dtick": 1 if len(counts) <= 12 else 5})


