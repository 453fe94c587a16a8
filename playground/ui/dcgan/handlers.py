"""The DCGAN latent lab's handlers: what each event computes, by name (wired by ``playground.ui.common.on``).

Each handler takes its inputs as a dict keyed by the names of the tab's components and returns (or, for the
inversion, yields) a dict of the outputs it changes; an output it leaves out stays as it is. The maths is
:mod:`playground.dcgan`; the layout and the wiring are :mod:`playground.ui.dcgan.layout`.

* samples, arithmetic, interpolation, directions and walks from the bundled face model (shared, read-only,
  its pictures cached by exact inputs) or from a session's own generator;
* inversion and its ZeroGPU entry point :data:`run_inversion` (``tests/test_zerogpu.py`` names it by path);
* :func:`make_link` / :func:`link_state` / :func:`after_link`: the tab's state and a share link, both ways;
* :func:`first_view`: what every page shows on arrival (the default grid and the first preset's arithmetic);
* :func:`guidelines`: the bundled generator's layer table next to Radford et al.'s rules, and the checkerboard
  pictures of transposed convolutions (toy maps and the generator's own first layers).

Every event runs with ``preprocess=False``, so the values arrive raw: each handler checks its own
(``playground.safe_input``, the ranges in ``playground.dcgan.lab``) and decodes pictures itself.
"""

from __future__ import annotations

import atexit
import hashlib
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
from playground.dcgan.lab import (EXTENT, INTERP_STEPS, INVERT_STEPS, MAX_INVERTED, NOISE, PRESETS, PRIOR,
                                  SCALE, Renderer, arithmetic_update, check_seed, group_strip,
                                  interpolation_strips, parse_refs, ref_to_z, refs_to_z, walk_gif)
from playground.device import get_device, gpu
from playground.errors import UserError
from playground.ui import arrival
from playground.ui.pictures import ResultCache, cached_pictures, picture_file
from playground.ui.sessions import SessionStore, session_key

TAB_ID = "dcgan"
GROUPS = share.schema(TAB_ID).groups  # the control groups a link may hide, in page order
GRID_SAMPLES = 36
GRID_COLUMNS = 9
DEFAULT_SEED = 2
DEFAULT_PRESET = next(iter(PRESETS))
RULE_COLUMNS = ["guideline", "network", "here", "why"]
DIRECTION_KINDS = ("mean(A) − mean(B)", "random (seed)")
# Where a clicked sample goes: the radio's choice -> the box it fills.
PLACES = {"A": "a", "B": "b", "C": "c", "Interpolation start": "start", "Interpolation end": "end",
          "Direction base": "base"}

# The names the events read and set (keys of the layout's components).
SAMPLES = ("gallery", "shown_seed", "model_md")  # a grid: its faces, its seed and which model drew them
ARITHMETIC = ("a", "b", "c", "noise", "noise_seed", "inverted")  # the arithmetic's inputs
FIGURE = ("strip_a", "strip_b", "strip_c", "equation", "neighbourhood", "arith_md")  # and its pictures
DIRECTION = ("base", "dir_kind", "a", "b", "dir_seed")  # a direction and the sample it moves

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


def _cached(renderer: Renderer, key: tuple, ref_lists: tuple, compute) -> dict:
    """``compute()``'s outputs by name, from the result cache when they depend on the inputs alone (a copy: the
    caller may add to it; the cache drops an answer whose picture files have gone)."""
    if not _cacheable(renderer, *ref_lists):
        return compute()
    return dict(_results.get_or_compute(key, compute))


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


def _single_ref(text: str, what: str) -> str:
    refs = parse_refs(text, what)
    if len(refs) != 1:
        raise UserError(f"{what} needs exactly one sample (seed:index); click one in the grid.")
    return refs[0]


def reveal(*names: str):
    """A handler that shows the output boxes ``names``: each stays hidden until it holds a picture."""

    def show(v: dict, request: gr.Request | None = None) -> dict:
        return {n: gr.update(visible=True) for n in names}

    show.__name__ = f"reveal_{'_'.join(names)}"
    return show


# ---------------------------------------------------------------- the grid and the arithmetic


def show_samples(v: dict, request: gr.Request | None = None, progress=gr.Progress()) -> dict:
    """The grid of GRID_SAMPLES samples of ``seed``, captioned with their references."""
    seed = check_seed(v["seed"], "The grid seed")
    renderer = _renderer(request, progress)
    refs = [f"{seed}:{i}" for i in range(GRID_SAMPLES)]

    def compute():
        imgs = renderer.render_refs(refs)
        return {"gallery": [(picture_file(upscale(im, 2)), ref) for im, ref in zip(imgs, refs)]}

    grid = _cached(renderer, ("samples", seed), (), compute)
    return {**grid, "shown_seed": seed, "model_md": _model_line(request)}


def arithmetic(v: dict, request: gr.Request | None = None, progress=gr.Progress()) -> dict:
    """mean(A) − mean(B) + mean(C) with its 3×3 neighbourhood; shows partial results while groups fill."""
    groups = {"A": parse_refs(v["a"], "group A"), "B": parse_refs(v["b"], "group B"),
              "C": parse_refs(v["c"], "group C")}
    noise_scale, noise_seed = NOISE.check(v["noise"]), check_seed(v["noise_seed"], "The noise seed")
    inverted = v["inverted"]
    renderer = _renderer(request, progress)
    refs = tuple(groups.values())
    empty = [k for k, r in groups.items() if not r]
    if empty:
        strips = {f"strip_{k.lower()}": picture_file(group_strip(renderer, r, inverted)) if r else None
                  for k, r in groups.items()}
        msg = f"Add samples to group{'s' if len(empty) > 1 else ''} {' and '.join(empty)} to see the result."
        return {**strips, "equation": None, "neighbourhood": None, "arith_md": msg}

    def compute():
        res = arithmetic_update(renderer, *refs, inverted, noise_scale=noise_scale, noise_seed=noise_seed)
        msg = (
            f"Result: ‖mean(A) − mean(B) + mean(C)‖ = {float(res.z.norm()):.1f} "
            "(a typical z has ≈ 10). "
            f"Group sizes {len(groups['A'])}, {len(groups['B'])}, {len(groups['C'])}."
        )
        return {"strip_a": picture_file(res.strips["A"]), "strip_b": picture_file(res.strips["B"]),
                "strip_c": picture_file(res.strips["C"]), "equation": picture_file(res.equation),
                "neighbourhood": picture_file(res.neighbourhood), "arith_md": msg}

    key = ("arithmetic", *(tuple(r) for r in refs), noise_scale, noise_seed)
    return _cached(renderer, key, refs, compute)


def place_clicked_sample(v: dict, request: gr.Request | None = None) -> dict:
    """Put the clicked sample (``clicked``: its index in the grid) where ``target`` says; when a group
    changed, recompute the arithmetic in the same event (one round trip: the figure follows the click
    quickly)."""
    if v["shown_seed"] is None:
        raise UserError("Show samples first.")
    index = safe_input.integer(v["clicked"], "The clicked sample", 0, GRID_SAMPLES - 1)
    ref = f"{check_seed(v['shown_seed'])}:{index}"
    box = PLACES.get(v["target"])
    if box is None:
        return {}
    if box not in ("a", "b", "c"):
        return {box: ref}
    text = _append(v[box], ref)
    quiet = lambda *_, **__: None  # noqa: E731 - no progress overlay for a click
    figure = arithmetic({**v, box: text}, request, progress=quiet)
    unchanged = {f"strip_{g}" for g in "abc" if g != box}  # the other groups' strips: send nothing
    return {box: text, **{k: x for k, x in figure.items() if k not in unchanged}}


def clear_groups(v: dict, request: gr.Request | None = None) -> dict:
    return {"a": "", "b": "", "c": ""}


def load_preset(v: dict, request: gr.Request | None = None) -> dict:
    """A preset's groups, the grid seed they come from and its note."""
    if v["preset"] in (None, ""):  # e.g. a page opened from a link that named its own groups, no preset
        raise UserError("Choose a preset in the list first, then press Load preset.")
    p = PRESETS[safe_input.choice(v["preset"], "The preset", PRESETS)]
    return {"a": p["A"], "b": p["B"], "c": p["C"], "seed": p["seed"], "preset_note": p["note"]}


# ---------------------------------------------------------------- interpolation, directions, walks


def interpolate(v: dict, request: gr.Request | None = None, progress=gr.Progress()) -> dict:
    """lerp and slerp strips from ``start`` to ``end``, with ‖z‖ along each."""
    start, end = _single_ref(v["start"], "Interpolation start"), _single_ref(v["end"], "Interpolation end")
    steps = INTERP_STEPS.check(v["steps"])
    inverted = v["inverted"]
    renderer = _renderer(request, progress)

    def compute():
        z0 = ref_to_z(start, inverted, renderer.nz)
        z1 = ref_to_z(end, inverted, renderer.nz)
        out = interpolation_strips(renderer, z0, z1, steps=steps)
        text = (
            f"‖z‖ along **lerp**: {', '.join(f'{x:.1f}' for x in out.lerp_norms)}  \n"
            f"‖z‖ along **slerp**: {', '.join(f'{x:.1f}' for x in out.slerp_norms)}"
        )
        return {"lerp_img": picture_file(out.lerp_strip), "slerp_img": picture_file(out.slerp_strip),
                "norms_md": text}

    return _cached(renderer, ("interpolate", start, end, steps), ([start, end],), compute)


def _direction(v: dict, nz: int) -> torch.Tensor:
    if safe_input.choice(v["dir_kind"], "The direction", DIRECTION_KINDS) == "random (seed)":
        return latent.random_direction(check_seed(v["dir_seed"], "The direction seed"), nz)
    za = refs_to_z(parse_refs(v["a"], "group A"), v["inverted"], nz)
    zb = refs_to_z(parse_refs(v["b"], "group B"), v["inverted"], nz)
    if len(za) == 0 or len(zb) == 0:
        raise UserError(
            "The attribute direction needs samples in groups A (with the attribute) and B (without)."
        )
    return latent.attribute_direction(za, zb)


def _base_and_direction(v: dict, request, progress):
    """The renderer, the base sample's z and the chosen direction (shared by the slider and the walk)."""
    base = _single_ref(v["base"], "The base sample")
    renderer = _renderer(request, progress)
    z = ref_to_z(base, v["inverted"], renderer.nz)
    return renderer, z, _direction(v, renderer.nz)


def apply_direction(v: dict, request: gr.Request | None = None, progress=gr.Progress()) -> dict:
    """The base sample before and after z + scale · d."""
    renderer, z, d = _base_and_direction(v, request, progress)
    scale = SCALE.check(v["scale"])
    imgs = renderer.render(torch.stack([latent.apply_direction(z, d, s) for s in (0.0, scale)]))
    pair = np.concatenate([imgs[0], np.full((64, 6, 3), 255, np.uint8), imgs[1]], 1)
    return {"moved": picture_file(upscale(pair, 3))}


def make_walk(v: dict, request: gr.Request | None = None, progress=gr.Progress()) -> dict:
    """A GIF walking the base sample along the direction, to ±extent and back."""
    renderer, z, d = _base_and_direction(v, request, progress)
    extent = EXTENT.check(v["extent"])
    return {"walk_img": save_walk(walk_gif(renderer, z, d, frames=16, extent=extent))}


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


# ---------------------------------------------------------------- inversion (its ZeroGPU entry point)


def _inversion_steps(own_weights: dict[str, torch.Tensor] | None, target: torch.Tensor, steps: int, prior: float):
    """DCGAN inversion (:func:`playground.dcgan.invert.invert`) on ``get_device()``: CUDA inside a
    ZeroGPU call. Yields an ``InversionStep`` per step.

    ``own_weights`` None is the bundled face model from the per-process, per-device cache (a ZeroGPU
    worker process loads its own copy once); else a session's own generator as its state_dict (CPU tensors),
    rebuilt here around those very tensors (copied only to move to another device: the session's model is
    never changed). Arguments and steps are plain data: ZeroGPU pickles them to and from its worker process,
    so the model itself is never an argument."""
    from playground.dcgan.checkpoints import generator_from_state_dict
    from playground.dcgan.invert import invert
    from playground.dcgan.pretrained import load_bundled_generator

    device = get_device()
    if own_weights is None:
        generator = load_bundled_generator(device)
    else:
        generator = generator_from_state_dict(own_weights, "your generator").to(device)
    yield from invert(generator, target, steps=steps, prior=prior, starts=2, preview_every=10)


# ZeroGPU: at most INVERT_STEPS.hi = 400 Adam steps on 2 starts of a 64x64 generator, ~1-2 s on a GPU;
# 20 s also covers a cold worker (CUDA start, a 14 MB model) and keeps the request short (served first).
run_inversion = gpu(_inversion_steps, duration=20)


def invert_face(v: dict, request: gr.Request | None = None, progress=gr.Progress()):
    """Find a z whose G(z) looks like the ``upload``: yields the preview and status while optimising, and last
    the session's ``inverted`` list with the new z (named invN)."""
    from playground.dcgan.invert import prepare_target

    steps, prior = INVERT_STEPS.check(v["inv_steps"]), PRIOR.check(v["prior"])
    inverted = list(v["inverted"] or [])
    if len(inverted) >= MAX_INVERTED:
        raise UserError(f"This session already holds {MAX_INVERTED} inverted faces; reload the page to start over.")
    image = v["upload"]
    # decoded safely here, not by Gradio: bad files get a clear message; only files uploaded to this app
    target = prepare_target(safe_input.web_file(image) if isinstance(image, (str, dict)) else image)
    renderer = _renderer(request, progress)
    own = renderer.g if renderer is not _bundled else None  # read now: loaded lazily
    own_weights = {k: t.detach().cpu() for k, t in own.state_dict().items()} if own is not None else None
    last = None
    for st in run_inversion(own_weights, target, steps, prior):
        last = st
        progress(st.fraction, desc=f"Inverting: step {st.step}/{st.steps}")
        if st.preview is not None and st.step < st.steps:
            yield {"inv_preview": picture_file(upscale(st.preview, 3)),
                   "inv_md": f"Step {st.step}/{st.steps}: pixel MSE {st.mse:.4f}"}
    inverted.append([round(float(x), 6) for x in last.z])
    name = f"inv{len(inverted)}"
    msg = (
        f"Done: pixel MSE {last.mse:.4f}, ‖z‖ = {float(last.z.norm()):.1f}. Saved as **{name}** — "
        "add it to a group below or type it into any sample box."
    )
    yield {"inv_preview": picture_file(upscale(last.preview, 3)), "inv_md": msg, "inverted": inverted}


def add_inverted(group: str):
    """The handler of "Add last inversion to <group>": the newest inverted face (invN) joins box ``group``."""

    def add(v: dict, request: gr.Request | None = None) -> dict:
        inverted = v["inverted"]
        if not inverted:
            raise UserError("Run an inversion first.")
        ref = f"inv{len(inverted)}"
        text = v[group]
        return {group: text if ref in parse_refs(text) else _append(text, ref)}

    add.__name__ = f"add_inverted_to_{group}"
    return add


def use_sample_as_target(v: dict, request: gr.Request | None = None, progress=gr.Progress()) -> dict:
    """The direction base sample as the picture to invert."""
    renderer = _renderer(request, progress)
    ref = _single_ref(v["base"], "The base sample")
    return {"upload": upscale(renderer.render_refs([ref], v["inverted"])[0], 3)}


# ---------------------------------------------------------------- a session's own generator


def load_own_generator(v: dict, request: gr.Request | None = None) -> dict:
    """Load the uploaded ``own_file`` as this session's generator."""
    from playground.dcgan.checkpoints import load_generator

    path = safe_input.web_file(v["own_file"])
    if path is None:
        return {"model_md": _model_line(request)}
    _custom.make_room(session_key(request))  # a full store refuses now, before the file is read
    g = load_generator(path)
    _custom.set(session_key(request), Renderer(g))
    return {"model_md": _model_line(request) + " Press *Show samples* to see it."}


def reset_generator(v: dict, request: gr.Request | None = None) -> dict:
    _custom.free(session_key(request))
    return {"model_md": _model_line(request)}


# ---------------------------------------------------------------- share links


def link_state(seed, preset, a, b, c) -> dict:
    """The tab's controls as a share-link state (``share.schema("dcgan")``'s fields)."""
    return {"seed": check_seed(seed, "The grid seed"), "preset": preset if preset in PRESETS else None,
            "a": parse_refs(a, "group A"), "b": parse_refs(b, "group B"), "c": parse_refs(c, "group C")}


def make_link(v: dict, request: gr.Request | None = None) -> str:
    """The query part of a link that reopens this tab's grid, groups and preset (the page adds its own
    address and copies it). Inverted faces (invN) live in one session only: they cannot travel."""
    state = link_state(v["seed"], v["preset"], v["a"], v["b"], v["c"])
    if any(r.startswith("inv") for g in "abc" for r in state[g]):
        raise UserError("Inverted faces (invN) exist only in this session and cannot go into a link; "
                        "take them out of the groups first.")
    options = {"hide": tuple(v.get("link_hide") or ()), "lock": bool(v.get("link_lock")),
               "big": bool(v.get("link_big"))}
    if options["lock"] and not state["preset"]:
        raise UserError("Locking needs a preset: choose one (Load preset) before locking the page.")
    return share.build_link("", TAB_ID, state, options)


def after_link(v: dict, request: gr.Request | None = None) -> dict:
    """An opened link's grid and arithmetic (nothing when the page opened without a link to this tab)."""
    if not v["link_opened"]:
        return {}
    return {**show_samples(v, request, progress=None), **arithmetic(v, request, progress=None)}


# ---------------------------------------------------------------- the first view


@cached_pictures
def first_view(seed: int) -> dict:
    """The first values of the grid, the preset box, the groups and the arithmetic (by component name): the
    first preset's arithmetic on the grid of ``seed`` from the bundled generator, what every page shows on
    arrival (the same pictures the buttons give), computed once and kept on disk (``arrival``)."""
    return arrival.cached("dcgan-first-view", (seed, DEFAULT_PRESET), lambda: _first_view(seed))


def _first_view(seed: int) -> dict:
    p = PRESETS[DEFAULT_PRESET]
    groups = {"a": p["A"], "b": p["B"], "c": p["C"]}
    gallery = show_samples({"seed": seed}, None, progress=None)["gallery"]
    figure = arithmetic({**groups, "noise": 0.25, "noise_seed": 0, "inverted": []}, None, progress=None)
    return {"gallery": gallery, "preset": DEFAULT_PRESET, **groups, **figure}


# ---------------------------------------------------------------- guidelines


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
