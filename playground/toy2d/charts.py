"""The 2-D lab's one-line status, and its four charts as the page draws them (a declaration per chart and
the rows of numbers it draws)."""

from __future__ import annotations

import html
import math

from playground.toy2d import metrics
from playground.toy2d.divergence import LOG4
from playground.toy2d.losses import OBJECTIVES
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
            f"modes covered <b>{m['modes_covered']}/{m['modes_total']}</b> (hit by a sample: {m['modes_hit']})"
            f" · high-quality {100 * m['high_quality']:.0f}%"
        )
    parts.append(f"JSD {fmt_number(latest_jsd(trainer), '.3f')}")
    if m.get("label_accuracy") is not None:  # a conditional G: its samples nearest the mode each was asked for
        parts.append(f"label accuracy <b>{100 * m['label_accuracy']:.0f}%</b>")
    if trainer.freeze_d or trainer.freeze_g:
        parts.append("frozen: " + ", ".join(n for n, f in (("D", trainer.freeze_d), ("G", trainer.freeze_g)) if f))
    text = "<div>" + " · ".join(parts) + "</div>"
    return text + (f"<div>{html.escape(note)}</div>" if note else "")


def latest_jsd(trainer: Trainer) -> float | None:
    """JSD(p_data || p_g) at the last logged iteration, or measured now before the first log: the status line's
    one number that reaches 0 only when G's samples match the data (a frozen blob that covers every mode and
    sits within 3 sigma of them still scores well above 0)."""
    if trainer.history:
        return trainer.history[-1].get("jsd")
    return trainer.quality(trainer.generate(metrics.N_METRIC_SAMPLES))["jsd"]


def fmt_number(x, fmt: str = ".2f") -> str:
    """A metric for display; None (undefined, e.g. reverse KL with no high-quality sample) shows as –."""
    return "–" if x is None else format(x, fmt)


# ---- the four charts, drawn in the page -------------------------------------------------------------------
#
# The page draws the curves itself (playground/ui/toy2d/charts.js) from compact rows: while a run plays, each
# frame brings the rows logged since the page's last one (a few numbers every 100 iterations), so no event of
# the server runs per chart refresh and the curves keep up with the picture. A chart is declared here once:
# its title, its series (a column of the rows each), its axes and its reference line.

# A row's columns, in order: the logged metrics (Trainer.history) the charts draw, and one derived curve.
COLUMNS = ("iteration", "d_loss", "g_loss", "v_star", "jsd_line", "jsd", "frechet", "modes_covered")
FIRST_POINT = "The first point appears after 100 iterations."


def _short(x) -> float | None:
    """A number for the page: 5 significant digits (the charts are ~400 px wide), None when undefined."""
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.5g}")


def chart_row(row: dict) -> list:
    """One logged row as the page's chart columns (:data:`COLUMNS`)."""
    jsd = row.get("jsd")
    derived = {"jsd_line": None if jsd is None else 2 * jsd - LOG4}
    return [_short(row.get(k, derived.get(k))) if k != "iteration" else int(row["iteration"]) for k in COLUMNS]


def _series(column: str, name: str, color: str, **style) -> dict:
    return {"col": COLUMNS.index(column), "name": name, "color": color, **style}


def chart_spec(trainer: Trainer) -> list[dict]:
    """The four charts for this run (the reference lines and axes depend on the loss and the data set)."""
    objective = OBJECTIVES[trainer.cfg.loss]
    losses = {"title": "Losses", "series": [_series("d_loss", "D loss", "#168a46"),
                                            _series("g_loss", "G loss", "#8c3cc8")]}
    if objective.log4:  # D's loss at p_g = p_data
        value = " (V = −log 4)" if objective.output == "probability" else ""  # the minimax D's loss is −V
        losses["hline"] = {"y": math.log(4), "text": f"log 4: D loss at equilibrium{value}"}
    divergence = {
        "title": "V(D*, G) = 2·JSD(p<sub>data</sub> ‖ p<sub>g</sub>) − log 4",
        "series": [_series("v_star", "V(D*, G) (its definition)", "#1f77b4", width=4),
                   _series("jsd_line", "2·JSD − log 4", "#ff7f0e", dash="3 3", width=2),
                   _series("jsd", "JSD", "#7f7f7f", width=1, axis=2)],
        "y": {"range": [-LOG4 - 0.08, 0.05]}, "y2": {"range": [0, math.log(2) * 1.02], "title": "JSD"},
        "hline": {"y": -LOG4, "text": "−log 4: p_g = p_data"},
    }
    quality = {"title": "When to stop? Sample quality (the losses won't tell)",
               "series": [_series("frechet", "Fréchet distance (lower is better)", "#d62728")],
               "y": {"log": True, "title": "Fréchet distance"}}
    if trainer.dataset.centers is not None:
        quality["series"].append(_series("modes_covered", "modes covered", "#8c3cc8", axis=2, step=True))
        quality["y2"] = {"range": [0, len(trainer.dataset.centers) + 0.5], "title": "modes"}
    per_mode = {"title": "High-quality samples per mode", "bars": True, "color": "#8c3cc8",
                "empty": FIRST_POINT if trainer.dataset.centers is not None else
                "Mode metrics need a data set with separate modes (ring, grid, blobs)."}
    if trainer.dataset.centers is not None:
        even = metrics.N_METRIC_SAMPLES / len(trainer.dataset.centers)
        per_mode["lines"] = [{"y": even, "text": "even share"},
                             {"y": metrics.FAIR_SHARE * even, "text": "covered from here (¼ share)"}]
    for chart in (losses, divergence, quality):
        chart["empty"] = FIRST_POINT
    return [losses, divergence, quality, per_mode]


def per_mode(trainer: Trainer) -> list[int] | None:
    """High-quality samples per mode at the last logged iteration (the bar chart), None before the first."""
    counts = (trainer._last_metrics or {}).get("per_mode")
    return None if counts is None or not len(counts) else [int(c) for c in counts]


def chart_data(trainer: Trainer, rows_from: int = 0) -> dict:
    """What the page needs to draw a still run's charts: the spec, every row from ``rows_from``, the bars."""
    return {"spec": chart_spec(trainer), "rows": [chart_row(r) for r in trainer.history[rows_from:]],
            "pm": per_mode(trainer)}
