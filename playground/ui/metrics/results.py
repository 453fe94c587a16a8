"""What the Metrics tab shows for a :class:`~playground.metrics.MetricsReport`: the results table, the
notes and the figures (PCA, FID against N, nearest neighbours, IS classes). No Gradio here: plain rows,
Markdown and plotly figures, so each can be tested from a report. File names and the reasons a file was
skipped are the visitor's text: the notes show them escaped (:func:`playground.safe_input.markdown_code`),
and so do the figures' hover labels (Plotly reads tags in them).
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from playground.metrics import MODES
from playground.metrics.analysis import (
    class_histogram,
    fid_vs_sample_size,
    nearest_real_neighbours,
    neighbours_sheet,
    pca_2d,
)
from playground.metrics.compute import FID_STABLE_N, IS_MIN_PER_SPLIT, IS_SPLITS
from playground.safe_input import markdown_code, markdown_text

READING = {
    "fid": "lower is better; 0 = same feature statistics",
    "kid": "lower is better; ≈0 for the same distribution (unbiased)",
    "is": "higher is better; 1 = worst, 1008 = best possible",
    "precision": "share of fakes that look real (0–1)",
    "recall": "share of reals the fakes cover (0–1)",
    "density": "≈1 when fakes are as dense as reals; >1 crowded",
    "coverage": "share of real neighbourhoods with a fake (0–1)",
}

EMPTY_TABLE = [["—", "—", "—"]]


def _fmt(x, digits=4):
    return "—" if x is None else f"{x:.{digits}g}"


def _is_cells(v) -> list[str]:
    """Value and reading of the IS row: with fewer than 10 splits, how many and the best value possible."""
    splits, size = v.get("is_splits", IS_SPLITS), v.get("is_split_size")
    if splits == 1:
        value = f"{v['is_mean']:.3f} (1 split: no ±)"
    else:
        value = f"{v['is_mean']:.3f} ± {v['is_std']:.3f}"
    if size is None or splits == IS_SPLITS and size >= IS_MIN_PER_SPLIT:
        return [value, READING["is"]]
    best = min(1008, size)
    return [
        value,
        f"higher is better; 1 = worst, {best} = best possible with {splits} split{'s' if splits > 1 else ''} "
        f"of {size} images (a split cannot score above its size)",
    ]


def table(report) -> list[list[str]]:
    v = report.values
    rows = []
    if "fid" in v:
        rows.append([f"FID ({report.mode})", f"{v['fid']:.2f}", READING["fid"]])
    if "kid_mean" in v:
        rows.append(["KID", f"{v['kid_mean']:.4f} ± {v['kid_std']:.4f}", READING["kid"]])
    if "is_mean" in v:
        rows.append(["Inception Score (generated)", *_is_cells(v)])
    for key, name in (
        ("precision", "Precision (k=3)"),
        ("recall", "Recall (k=3)"),
        ("density", "Density (k=5)"),
        ("coverage", "Coverage (k=5)"),
    ):
        if key in v:
            rows.append([name, _fmt(v[key], 3), READING[key]])
    rows.append(
        [
            "Images used",
            f"{v['n_fake']} generated / "
            + (f"{v['n_real']} real" if v["n_real"] is not None else "real = statistics file"),
            "skipped files are listed below",
        ]
    )
    rows.append(["Convention", report.mode, MODES[report.mode]])
    return rows


def notes(report) -> str:
    lines = []
    for label, res in (("generated", report.fake), ("real", report.real)):
        if res is not None:
            rate = f"{res.images_per_second:.1f} images/s" if not res.cached else "cached, instant"
            lines.append(f"- {label}: {len(res.names)} images ({rate})")
            for name, why in res.skipped[:20]:
                lines.append(f"  - skipped {markdown_code(name, 120)}: {markdown_text(why, 300)}")
            if len(res.skipped) > 20:
                lines.append(f"  - … and {len(res.skipped) - 20} more skipped")
    for n in report.notes:
        lines.append(f"- ⚠️ {n}")
    return "\n".join(lines)


def pca_figure(report):
    if report.real is None:
        return None
    r, f, ratio = pca_2d(report.real.features, report.fake.features)
    fig = go.Figure()
    sets = (("real", r, report.real, dict(size=9, color="#1f77b4")),
            ("generated", f, report.fake, dict(size=9, color="#ff7f0e", symbol="diamond")))
    for label, pts, res, marker in sets:
        fig.add_scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name=label, marker=marker,
                        text=[html.escape(n) for n in res.names],
                        hovertemplate=f"%{{text}}<extra>{label}</extra>")
    fig.update_layout(
        title=f"Inception features, first two principal axes ({100 * ratio.sum():.0f}% of the variance)",
        xaxis_title="PC 1",
        yaxis_title="PC 2",
        height=380,
        margin=dict(l=40, r=10, t=50, b=40),
        legend=dict(orientation="h", y=-0.2),
        uirevision="pca",
    )
    return fig


def fid_n_figure(report):
    if report.real is None or "fid" not in report.values:
        return None
    rows = fid_vs_sample_size(report.real.features, report.fake.features)
    if not rows:
        return None
    n, mean, std = (np.array(c) for c in zip(*rows))
    fig = go.Figure()
    fig.add_scatter(
        x=n,
        y=mean,
        mode="lines+markers",
        name="FID of random subsets",
        error_y=dict(type="data", array=std, visible=True),
    )
    n_max = int(n.max())
    title = "FID against the number of images per set"
    if n_max < FID_STABLE_N:
        title += f"<br><sup>⚠️ N = {n_max} < 2048: FID is biased upwards here and still falling</sup>"
    fig.update_layout(
        title=title,
        xaxis_title="images per set (N)",
        yaxis_title="FID",
        xaxis_type="log",
        height=380,
        margin=dict(l=40, r=10, t=60, b=40),
        uirevision="fidn",
    )
    return fig


def neighbours(report, n_fakes=4, k=3):
    """The memorisation check: a picture (rows: a generated image, then its k nearest real images in
    feature space) and its caption; ``(None, "")`` without real images."""
    if report.real is None or report.fake_set is None or report.real_set is None:
        return None, ""
    order, dist, yard = nearest_real_neighbours(report.real.features, report.fake.features, n_fakes, k)
    # Feature rows map to images by position (names may repeat, e.g. two uploads called img.png).
    fake_refs = [report.fake_set.images[i] for i in report.fake.rows]
    real_refs = [report.real_set.images[i] for i in report.real.rows]
    img = neighbours_sheet(fake_refs, real_refs, order)
    captions = [
        f"row {i + 1}: nearest distance {d[0]:.1f}" + (" ← suspiciously close" if d[0] < 0.5 * yard else "")
        for i, d in enumerate(dist)
    ]
    text = (
        f"**Memorisation check.** Left of the orange line: a generated image; right: its {order.shape[1]} nearest "
        "real images in Inception feature space. "
        f"Typical real-to-real nearest distance: {yard:.1f}. A generated image much closer than that to a "
        f"real one may be a memorised copy. " + "; ".join(captions)
    )
    return img, text


def is_figure(report):
    if report.fake is None or report.fake.logits is None:
        return None
    ids, counts = class_histogram(report.fake.logits)
    fig = go.Figure(go.Bar(x=[str(i) for i in ids], y=counts))
    fig.update_layout(
        title="Most predicted Inception classes among the generated images",
        xaxis_title="class index (of 1008)",
        yaxis_title="images",
        height=320,
        margin=dict(l=40, r=10, t=50, b=40),
    )
    return fig
