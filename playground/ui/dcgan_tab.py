"""The DCGAN latent lab tab: samples from a face DCGAN, vector arithmetic on z (Radford et al. 2016),
lerp vs slerp interpolation, attribute directions, latent walks and inversion.

All maths lives in ``playground.dcgan``; this module only wires components to it. Samples are named
by text ("seed:index", or "invK" for an inverted face), so groups are plain textboxes that the student
can read and edit, and every endpoint can be called from gradio_client.

Every event runs with ``preprocess=False``: Gradio would otherwise convert (and for images, decode) the
inputs before the handler runs, so a string sent to a slider or a corrupt upload would end as a bare
"Error" badge. The handlers check each value themselves (``playground.safe_input``, the ranges in
``playground.dcgan.lab``) and decode pictures with ``playground.images.read_image``.
"""

from __future__ import annotations

import atexit
import copy
import hashlib
import logging
import shutil
import tempfile
import threading
from pathlib import Path

import gradio as gr
import numpy as np
import torch

from playground import safe_input
from playground.dcgan import latent
from playground.dcgan.models import Generator
from playground.dcgan.figures import upscale
from playground.dcgan.lab import (
    EXTENT,
    INTERP_STEPS,
    INVERT_STEPS,
    MAX_INVERTED,
    MAX_REF_CHARS,
    NOISE,
    PRESETS,
    PRIOR,
    SCALE,
    Renderer,
    arithmetic_update,
    check_seed,
    group_strip,
    interpolation_strips,
    parse_refs,
    ref_to_z,
    refs_to_z,
    walk_gif,
)
from playground.device import get_device, gpu
from playground.errors import UserError
from playground.sessions import SessionStore
from playground.ui.common import explain, session_key, user_errors
from playground.ui.pictures import ResultCache, picture_file

log = logging.getLogger("playground.ui.dcgan")

TITLE = "DCGAN latent lab"
INVERSIONS_AT_ONCE = 1
GRID_SAMPLES = 36
GRID_COLUMNS = 9
DEFAULT_SEED = 2

_bundled: Renderer | None = None
_bundled_lock = threading.Lock()
# A student's own generator, per browser session (a few MB each): the only per-session model here.
_custom = SessionStore("custom DCGAN generator", max_sessions=16, idle_seconds=30 * 60)
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


# ---------------------------------------------------------------- texts

INTRO = """
### What is z?
A DCGAN generator **G** turns a vector **z** of 100 numbers, each drawn from a standard normal
distribution, into a 64×64 image. Every face below is G(z) for a different z; nothing else goes in.
The model here was trained on synthetic faces (DigiFace-1M; weights from the MIT-licensed
`gan-face-generate` package). Directions in z-space often line up with visible features — glasses,
a moustache, a head turn — which is what this tab lets you explore.
"""

ARITHMETIC_HELP = """
### Vector arithmetic (Radford et al., 2016)
Pick a concept, e.g. *glasses*: put three faces **with** it into **A**, three similar faces
**without** it into **B**, and any face into **C**. The result is `mean(A) − mean(B) + mean(C)`.
**Why average?** One z mixes the feature you care about with hundreds of others (pose, light,
hair). Averaging three exemplars keeps what they share and shrinks the rest, so `mean(A) − mean(B)`
is closer to "just glasses". The 3×3 grid shows the result in the middle and eight neighbours with
uniform noise of ±scale added (the paper used 0.25): if they all show the feature, the arithmetic
found a region, not a lucky point.
**Where it fails:** when A and B differ in more than the concept (all A faces look left, all B faces are
women...), that difference is added too; features the model entangles (moustache ↔ male) come
together; and means of few vectors are short (norm ≈ 10/√3), off the shell where real z live, so
images can look washed out.
"""

INTERP_HELP = """
### lerp or slerp?
For z ~ N(0, I) in 100 dimensions, the norm ‖z‖ is almost always close to √100 = 10: samples live near a
sphere's shell. A straight line (**lerp**) between two samples cuts through the inside: its midpoint has
norm ≈ 10/√2 ≈ 7.1, a region the generator almost never saw during training, so midpoints can look
blurry or generic. **slerp** (White, 2016) walks along the great circle instead and keeps ‖z‖ typical.
The norms of each step are listed under the strips.
"""

DIRECTION_HELP = """
### Attribute directions and latent walks
`d = mean(A) − mean(B)` is an attribute direction (e.g. glasses). Adding `scale · d` to any face
should add the attribute (scale > 0) or remove it (scale < 0); large scales leave the typical region and
the image breaks down. The walk animates `z + s·d` for s from −extent to +extent.
"""

INVERT_HELP = """
### Inversion: find the z of a face
Upload a picture (it is centre-cropped and shrunk to 64×64). Starting from random z, Adam changes z —
not the network — to make G(z) match the picture pixel by pixel, with a small Gaussian prior that keeps z
typical. The generator can only draw faces it can represent, so the match is approximate: expect the
pose, colours and lighting, not the identity. The found z is saved as **invN** and can be used in the
arithmetic like any sample.
"""

# ---------------------------------------------------------------- handlers


@user_errors
def show_samples(seed, request: gr.Request, progress=gr.Progress()):
    """Grid of GRID_SAMPLES samples of ``seed``; captions are their references."""
    seed = check_seed(seed, "The grid seed")
    renderer = _renderer(request, progress)
    refs = [f"{seed}:{i}" for i in range(GRID_SAMPLES)]

    def compute():
        imgs = renderer.render_refs(refs)
        return [(picture_file(upscale(im, 2)), ref) for im, ref in zip(imgs, refs)]

    items = _cached(renderer, ("samples", seed), (), compute)
    return items, seed, _model_line(request)


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


@user_errors
def arithmetic(a, b, c, noise_scale, noise_seed, inverted, request: gr.Request, progress=gr.Progress()):
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


@user_errors
def apply_direction(base, kind, a, b, dir_seed, scale, inverted, request: gr.Request, progress=gr.Progress()):
    base, scale = _single_ref(base, "The base sample"), SCALE.check(scale)
    renderer = _renderer(request, progress)
    z = ref_to_z(base, inverted, renderer.nz)
    d = _direction(kind, a, b, dir_seed, inverted, renderer.nz)
    scales = [0.0, scale]
    imgs = renderer.render(torch.stack([latent.apply_direction(z, d, s) for s in scales]))
    return picture_file(upscale(np.concatenate([imgs[0], np.full((64, 6, 3), 255, np.uint8), imgs[1]], 1), 3))


@user_errors
def make_walk(base, kind, a, b, dir_seed, extent, inverted, request: gr.Request, progress=gr.Progress()):
    base, extent = _single_ref(base, "The base sample"), EXTENT.check(extent)
    renderer = _renderer(request, progress)
    z = ref_to_z(base, inverted, renderer.nz)
    d = _direction(kind, a, b, dir_seed, inverted, renderer.nz)
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


def _inversion_steps(generator: Generator | None, target: torch.Tensor, steps: int, prior: float):
    """DCGAN inversion (:func:`playground.dcgan.invert.invert`) on ``get_device()``: CUDA inside a
    ZeroGPU call. Yields an ``InversionStep`` per step.

    ``generator`` None is the bundled face model from the per-process, per-device cache (a ZeroGPU
    worker process loads its own copy once). A session's own generator is used where it is, or copied to
    the device: a shared CPU object is never moved. Arguments and steps pickle (ZeroGPU sends them to
    its worker process)."""
    from playground.dcgan.invert import invert
    from playground.dcgan.pretrained import load_bundled_generator

    device = get_device()
    if generator is None:
        generator = load_bundled_generator(device)
    elif next(generator.parameters()).device != device:
        generator = copy.deepcopy(generator).to(device)
    yield from invert(generator, target, steps=steps, prior=prior, starts=2, preview_every=10)


# ZeroGPU: at most INVERT_STEPS.hi = 400 Adam steps on 2 starts of a 64x64 generator, ~1-2 s on a GPU;
# 20 s also covers a cold worker (CUDA start, a 14 MB model) and keeps the request short (served first).
run_inversion = gpu(_inversion_steps, duration=20)


@user_errors
def invert_face(image, steps, prior, inverted, request: gr.Request, progress=gr.Progress()):
    """Generator: yields (preview, status, inverted list) while optimising z."""
    from playground.dcgan.invert import prepare_target

    steps, prior = INVERT_STEPS.check(steps), PRIOR.check(prior)
    inverted = list(inverted or [])
    if len(inverted) >= MAX_INVERTED:
        raise UserError(f"This session already holds {MAX_INVERTED} inverted faces; reload the page to start over.")
    target = prepare_target(image)  # decoded safely here, not by Gradio: bad files get a clear message
    renderer = _renderer(request, progress)
    own = renderer.g if renderer is not _bundled else None
    last = None
    for st in run_inversion(own, target, steps, prior):
        last = st
        progress(st.fraction, desc=f"Inverting: step {st.step}/{st.steps}")
        if st.preview is not None and st.step < st.steps:
            status = f"Step {st.step}/{st.steps}: pixel MSE {st.mse:.4f}"
            yield picture_file(upscale(st.preview, 3)), status, inverted
    inverted.append([round(float(v), 6) for v in last.z])
    name = f"inv{len(inverted)}"
    msg = (
        f"Done: pixel MSE {last.mse:.4f}, ‖z‖ = {float(last.z.norm()):.1f}. Saved as **{name}** — "
        "add it to a group below or type it into any sample box."
    )
    yield picture_file(upscale(last.preview, 3)), msg, inverted


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

    path = safe_input.file_path(file)
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


# ---------------------------------------------------------------- layout


def _slider(r: safe_input.Range) -> gr.Slider:
    return gr.Slider(r.lo, r.hi, value=r.default, step=r.step, label=r.label)


def build() -> None:
    inverted = gr.State([])  # z vectors found by inversion in this session (lists of 100 floats)
    shown_seed = gr.State(None)  # the seed of the grid currently on screen

    gr.Markdown(INTRO)
    with gr.Row():
        seed = gr.Number(value=DEFAULT_SEED, precision=0, minimum=0, maximum=latent.MAX_SEED, label="Grid seed",
                         scale=1)
        with gr.Column(scale=1):
            show_btn = gr.Button("Show samples", variant="primary")
        model_md = gr.Markdown("Model: bundled face DCGAN (loaded on first use).")
    explain("Each seed gives the same 36 faces every time; a face is named seed:index (its caption).")
    target = gr.Radio(
        ["A", "B", "C", "Interpolation start", "Interpolation end", "Direction base"],
        value="A", label="Clicking a sample puts it into", elem_id="dcgan-target",
    )
    explain("Click a face again to take it out of a group. Groups A, B, C feed the arithmetic below.")
    gallery = gr.Gallery(
        label="Samples — click a face to add it to the chosen group",
        columns=GRID_COLUMNS, height="auto", allow_preview=False, object_fit="contain",
        elem_id="dcgan-gallery",
    )

    gr.Markdown(ARITHMETIC_HELP)
    with gr.Row():
        preset = gr.Dropdown(list(PRESETS), value=list(PRESETS)[0], label="Preset", scale=3)
        preset_btn = gr.Button("Load preset", scale=1)
    preset_note = gr.Markdown()
    with gr.Row():
        group_a = gr.Textbox(label="Group A (with the concept)", placeholder="e.g. 2:17, 2:22, 2:28",
                             elem_id="dcgan-a", max_length=MAX_REF_CHARS)
        group_b = gr.Textbox(label="Group B (without it)", placeholder="e.g. 2:14, 2:20, 2:3",
                             elem_id="dcgan-b", max_length=MAX_REF_CHARS)
        group_c = gr.Textbox(label="Group C (the face to change)", placeholder="e.g. 2:6", elem_id="dcgan-c",
                             max_length=MAX_REF_CHARS)
    with gr.Row():
        noise = _slider(NOISE)
        noise_seed = gr.Number(value=0, precision=0, minimum=0, maximum=latent.MAX_SEED, label="Noise seed")
        compute_btn = gr.Button("Compute", variant="primary")
        clear_btn = gr.Button("Clear groups")
    explain("The 8 neighbours add uniform noise in [−noise, +noise] to every coordinate of the result.")
    with gr.Row():
        strip_a = gr.Image(label="A: exemplars → their mean", interactive=False, format="jpeg",
                             elem_id="dcgan-strip-a")
        strip_b = gr.Image(label="B: exemplars → their mean", interactive=False, format="jpeg",
                             elem_id="dcgan-strip-b")
        strip_c = gr.Image(label="C: exemplars → their mean", interactive=False, format="jpeg",
                             elem_id="dcgan-strip-c")
    with gr.Row():
        equation = gr.Image(label="mean(A) − mean(B) + mean(C)", interactive=False, format="jpeg",
                            elem_id="dcgan-equation", scale=2)
        neighbourhood = gr.Image(label="Result and 8 noisy neighbours", interactive=False, format="jpeg",
                                 elem_id="dcgan-result", scale=1)
    arith_md = gr.Markdown(elem_id="dcgan-arith-msg")
    # The pictures are sent as JPEG files written once (playground/ui/pictures.py): PNG encoding of the
    # five arithmetic images cost more than the generator's forward pass, and the faces are 64x64 upscaled
    # photos where JPEG loses nothing visible.

    gr.Markdown(INTERP_HELP)
    with gr.Row():
        start = gr.Textbox(label="Interpolation start", placeholder="e.g. 2:17", max_length=MAX_REF_CHARS)
        end = gr.Textbox(label="Interpolation end", placeholder="e.g. 0:0", max_length=MAX_REF_CHARS)
        steps = _slider(INTERP_STEPS)
        interp_btn = gr.Button("Interpolate", variant="primary")
    lerp_img = gr.Image(label="lerp: straight line", interactive=False, format="jpeg")
    slerp_img = gr.Image(label="slerp: great circle", interactive=False, format="jpeg", elem_id="dcgan-slerp")
    norms_md = gr.Markdown(elem_id="dcgan-norms")

    gr.Markdown(DIRECTION_HELP)
    with gr.Row():
        base = gr.Textbox(label="Direction base (sample to change)", placeholder="e.g. 0:0",
                          elem_id="dcgan-base", max_length=MAX_REF_CHARS)
        dir_kind = gr.Radio(list(DIRECTION_KINDS), value=DIRECTION_KINDS[0], label="Direction")
        dir_seed = gr.Number(value=0, precision=0, minimum=0, maximum=latent.MAX_SEED, label="Random direction seed")
    with gr.Row():
        scale = _slider(SCALE)
        extent = _slider(EXTENT)
    explain("Scale 1 adds the full difference between the group means; negative scales remove the attribute.")
    with gr.Row():
        apply_btn = gr.Button("Apply direction")
        walk_btn = gr.Button("Make walk GIF")
    with gr.Row():
        moved = gr.Image(label="before → after", interactive=False, format="jpeg", elem_id="dcgan-moved")
        walk_img = gr.Image(label="latent walk", interactive=False, type="filepath", elem_id="dcgan-walk")

    gr.Markdown(INVERT_HELP)
    with gr.Row():
        # type="filepath" and preprocess=False: the app decodes the picture itself (read_image).
        upload = gr.Image(label="A face to invert", type="filepath", sources=["upload", "clipboard"],
                          elem_id="dcgan-upload")
        with gr.Column():
            inv_steps = _slider(INVERT_STEPS)
            prior = _slider(PRIOR)
            with gr.Row():
                inv_btn = gr.Button("Find z", variant="primary")
                stop_btn = gr.Button("Stop")
            sample_target_btn = gr.Button("Use the direction base sample as the target")
            explain("A generated face can be recovered almost exactly; a real photo only approximately.")
        inv_preview = gr.Image(label="G(z) while optimising", interactive=False, format="jpeg")
    inv_md = gr.Markdown()
    with gr.Row():
        add_a = gr.Button("Add last inversion to A")
        add_b = gr.Button("Add last inversion to B")
        add_c = gr.Button("Add last inversion to C")

    with gr.Accordion("Use your own generator", open=False):
        gr.Markdown(
            "Load a pytorch/examples-style DCGAN `netG` state_dict (`.pt`/`.pth`, read with "
            "`weights_only=True`) or a `.safetensors` file — e.g. `netG.safetensors` written by "
            "`python -m playground.dcgan train --data DIR`. Only this browser session uses it."
        )
        own_file = gr.File(label="Generator weights", file_types=[".pt", ".pth", ".safetensors"],
                           type="filepath")
        reset_btn = gr.Button("Back to the bundled face model")

    # ------------------------------------------------------------ events
    # preprocess=False everywhere: the handlers check raw values and decode uploads themselves (see the
    # module docstring), so bad input gets a sentence instead of Gradio's bare "Error".
    raw = dict(preprocess=False)
    arith_inputs = [group_a, group_b, group_c, noise, noise_seed, inverted]
    arith_outputs = [strip_a, strip_b, strip_c, equation, neighbourhood, arith_md]

    show_btn.click(show_samples, [seed], [gallery, shown_seed, model_md], api_name="dcgan_samples", **raw)
    seed.submit(show_samples, [seed], [gallery, shown_seed, model_md], api_name=False, **raw)
    gallery.select(
        on_gallery_select,
        [target, shown_seed, group_a, group_b, group_c, start, end, base, noise, noise_seed, inverted],
        [group_a, group_b, group_c, start, end, base, *arith_outputs], api_name=False, show_progress="hidden",
        **raw,
    )
    compute_btn.click(arithmetic, arith_inputs, arith_outputs, api_name="dcgan_arithmetic", **raw)
    for box in (group_a, group_b, group_c):
        box.submit(arithmetic, arith_inputs, arith_outputs, api_name=False, **raw)
    clear_btn.click(
        lambda: ("", "", ""), None, [group_a, group_b, group_c], api_name=False, queue=False
    ).then(arithmetic, arith_inputs, arith_outputs, api_name=False, **raw)
    preset_btn.click(
        load_preset, [preset], [group_a, group_b, group_c, seed, preset_note], api_name="dcgan_preset", **raw
    ).then(
        show_samples, [seed], [gallery, shown_seed, model_md], api_name=False, **raw
    ).then(arithmetic, arith_inputs, arith_outputs, api_name=False, **raw)

    interp_btn.click(interpolate, [start, end, steps, inverted], [lerp_img, slerp_img, norms_md],
                     api_name="dcgan_interpolate", **raw)

    dir_inputs = [base, dir_kind, group_a, group_b, dir_seed]
    apply_btn.click(apply_direction, [*dir_inputs, scale, inverted], [moved], api_name="dcgan_direction", **raw)
    scale.release(apply_direction, [*dir_inputs, scale, inverted], [moved], api_name=False, **raw)
    walk_btn.click(make_walk, [*dir_inputs, extent, inverted], [walk_img], api_name="dcgan_walk", **raw)

    # Inversion keeps a core busy for seconds (one torch thread): one at a time, so the other core stays
    # free for the quick events of the whole class; the rest wait and see their place in the queue.
    inv_event = inv_btn.click(
        invert_face, [upload, inv_steps, prior, inverted], [inv_preview, inv_md, inverted],
        api_name="dcgan_invert", concurrency_limit=INVERSIONS_AT_ONCE, show_progress="full", **raw,
    )
    stop_btn.click(None, None, None, cancels=[inv_event], api_name=False)
    sample_target_btn.click(use_sample_as_target, [base, inverted], [upload], api_name=False, **raw)
    for btn, box in ((add_a, group_a), (add_b, group_b), (add_c, group_c)):
        btn.click(add_inverted, [box, inverted], [box], api_name=False, **raw).then(
            arithmetic, arith_inputs, arith_outputs, api_name=False, **raw
        )

    own_file.upload(load_own_generator, [own_file], [model_md], api_name="dcgan_load_generator", **raw)
    reset_btn.click(reset_generator, None, [model_md], api_name="dcgan_reset_generator")
