"""The DCGAN tab's share links, first view and guidelines panel (the tab's layout and wiring are in
``dcgan/layout.py``; the maths is in :mod:`playground.dcgan`).

* :func:`first_view`: what every page shows on arrival (the default grid and the first preset's
  arithmetic), computed once per process from the bundled generator (tens of milliseconds);
* :func:`make_link` / :func:`link_state`: the tab's state and a share link, both ways;
* :func:`guidelines`: the bundled generator's layer table next to Radford et al.'s rules, and the
  checkerboard pictures of transposed convolutions (toy maps and the generator's own first layers).
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import shutil
import tempfile
import threading
from pathlib import Path

import gradio as gr
import numpy as np
import torch

from playground import safe_input, share
from playground.dcgan import architecture, latent
from playground.dcgan.figures import upscale
from playground.dcgan.lab import (EXTENT, INTERP_STEPS, NOISE, PRESETS, SCALE, Renderer,
                                  arithmetic_update, check_seed, group_strip, interpolation_strips, parse_refs,
                                  ref_to_z, refs_to_z, walk_gif)
from playground.errors import UserError
from playground.ui.sessions import SessionStore
from playground.ui import arrival
from playground.ui.pictures import cached_pictures
from playground.ui.common import session_key, user_errors
from playground.ui.pictures import ResultCache, picture_file

log = logging.getLogger("playground.ui.dcgan")

GRID_SAMPLES = 36
GRID_COLUMNS = 9
DEFAULT_SEED = 2

_bundled: Renderer | None = None
_bundled_lock = threading.Lock()
# A student's own generator, per browser session (a few MB each): the only per-session model here.
_custom = SessionStore("custom DCGAN generator", max_sessions=16)
# Finished pictures of the bundled model by exact inputs: the model is shared and read-only, so the same
# groups, noise and seed give the same figure; a class clicking one preset costs one computation.
_results = ResultCache(max_items=256)


def _bundled_renderer(progress=None) -> Renderer:
    """The face model, loaded on first use, once per process, and shared read-only by every session."""
    global _bundled
    with _bundled_lock:
        if _bundled is None:
            if progress is not None:
                progress(0.1, desc="Loading the face DCGAN (first use, a few seconds)...")
            from playground.dcgan.pretrained import load_bundled_generator

            _bundled = Renderer(load_bundled_generator("cpu"))
        return _bundled


def _renderer(request: gr.Request | None, progress=None) -> Renderer:
    own = _custom.get(session_key(request)) if request is not None else None
    return own if own is not None else _bundled_renderer(progress)


def _cacheable(renderer: Renderer, *ref_lists: list[str]) -> bool:
    """Results depend on the inputs alone: the bundled model and no inverted faces (those are per session)."""
    return renderer is _bundled and not any(r.startswith("inv") for refs in ref_lists for r in refs)


def _cached(renderer: Renderer, key: tuple, ref_lists: tuple, compute):
    return _results.get_or_compute(key, compute) if _cacheable(renderer, *ref_lists) else compute()

TAB_ID = "dcgan"
DEFAULT_PRESET = next(iter(PRESETS))
RULE_COLUMNS = ["guideline", "network", "here", "why"]
GROUPS = share.schema(TAB_ID).groups  # the control groups a link may hide, in page order


# ---------------------------------------------------------------- handlers


def samples_grid(seed, request: gr.Request, progress=gr.Progress()):
    """Grid of GRID_SAMPLES samples of ``seed``; captions are their references."""
    seed = check_seed(seed, "The grid seed")
    renderer = _renderer(request, progress)
    refs = [f"{seed}:{i}" for i in range(GRID_SAMPLES)]

    def compute():
        imgs = renderer.render_refs(refs)
        return [(picture_file(upscale(im, 2)), ref) for im, ref in zip(imgs, refs)]

    items = _cached(renderer, ("samples", seed), (), compute)
    return items, seed, _model_line(request)


show_samples = user_errors(samples_grid)  # the page's event: errors as one toast


def _model_line(request) -> str:
    own = _custom.get(session_key(request)) if request is not None else None
    if own is None:
        return "Model: bundled face DCGAN (64×64, nz = 100)."
    gray = ", grayscale" if own.g.nc == 1 else ""
    return f"Model: **your generator** (nz = {own.nz}, ngf = {own.g.ngf}{gray}). Reset to go back to the faces."


def _append(text: str, ref: str) -> str:
    refs = parse_refs(text)
    if ref in refs:  # clicking twice removes it again
        refs.remove(ref)
    else:
        refs.append(ref)
    return ", ".join(refs)


@user_errors
def on_gallery_select(evt: gr.SelectData, target, shown_seed, a, b, c, start, end, base,
                      noise_scale, noise_seed, inverted, request: gr.Request):
    """Put the clicked sample where the radio says; when a group changed, recompute the arithmetic in the
    same event (one round trip: the figure follows the click quickly)."""
    if shown_seed is None:
        raise UserError("Show samples first.")
    ref = f"{check_seed(shown_seed)}:{safe_input.integer(evt.index, 'The clicked sample', 0, GRID_SAMPLES - 1)}"
    if target == "A":
        a = _append(a, ref)
    elif target == "B":
        b = _append(b, ref)
    elif target == "C":
        c = _append(c, ref)
    elif target == "Interpolation start":
        start = ref
    elif target == "Interpolation end":
        end = ref
    elif target == "Direction base":
        base = ref
    if target in ("A", "B", "C"):
        quiet = lambda *_, **__: None  # noqa: E731 - no progress overlay for a click
        figure = list(arithmetic(a, b, c, noise_scale, noise_seed, inverted, request, progress=quiet))
        for i, name in enumerate("ABC"):  # the other groups' strips did not change: send nothing
            if name != target:
                figure[i] = gr.skip()
    else:
        figure = tuple(gr.skip() for _ in range(6))
    return (a, b, c, start, end, base, *figure)


def arithmetic_result(a, b, c, noise_scale, noise_seed, inverted, request: gr.Request, progress=gr.Progress()):
    """mean(A) − mean(B) + mean(C) with its 3×3 neighbourhood; shows partial results while groups fill."""
    groups = {"A": parse_refs(a, "group A"), "B": parse_refs(b, "group B"), "C": parse_refs(c, "group C")}
    noise_scale, noise_seed = NOISE.check(noise_scale), check_seed(noise_seed, "The noise seed")
    renderer = _renderer(request, progress)
    refs = tuple(groups.values())
    empty = [k for k, v in groups.items() if not v]
    if empty:
        strips = [picture_file(group_strip(renderer, r, inverted)) if r else None for r in refs]
        msg = f"Add samples to group{'s' if len(empty) > 1 else ''} {' and '.join(empty)} to see the result."
        return (*strips, None, None, msg)

    def compute():
        res = arithmetic_update(renderer, *refs, inverted, noise_scale=noise_scale, noise_seed=noise_seed)
        msg = (
            f"Result: ‖mean(A) − mean(B) + mean(C)‖ = {float(res.z.norm()):.1f} "
            "(a typical z has ≈ 10). "
            f"Group sizes {len(groups['A'])}, {len(groups['B'])}, {len(groups['C'])}."
        )
        pictures = (res.strips["A"], res.strips["B"], res.strips["C"], res.equation, res.neighbourhood)
        return (*(picture_file(p) for p in pictures), msg)

    key = ("arithmetic", *(tuple(r) for r in refs), noise_scale, noise_seed)
    return _cached(renderer, key, refs, compute)


arithmetic = user_errors(arithmetic_result)  # the page's event


@user_errors
def load_preset(name):
    safe_input.choice(name, "The preset", PRESETS)
    p = PRESETS[name]
    return p["A"], p["B"], p["C"], p["seed"], p["note"]


def _single_ref(text: str, what: str) -> str:
    refs = parse_refs(text, what)
    if len(refs) != 1:
        raise UserError(f"{what} needs exactly one sample (seed:index); click one in the grid.")
    return refs[0]


@user_errors
def interpolate(start, end, steps, inverted, request: gr.Request, progress=gr.Progress()):
    start, end = _single_ref(start, "Interpolation start"), _single_ref(end, "Interpolation end")
    steps = INTERP_STEPS.check(steps)
    renderer = _renderer(request, progress)

    def compute():
        z0 = ref_to_z(start, inverted, renderer.nz)
        z1 = ref_to_z(end, inverted, renderer.nz)
        out = interpolation_strips(renderer, z0, z1, steps=steps)
        text = (
            f"‖z‖ along **lerp**: {', '.join(f'{v:.1f}' for v in out.lerp_norms)}  \n"
            f"‖z‖ along **slerp**: {', '.join(f'{v:.1f}' for v in out.slerp_norms)}"
        )
        return picture_file(out.lerp_strip), picture_file(out.slerp_strip), text

    return _cached(renderer, ("interpolate", start, end, steps), ([start, end],), compute)


DIRECTION_KINDS = ("mean(A) − mean(B)", "random (seed)")


def _direction(kind, a, b, dir_seed, inverted, nz):
    if safe_input.choice(kind, "The direction", DIRECTION_KINDS) == "random (seed)":
        return latent.random_direction(check_seed(dir_seed, "The direction seed"), nz)
    za = refs_to_z(parse_refs(a, "group A"), inverted, nz)
    zb = refs_to_z(parse_refs(b, "group B"), inverted, nz)
    if len(za) == 0 or len(zb) == 0:
        raise UserError(
            "The attribute direction needs samples in groups A (with the attribute) and B (without)."
        )
    return latent.attribute_direction(za, zb)


def _base_and_direction(base, kind, a, b, dir_seed, inverted, request, progress):
    """The renderer, the base sample's z and the chosen direction (shared by the slider and the walk)."""
    base = _single_ref(base, "The base sample")
    renderer = _renderer(request, progress)
    z = ref_to_z(base, inverted, renderer.nz)
    return renderer, z, _direction(kind, a, b, dir_seed, inverted, renderer.nz)


@user_errors
def apply_direction(base, kind, a, b, dir_seed, scale, inverted, request: gr.Request, progress=gr.Progress()):
    renderer, z, d = _base_and_direction(base, kind, a, b, dir_seed, inverted, request, progress)
    scale = SCALE.check(scale)
    scales = [0.0, scale]
    imgs = renderer.render(torch.stack([latent.apply_direction(z, d, s) for s in scales]))
    return picture_file(upscale(np.concatenate([imgs[0], np.full((64, 6, 3), 255, np.uint8), imgs[1]], 1), 3))


@user_errors
def make_walk(base, kind, a, b, dir_seed, extent, inverted, request: gr.Request, progress=gr.Progress()):
    renderer, z, d = _base_and_direction(base, kind, a, b, dir_seed, inverted, request, progress)
    extent = EXTENT.check(extent)
    return save_walk(walk_gif(renderer, z, d, frames=16, extent=extent))


WALKS_KEPT = 16  # GIFs kept on disk until Gradio has copied them into its own (self-cleaning) cache
_walk_dir: Path | None = None
_walk_lock = threading.Lock()


def save_walk(data: bytes) -> str:
    """Write a walk GIF for Gradio to pick up: one folder per process holding only the newest
    WALKS_KEPT files (Gradio copies the returned file into its cache, which it cleans itself)."""
    global _walk_dir
    with _walk_lock:
        if _walk_dir is None or not _walk_dir.is_dir():
            _walk_dir = Path(tempfile.mkdtemp(prefix="dcgan_walks_"))
            atexit.register(shutil.rmtree, _walk_dir, True)
        path = _walk_dir / f"walk-{hashlib.sha256(data).hexdigest()[:16]}.gif"
        path.write_bytes(data)
        older = sorted(_walk_dir.glob("walk-*.gif"), key=lambda p: p.stat().st_mtime_ns)[:-WALKS_KEPT]
        for p in older:
            p.unlink(missing_ok=True)
    return str(path)


@user_errors
def add_inverted(group_text, inverted):
    if not inverted:
        raise UserError("Run an inversion first.")
    ref = f"inv{len(inverted)}"
    return group_text if ref in parse_refs(group_text) else _append(group_text, ref)


@user_errors
def use_sample_as_target(base, inverted, request: gr.Request, progress=gr.Progress()):
    renderer = _renderer(request, progress)
    ref = _single_ref(base, "The base sample")
    return upscale(renderer.render_refs([ref], inverted)[0], 3)


@user_errors
def load_own_generator(file, request: gr.Request):
    from playground.dcgan.checkpoints import load_generator

    path = safe_input.web_file(file)
    if path is None:
        return _model_line(request)
    _custom.make_room(session_key(request))  # a full store refuses now, before the file is read
    g = load_generator(path)
    _custom.set(session_key(request), Renderer(g))
    return _model_line(request) + " Press *Show samples* to see it."


@user_errors
def reset_generator(request: gr.Request):
    _custom.free(session_key(request))
    return _model_line(request)


# ---- share links ------------------------------------------------------------------------------------------


def link_state(seed, preset, a, b, c) -> dict:
    """The tab's controls as a share-link state (``share.schema("dcgan")``'s fields)."""
    from playground.dcgan.lab import check_seed

    return {"seed": check_seed(seed, "The grid seed"), "preset": preset if preset in PRESETS else None,
            "a": parse_refs(a, "group A"), "b": parse_refs(b, "group B"), "c": parse_refs(c, "group C")}


def make_link(v: dict, request: gr.Request | None = None) -> str:
    """The query part of a link that reopens this tab's grid, groups and preset (the page adds its own
    address and copies it). Inverted faces (invN) live in one session only: they cannot travel."""
    from playground.errors import UserError

    state = link_state(v["seed"], v["preset"], v["a"], v["b"], v["c"])
    if any(r.startswith("inv") for g in "abc" for r in state[g]):
        raise UserError("Inverted faces (invN) exist only in this session and cannot go into a link; "
                        "take them out of the groups first.")
    options = {"hide": tuple(v.get("link_hide") or ()), "lock": bool(v.get("link_lock")),
               "big": bool(v.get("link_big"))}
    if options["lock"] and not state["preset"]:
        raise UserError("Locking needs a preset: choose one (Load preset) before locking the page.")
    return share.build_link("", TAB_ID, state, options)


# ---- the first view ---------------------------------------------------------------------------------------


@cached_pictures
def first_view(seed: int) -> dict:
    """The grid of ``seed`` and the first preset's arithmetic from the bundled generator: what every page
    shows on arrival (the same pictures the buttons give), computed once and kept on disk (``arrival``)."""
    return arrival.cached("dcgan-first-view", (seed, DEFAULT_PRESET), lambda: _first_view(seed))


def _first_view(seed: int) -> dict:
    p = PRESETS[DEFAULT_PRESET]
    gallery, _, _ = samples_grid(seed, None, progress=None)
    arith = arithmetic_result(p["A"], p["B"], p["C"], 0.25, 0, [], None, progress=None)
    return {"gallery": gallery, "arithmetic": arith, "preset": DEFAULT_PRESET, "groups": (p["A"], p["B"], p["C"])}


# ---- guidelines -------------------------------------------------------------------------------------------


def _tile(m: np.ndarray, cell: int = 24) -> np.ndarray:
    """A 2-D map as a gray uint8 picture, each value a ``cell`` x ``cell`` block (lo = black, hi = white)."""
    lo, hi = float(m.min()), float(m.max())
    g = np.zeros_like(m, dtype=np.float64) if hi - lo < 1e-12 else (m - lo) / (hi - lo)
    img = np.kron(np.round(40 + 200 * g), np.ones((cell, cell))).astype(np.uint8)
    return np.repeat(img[..., None], 3, axis=2)


@cached_pictures
def guidelines() -> dict:
    """Layer table, rule checks and checkerboard pictures of the bundled generator (made once, kept on disk)."""
    return arrival.cached("dcgan-guidelines", (), _guidelines)


def _guidelines() -> dict:
    from playground.dcgan.models import Discriminator
    from playground.ui.pictures import picture_file
    g = _bundled_renderer().g
    rows = architecture.layer_table(g, (g.nz, 1, 1))
    rules = [[r["rule"], r["network"], {True: "✓ follows", False: "✗ breaks", None: "—"}[r["ok"]], r["why"]]
             for r in architecture.check_rules(g, Discriminator())]
    toys = [(picture_file(_tile(m), "png"), name) for name, m in architecture.overlap_demo().items()]
    own = architecture.generator_checkerboard(g, layers=2)
    own_pics = [(picture_file(_tile(r["map"], 16), "png"),
                 f"{r['layer']}: k={r['kernel']}, s={r['stride']}; periodic share {r['strength']:.3f} "
                 f"(channel {r['channel']})") for r in own]
    lines = [f"- **{r['layer']}** (kernel {r['kernel']}, stride {r['stride']}): the period-{r['stride']} pattern "
             f"holds {100 * r['strength']:.1f}% of the output's energy on a constant input." for r in own]
    note = ("Each of G's own first transposed convolutions fed a constant input (all ones): any pattern in "
            "its output comes from the layer alone, because each output phase (position mod stride) is "
            "painted by a different subset of kernel taps. k = 4 is a multiple of s = 2, so every pixel gets "
            "the same *number* of taps (even overlap); the trained *weights* of each subset still differ, "
            "which is the checkerboard the network has to learn to cancel.\n" + "\n".join(lines))
    return {"layers": architecture.table_rows(rows), "rules": rules, "toys": toys, "own": own_pics, "note": note,
            "n_layers": len(rows)}


def after_link(v: dict, request: gr.Request):
    """An opened link's grid and arithmetic (nothing when the page opened without a link to this tab)."""
    if not v["link_opened"]:
        return [gr.skip()] * 9
    samples = show_samples(v["seed"], request, progress=None)
    figure = arithmetic(v["a"], v["b"], v["c"], v["noise"], v["noise_seed"], v["inverted"], request, progress=None)
    return [*samples, *figure]
