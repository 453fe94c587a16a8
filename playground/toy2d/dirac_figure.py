"""The Dirac-GAN panel's picture as one SVG: the (θ, ψ) plane with the variant's vector field, the players' path
from (1, 1) and the equilibrium; beside it the distance from the equilibrium per step (log scale) with the rate
the linearisation predicts.

Plain SVG text (no plotting library): it draws in a few milliseconds, stays sharp at any size (the projector
view scales it), and the page needs no script to show it.
"""

from __future__ import annotations

import html
import math

import numpy as np

from playground.toy2d.dirac import VARIANTS, DiracRun, vector_field
from playground.toy2d.render import ARROW, FAKE, REAL

WIDTH, HEIGHT = 900, 452
PLANE = (60, 24, 380)  # left, top, side of the (θ, ψ) square in SVG units
CHART = (540, 24, 340, 300)  # left, top, width, height of the distance chart
ARROWS = 15  # arrows per side of the vector field's grid
FLOOR = 1e-15  # the chart's lowest distance (a converged path reaches round-off)
MAX_EXTENT = 6.0


def _rgb(c) -> str:
    return "rgb({},{},{})".format(*c)


def plane_extent(path: np.ndarray) -> float:
    """Half the side of the plane shown: at least the paper's [−2, 2], grown in steps of ½ to hold the path
    (at most ±6; a path that goes further leaves the picture)."""
    reach = float(np.nanmax(np.abs(path))) if np.isfinite(path).any() else 0.0
    return float(min(MAX_EXTENT, max(2.0, math.ceil(1.1 * reach * 2) / 2)))


def _ticks(extent: float) -> list[float]:
    step = 1.0 if extent <= 3 else 2.0
    n = int(extent // step)
    return [k * step for k in range(-n, n + 1)]


def _arrows(x0, y0, x1, y1) -> str:
    """Path data of arrows from (x0, y0) to (x1, y1) (SVG units), each with an open head; dots are skipped."""
    parts = []
    for a, b, c, d in zip(x0, y0, x1, y1):
        n = math.hypot(c - a, d - b)
        if n < 1.0:
            continue
        ux, uy = (c - a) / n, (d - b) / n
        hs = min(4.5, 0.45 * n)
        bx, by = c - hs * ux, d - hs * uy
        parts.append(f"M{a:.1f} {b:.1f}L{c:.1f} {d:.1f}M{bx - 0.6 * hs * uy:.1f} {by + 0.6 * hs * ux:.1f}"
                     f"L{c:.1f} {d:.1f}L{bx + 0.6 * hs * uy:.1f} {by - 0.6 * hs * ux:.1f}")
    return "".join(parts)


def _plane(run: DiracRun) -> list[str]:
    left, top, side = PLANE
    e = plane_extent(run.path)

    def px(th, ps):
        return left + (np.asarray(th) + e) / (2 * e) * side, top + (e - np.asarray(ps)) / (2 * e) * side

    s = run.settings
    out = [f'<rect x="{left}" y="{top}" width="{side}" height="{side}" fill="#fbfbfd" stroke="#999"/>']
    for t in _ticks(e):  # grid lines and tick labels
        x, _ = px(t, 0)
        _, y = px(0, t)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + side}" stroke="#e4e4ea"/>')
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + side}" y2="{y:.1f}" stroke="#e4e4ea"/>')
        out.append(f'<text x="{x:.1f}" y="{top + side + 16}" text-anchor="middle">{t:g}</text>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{t:g}</text>')
    out.append(f'<text x="{left + side / 2}" y="{top + side + 36}" text-anchor="middle" class="lbl">'
               "θ: where G puts its point</text>")
    out.append(f'<text transform="translate({left - 34},{top + side / 2}) rotate(-90)" text-anchor="middle" '
               'class="lbl">ψ: D\'s slope, D(x) = ψ·x</text>')
    out.append(f'<clipPath id="dirac-clip"><rect x="{left}" y="{top}" width="{side}" height="{side}"/></clipPath>')
    out.append('<g clip-path="url(#dirac-clip)">')
    # the vector field: arrows on a grid, length growing with the speed (square root: slow regions stay visible)
    cell = 2 * e / ARROWS
    g = -e + cell * (np.arange(ARROWS) + 0.5)
    th, ps = np.meshgrid(g, g)
    v1, v2 = vector_field(s.variant, th, ps, s.params())
    speed = np.hypot(v1, v2)
    top_speed = float(speed.max()) or 1.0
    length = 0.85 * cell * np.sqrt(speed / top_speed)
    with np.errstate(invalid="ignore", divide="ignore"):
        ux, uy = np.where(speed > 0, v1 / speed, 0.0), np.where(speed > 0, v2 / speed, 0.0)
    x0, y0 = px(th - ux * length / 2, ps - uy * length / 2)
    x1, y1 = px(th + ux * length / 2, ps + uy * length / 2)
    out.append(f'<path d="{_arrows(x0.ravel(), y0.ravel(), x1.ravel(), y1.ravel())}" stroke="{_rgb(ARROW)}" '
               'stroke-opacity="0.6" stroke-width="1.2" fill="none" stroke-linecap="round"/>')
    if VARIANTS[s.variant].clip:  # WGAN's box: ψ stays in [−c, c]
        for c in (-s.clip, s.clip):
            _, y = px(0, c)
            out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + side}" y2="{y:.1f}" stroke="#c2410c" '
                       'stroke-dasharray="6 4" stroke-width="1.5"/>')
    # the path: every step, from the start (open circle) to the end (filled)
    finite = run.path[np.isfinite(run.path).all(axis=1)]
    xs, ys = px(finite[:, 0], finite[:, 1])
    pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys))
    out.append(f'<polyline points="{pts}" fill="none" stroke="{_rgb(FAKE)}" stroke-width="1.6" '
               'stroke-linejoin="round"/>')
    out.append('</g>')
    out.append(f'<circle cx="{xs[0]:.1f}" cy="{ys[0]:.1f}" r="5" fill="white" stroke="{_rgb(FAKE)}" stroke-width="2"/>')
    if left <= xs[-1] <= left + side and top <= ys[-1] <= top + side:
        out.append(f'<circle cx="{xs[-1]:.1f}" cy="{ys[-1]:.1f}" r="4.5" fill="{_rgb(FAKE)}"/>')
    ex, ey = px(0, 0)
    out.append(f'<path d="M{ex - 7:.1f} {ey:.1f}L{ex:.1f} {ey - 7:.1f}L{ex + 7:.1f} {ey:.1f}L{ex:.1f} {ey + 7:.1f}Z" '
               f'fill="{_rgb(REAL)}" stroke="white" stroke-width="1.5"/>')
    out.append(f'<text x="{left + side / 2}" y="{top - 8}" text-anchor="middle" class="ttl">'
               f"{html.escape(VARIANTS[s.variant].label)} · {s.rule} updates</text>")
    return out


def _chart(run: DiracRun) -> list[str]:
    left, top, w, hgt = CHART
    d = np.clip(np.nan_to_num(run.distance, nan=1e12, posinf=1e12), FLOOR, None)
    lo = math.floor(math.log10(d.min()))
    hi = max(math.ceil(math.log10(d.max())), lo + 1)
    n = len(d) - 1

    def px(k, v):
        return left + np.asarray(k) / max(n, 1) * w, top + (hi - np.log10(v)) / (hi - lo) * hgt

    out = [f'<rect x="{left}" y="{top}" width="{w}" height="{hgt}" fill="#fbfbfd" stroke="#999"/>']
    every = max(1, math.ceil((hi - lo) / 6))
    marks = [10.0**p for p in range(lo, hi + 1, every)]
    if hi - lo == 1:  # one decade: 2 and 5 too
        marks += [m * 10.0**lo for m in (2, 5)]
    for m in marks:
        _, y = px(0, m)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + w}" y2="{y:.1f}" stroke="#e4e4ea"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_tick(m)}</text>')
    for k in np.linspace(0, n, 5):
        x, _ = px(k, 1.0)
        out.append(f'<text x="{x:.1f}" y="{top + hgt + 16}" text-anchor="middle">{int(round(k))}</text>')
    out.append(f'<text x="{left + w / 2}" y="{top + hgt + 36}" text-anchor="middle" class="lbl">step (h = {run.settings.h:g})</text>')
    out.append(f'<text x="{left + w / 2}" y="{top - 8}" text-anchor="middle" class="ttl">'
               "distance from (0, 0), √(θ² + ψ²)</text>")
    out.append(f'<clipPath id="dirac-chart-clip"><rect x="{left}" y="{top}" width="{w}" height="{hgt}"/></clipPath>')
    out.append('<g clip-path="url(#dirac-chart-clip)">')
    if run.step_radius is not None:  # what the linearisation predicts: d₀·|μ|ᵏ
        k = np.linspace(0, n, 60)
        pred = np.clip(d[0] * run.step_radius ** k, 10.0**lo, 10.0**hi)
        xs, ys = px(k, pred)
        out.append('<polyline points="{}" fill="none" stroke="#64748b" stroke-dasharray="5 4" stroke-width="1.3"/>'
                   .format(" ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys))))
    idx = np.unique(np.linspace(0, n, min(n + 1, 600)).astype(int))
    xs, ys = px(idx, d[idx])
    out.append('<polyline points="{}" fill="none" stroke="{}" stroke-width="1.8"/>'.format(
        " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys)), _rgb(FAKE)))
    out.append('</g>')
    # the key, under the chart
    y = top + hgt + 62
    out.append(f'<line x1="{left}" y1="{y - 4}" x2="{left + 22}" y2="{y - 4}" stroke="{_rgb(FAKE)}" stroke-width="2"/>')
    out.append(f'<text x="{left + 28}" y="{y}">the path</text>')
    if run.step_radius is not None:
        out.append(f'<line x1="{left + 110}" y1="{y - 4}" x2="{left + 132}" y2="{y - 4}" stroke="#64748b" '
                   'stroke-dasharray="5 4" stroke-width="1.3"/>')
        out.append(f'<text x="{left + 138}" y="{y}">linearised: d₀ · {run.step_radius:.4f}ᵏ</text>')
    y += 22
    out.append(f'<path d="M{left + 11 - 6} {y - 4}L{left + 11} {y - 10}L{left + 11 + 6} {y - 4}L{left + 11} {y + 2}Z" '
               f'fill="{_rgb(REAL)}"/>')
    out.append(f'<text x="{left + 28}" y="{y}">equilibrium (0, 0): G on the data, D flat</text>')
    y += 22
    out.append(f'<circle cx="{left + 11}" cy="{y - 4}" r="4.5" fill="white" stroke="{_rgb(FAKE)}" stroke-width="2"/>')
    out.append(f'<text x="{left + 28}" y="{y}">start (1, 1)</text>')
    out.append(f'<circle cx="{left + 121}" cy="{y - 4}" r="4.5" fill="{_rgb(FAKE)}"/>')
    out.append(f'<text x="{left + 138}" y="{y}">end: distance {run.distance[-1]:.3g}</text>')
    return out


def _tick(v: float) -> str:
    return f"{v:g}" if 1e-3 <= v < 1e4 else f"1e{round(math.log10(v))}"


def figure_svg(run: DiracRun) -> str:
    """The panel's picture for one run (an ``<svg>`` element, scaled to its container's width)."""
    head = [f'<svg class="dirac-figure" viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg" '
            'role="img" aria-label="Dirac-GAN vector field, path and distance from the equilibrium" '
            'font-family="system-ui, sans-serif" font-size="12" fill="currentColor">',
            # the projector view (?big=1) enlarges the figure's type like the rest of the page's
            '<style>.dirac-figure .lbl { font-size: 13px; } .dirac-figure .ttl { font-size: 13px; font-weight: 600; }'
            ' body.gp-big .dirac-figure { font-size: 15px; } body.gp-big .dirac-figure .lbl,'
            ' body.gp-big .dirac-figure .ttl { font-size: 16px; }</style>']
    return "".join([*head, *_plane(run), *_chart(run), "</svg>"])
