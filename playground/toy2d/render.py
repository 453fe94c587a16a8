"""Draws a trainer snapshot as an RGB image: D's surface, its decision contour, the data, G's samples,
G's manifold and the gradient arrows on the fakes.

Pure numpy + PIL, no plotting library: a 480-pixel frame takes a few milliseconds, so the live view
can stream 10+ frames a second, and the same frames make the exported GIF.
"""

from __future__ import annotations

import base64
import colorsys
import io

import numpy as np
from PIL import Image, ImageDraw

from playground.images import save_gif

# GAN Lab's palette: green means "real", purple means "fake".
REAL = (22, 150, 70)
FAKE = (140, 60, 200)
MANIFOLD = (120, 120, 120)
ARROW = (60, 60, 60)
CONTOUR = (20, 20, 20)
_HI = np.array([120, 200, 140], dtype=np.float32)  # D says real
_MID = np.array([250, 250, 250], dtype=np.float32)
_LO = np.array([200, 160, 230], dtype=np.float32)  # D says fake


def palette() -> dict:
    """The colours above for a page that draws frames itself (RGB triples)."""
    return {"hi": _HI.tolist(), "mid": _MID.tolist(), "lo": _LO.tolist(), "real": list(REAL), "fake": list(FAKE),
            "manifold": list(MANIFOLD), "arrow": list(ARROW), "contour": list(CONTOUR)}


def label_colours(k: int) -> list[tuple[int, int, int]]:
    """One colour per class label of a conditional G's samples: k hues from cyan round through blue, purple, red
    and orange towards yellow, leaving out the greens (the real data's colour)."""
    out = []
    for i in range(k):
        hue = (190 + 230 * i / max(k, 1)) % 360 / 360
        r, g, b = colorsys.hls_to_rgb(hue, 0.45, 0.8)
        out.append((round(255 * r), round(255 * g), round(255 * b)))
    return out


def colour_map(values: np.ndarray, lo: float, mid: float, hi: float) -> np.ndarray:
    """Map values to a purple–white–green ramp with white at ``mid`` (uint8 RGB, shape (..., 3))."""
    v = np.asarray(values, dtype=np.float32)
    up = np.clip((v - mid) / max(hi - mid, 1e-12), 0.0, 1.0)[..., None]
    down = np.clip((mid - v) / max(mid - lo, 1e-12), 0.0, 1.0)[..., None]
    rgb = _MID + up * (_HI - _MID) + down * (_LO - _MID)
    return rgb.astype(np.uint8)


def surface_range(grid: np.ndarray, level: float, probability: bool) -> tuple[float, float, float]:
    """Colour range of a surface: [0, 1] for probabilities, a symmetric robust range for critics."""
    if probability:
        return 0.0, level, 1.0
    spread = float(np.percentile(np.abs(grid - level), 98)) or 1.0
    return level - spread, level, level + spread


def _upsample(grid: np.ndarray, size: int) -> np.ndarray:
    img = Image.fromarray(np.asarray(grid, dtype=np.float32), mode="F")
    return np.asarray(img.resize((size, size), Image.BILINEAR), dtype=np.float32)


class View:
    """Maps plane coordinates to pixels for a square image of ``size`` pixels over ``extent``."""

    def __init__(self, extent, size: int) -> None:
        self.xmin, self.xmax, self.ymin, self.ymax = (float(v) for v in extent)
        self.size = size

    def px(self, xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        u = (xy[:, 0] - self.xmin) / (self.xmax - self.xmin) * (self.size - 1)
        v = (self.ymax - xy[:, 1]) / (self.ymax - self.ymin) * (self.size - 1)
        return np.stack([u, v], axis=1)


def draw_surface(
    grid: np.ndarray,
    level: float,
    size: int = 480,
    probability: bool = True,
    contour: bool = True,
) -> Image.Image:
    """A heatmap of ``grid`` (row 0 = lowest y) with its ``level`` contour drawn in black."""
    g = np.ascontiguousarray(np.asarray(grid, dtype=np.float32)[::-1])  # image rows run top to bottom
    lo, mid, hi = surface_range(g, level, probability)
    # Colour the coarse grid, then let PIL interpolate the colours (the ramp is piecewise linear, so
    # this matches colouring the interpolated values, at a fraction of the cost).
    small = Image.fromarray(colour_map(g, lo, mid, hi), mode="RGB")
    rgb = np.array(small.resize((size, size), Image.BILINEAR))
    if contour:
        above = _upsample(g, size) >= level
        edge = np.zeros_like(above)
        edge[:-1, :] |= above[:-1, :] != above[1:, :]
        edge[:, :-1] |= above[:, :-1] != above[:, 1:]
        rgb[edge] = CONTOUR
    return Image.fromarray(rgb, mode="RGB")


def _disk(radius: float) -> np.ndarray:
    r = int(np.ceil(radius))
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    keep = dx * dx + dy * dy <= radius * radius + 0.5
    return np.stack([dy[keep], dx[keep]], axis=1)


def draw_points(img: Image.Image, view: View, points: np.ndarray, colour, radius: float = 2.0) -> Image.Image:
    """Stamp a small disc at every point (vectorised: ~1 ms for a thousand points, unlike PIL ellipses).

    Returns the image with the points drawn (a new image object)."""
    rgb = np.array(img)
    uv = np.rint(view.px(points)).astype(np.int64)
    h, w = rgb.shape[:2]
    for dy, dx in _disk(radius):
        v, u = uv[:, 1] + dy, uv[:, 0] + dx
        ok = (u >= 0) & (u < w) & (v >= 0) & (v < h)
        rgb[v[ok], u[ok]] = colour
    return Image.fromarray(rgb)


def draw_polylines(img: Image.Image, view: View, lines, colour=MANIFOLD, width: int = 1) -> None:
    draw = ImageDraw.Draw(img)
    for line in lines:
        pts = view.px(line)
        if len(pts) > 1:
            draw.line([tuple(p) for p in pts], fill=colour, width=width)


def draw_arrows(img: Image.Image, view: View, starts: np.ndarray, directions: np.ndarray,
                length_px: float = 14.0) -> None:
    """Short segments from each fake point in the direction G's gradient pushes it."""
    if starts is None or len(starts) == 0:
        return
    draw = ImageDraw.Draw(img)
    p0 = view.px(starts)
    d = np.asarray(directions, dtype=np.float64).reshape(-1, 2) * np.array([1.0, -1.0])  # y points down
    norm = np.linalg.norm(d, axis=1, keepdims=True)
    scale = norm / (norm.max() + 1e-12)  # longest arrow = length_px, others in proportion
    d = d / (norm + 1e-12) * scale * length_px
    for (u, v), (du, dv) in zip(p0, d):
        draw.line((u, v, u + du, v + dv), fill=ARROW, width=1)


def render_frame(snap: dict, extent, size: int = 480, surface: str = "d", show_manifold: bool = True,
                 show_arrows: bool = True, show_real: bool = True, show_fake: bool = True) -> Image.Image:
    """One picture of a snapshot.

    ``surface`` is ``"d"`` (the learned discriminator / critic) or ``"d_star"`` (the optimal
    discriminator p_data / (p_data + p_g) for the current generator).
    """
    view = View(extent, size)
    if surface == "d_star":
        grid = snap.get("d_star_grid")
        if grid is None:
            img = Image.new("RGB", (size, size), (245, 245, 245))
        else:
            img = draw_surface(grid, 0.5, size, probability=True)
    else:
        img = draw_surface(snap["d_grid"], snap["boundary_level"], size, probability=snap.get("d_is_probability", True))
    if show_manifold and snap.get("manifold") is not None:
        draw_polylines(img, view, snap["manifold"])
    if show_real:
        img = draw_points(img, view, snap["real"], REAL, radius=2.0)
    if show_fake and snap.get("fake_labels") is not None:  # a conditional G: each sample in its label's colour
        labels = np.asarray(snap["fake_labels"])
        for y, colour in enumerate(label_colours(int(snap.get("n_labels") or labels.max() + 1))):
            img = draw_points(img, view, snap["fake"][labels == y], colour, radius=2.0)
    elif show_fake:
        img = draw_points(img, view, snap["fake"], FAKE, radius=2.0)
    if show_arrows and snap.get("arrows_pos") is not None and surface == "d":
        draw_arrows(img, view, snap["arrows_pos"], snap["arrows_dir"])
    return img


def write_gif(frames: list[Image.Image], path, fps: int = 10):
    """Save rendered frames as a looping animated GIF (128 colours a frame: the plots use few)."""
    save_gif(frames, path, fps=fps, colors=128)
    return path


def image_figure_html(img: Image.Image, caption: str, alt: str) -> str:
    """A picture inlined as a JPEG data URI in a captioned figure (nothing written to disk)."""
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    src = "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'<figure class="toy2d-frame"><figcaption>{caption}</figcaption>'
            f'<img src="{src}" alt="{alt}" width="{img.width}" height="{img.height}"></figure>')
