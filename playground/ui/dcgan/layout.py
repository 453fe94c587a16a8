"""The DCGAN latent lab tab: samples from a face DCGAN, vector arithmetic on z (Radford et al. 2016),
lerp vs slerp interpolation, attribute directions, latent walks and inversion.

All maths lives in ``playground.dcgan``; this module holds the layout and the wiring, the handlers are in
``playground/ui/dcgan/handlers.py`` (as for the 2-D lab). Only inversion stays here: its ZeroGPU entry
point (``run_inversion``) is named by this module's path in ``tests/test_zerogpu.py``. Samples are named
by text ("seed:index", or "invK" for an inverted face), so groups are plain textboxes that the student
can read and edit, and every endpoint can be called from gradio_client.

Every event runs with ``preprocess=False``: Gradio would otherwise convert (and for images, decode) the
inputs before the handler runs, so a string sent to a slider or a corrupt upload would end as a bare
"Error" badge. The handlers check each value themselves (``playground.safe_input``, the ranges in
``playground.dcgan.lab``) and decode pictures with ``playground.images.read_image``.
"""

from __future__ import annotations

import gradio as gr
import torch

from playground import safe_input
from playground.dcgan import architecture, latent
from playground.dcgan.figures import upscale
from playground.dcgan.lab import EXTENT, INTERP_STEPS, INVERT_STEPS, MAX_INVERTED, MAX_REF_CHARS, NOISE, PRESETS, \
    PRIOR, SCALE
from playground.device import get_device, gpu
from playground.errors import UserError
from playground.ui.dcgan import handlers as h
from playground.ui.common import LinkTarget, explain, named_inputs, share_panel, user_errors, \
    wire_copy_link
from playground.ui.dcgan.handlers import (DEFAULT_SEED, DIRECTION_KINDS, GRID_COLUMNS, _renderer, add_inverted,
                                           apply_direction, arithmetic, interpolate, load_own_generator, load_preset,
                                           make_walk, on_gallery_select, reset_generator, show_samples,
                                           use_sample_as_target)
from playground.ui.pictures import picture_file

TITLE = "DCGAN latent lab"
INVERSIONS_AT_ONCE = 1
# The quick events (samples, arithmetic) share a pool as large as a class: a request the result cache answers
# at once never waits behind one that computes (each computing one uses one torch thread for ~0.1 s). With 8,
# 30 students clicking Compute at once waited 3.0 s (p95), with 32 2.2 s (benchmarks/classroom.py --others).
QUICK_AT_ONCE = 32

# ---------------------------------------------------------------- texts

from playground.ui.dcgan.texts import (  # noqa: E402 - the tab's explanations, one per section
    ARITHMETIC_HELP, CHECKERBOARD_HELP, DIRECTION_HELP, GUIDELINES_HELP, INTERP_HELP, INTRO, INVERT_HELP,
)


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


@user_errors
def invert_face(image, steps, prior, inverted, request: gr.Request, progress=gr.Progress()):
    """Generator: yields (preview, status, inverted list) while optimising z."""
    from playground.dcgan.invert import prepare_target

    steps, prior = INVERT_STEPS.check(steps), PRIOR.check(prior)
    inverted = list(inverted or [])
    if len(inverted) >= MAX_INVERTED:
        raise UserError(f"This session already holds {MAX_INVERTED} inverted faces; reload the page to start over.")
    target = prepare_target(safe_input.web_file(image) if isinstance(image, (str, dict)) else image)  # decoded
    # safely here, not by Gradio: bad files get a clear message; only files uploaded to this app
    renderer = _renderer(request, progress)
    own = renderer.g if renderer is not h._bundled else None  # read now: loaded lazily
    own_weights = {k: v.detach().cpu() for k, v in own.state_dict().items()} if own is not None else None
    last = None
    for st in run_inversion(own_weights, target, steps, prior):
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


# ---------------------------------------------------------------- layout


def _slider(r: safe_input.Range) -> gr.Slider:
    return gr.Slider(r.lo, r.hi, value=r.default, step=r.step, label=r.label)


def _layout() -> dict:
    """Every component by name; the control groups a link may hide as ``group:<name>``."""
    c: dict = {}
    first = h.first_view(DEFAULT_SEED)
    c["inverted"] = gr.State([])  # z vectors found by inversion in this session (lists of 100 floats)
    c["shown_seed"] = gr.State(DEFAULT_SEED)  # the seed of the grid currently on screen
    c["link_opened"] = gr.State(False)  # set by an opened share link: its grid and arithmetic follow

    gr.Markdown(INTRO)
    with gr.Column() as c["group:grid"]:
        with gr.Row():
            c["seed"] = gr.Number(value=DEFAULT_SEED, precision=0, minimum=0, maximum=latent.MAX_SEED,
                                  label="Grid seed", scale=1, elem_id="dcgan-seed")
            with gr.Column(scale=1):
                c["show_btn"] = gr.Button("Show samples", variant="primary")
            c["model_md"] = gr.Markdown("Model: bundled face DCGAN (64×64, nz = 100).")
        explain("Each seed gives the same 36 faces every time; a face is named seed:index (its caption).")
        c["target"] = gr.Radio(
            ["A", "B", "C", "Interpolation start", "Interpolation end", "Direction base"],
            value="A", label="Clicking a sample puts it into", elem_id="dcgan-target",
        )
        explain("Click a face again to take it out of a group. Groups A, B, C feed the arithmetic below.")
        c["gallery"] = gr.Gallery(
            first["gallery"], label="Samples — click a face to add it to the chosen group",
            columns=GRID_COLUMNS, height="auto", allow_preview=False, object_fit="contain", elem_id="dcgan-gallery",
            buttons=[],  # a tool bar would take a strip above the faces (the CSS keeps it off the pictures)
        )

    with gr.Column(elem_id="dcgan-group-arithmetic") as c["group:arithmetic"]:
        gr.Markdown(ARITHMETIC_HELP)
        with gr.Row():
            c["preset"] = gr.Dropdown(list(PRESETS), value=first["preset"], label="Preset", scale=3,
                                      elem_id="dcgan-preset")
            c["preset_btn"] = gr.Button("Load preset", scale=1)
        c["preset_note"] = gr.Markdown(PRESETS[first["preset"]]["note"])
        fa, fb, fc = first["groups"]
        with gr.Row():
            c["a"] = gr.Textbox(fa, label="Group A (with the concept)", placeholder="e.g. 2:17, 2:22, 2:28",
                                elem_id="dcgan-a", max_length=MAX_REF_CHARS)
            c["b"] = gr.Textbox(fb, label="Group B (without it)", placeholder="e.g. 2:14, 2:20, 2:3",
                                elem_id="dcgan-b", max_length=MAX_REF_CHARS)
            c["c"] = gr.Textbox(fc, label="Group C (the face to change)", placeholder="e.g. 2:6", elem_id="dcgan-c",
                                max_length=MAX_REF_CHARS)
        with gr.Row():
            c["noise"] = _slider(NOISE)
            c["noise_seed"] = gr.Number(value=0, precision=0, minimum=0, maximum=latent.MAX_SEED, label="Noise seed")
            c["compute_btn"] = gr.Button("Compute", variant="primary")
            c["clear_btn"] = gr.Button("Clear groups")
        explain("The 8 neighbours add uniform noise in [−noise, +noise] to every coordinate of the result.")
        # The pictures are sent as JPEG files written once (playground/ui/pictures.py): PNG encoding of the
        # five arithmetic images cost more than the generator's forward pass.
        sa, sb, sc, eq, nb, msg = first["arithmetic"]
        with gr.Row():
            for key, name, value in (("strip_a", "A", sa), ("strip_b", "B", sb), ("strip_c", "C", sc)):
                c[key] = gr.Image(value, label=f"{name}: exemplars → their mean", interactive=False, format="jpeg",
                                  elem_id=f"dcgan-strip-{name.lower()}")
        with gr.Row():
            c["equation"] = gr.Image(eq, label="mean(A) − mean(B) + mean(C)", interactive=False, format="jpeg",
                                     elem_id="dcgan-equation", scale=2)
            c["neighbourhood"] = gr.Image(nb, label="Result and 8 noisy neighbours", interactive=False,
                                          format="jpeg", elem_id="dcgan-result", scale=1)
        c["arith_md"] = gr.Markdown(msg, elem_id="dcgan-arith-msg")

    with gr.Column() as c["group:interpolation"]:
        gr.Markdown(INTERP_HELP)
        with gr.Row():
            c["start"] = gr.Textbox(label="Interpolation start", placeholder="e.g. 2:17", max_length=MAX_REF_CHARS)
            c["end"] = gr.Textbox(label="Interpolation end", placeholder="e.g. 0:0", max_length=MAX_REF_CHARS)
            c["steps"] = _slider(INTERP_STEPS)
            c["interp_btn"] = gr.Button("Interpolate", variant="primary")
        # Output boxes stay hidden until they hold a picture: no empty image box on arrival.
        c["lerp_img"] = gr.Image(label="lerp: straight line", interactive=False, format="jpeg", visible=False)
        c["slerp_img"] = gr.Image(label="slerp: great circle", interactive=False, format="jpeg", elem_id="dcgan-slerp",
                                  visible=False)
        c["norms_md"] = gr.Markdown(elem_id="dcgan-norms")

    with gr.Column() as c["group:direction"]:
        gr.Markdown(DIRECTION_HELP)
        with gr.Row():
            c["base"] = gr.Textbox(label="Direction base (sample to change)", placeholder="e.g. 0:0",
                                   elem_id="dcgan-base", max_length=MAX_REF_CHARS)
            c["dir_kind"] = gr.Radio(list(DIRECTION_KINDS), value=DIRECTION_KINDS[0], label="Direction")
            c["dir_seed"] = gr.Number(value=0, precision=0, minimum=0, maximum=latent.MAX_SEED,
                                      label="Random direction seed")
        with gr.Row():
            c["scale"] = _slider(SCALE)
            c["extent"] = _slider(EXTENT)
        explain("Scale 1 adds the full difference between the group means; negative scales remove the attribute.")
        with gr.Row():
            c["apply_btn"] = gr.Button("Apply direction")
            c["walk_btn"] = gr.Button("Make walk GIF")
        with gr.Row():
            c["moved"] = gr.Image(label="before → after", interactive=False, format="jpeg", elem_id="dcgan-moved",
                                  visible=False)
            c["walk_img"] = gr.Image(label="latent walk", interactive=False, type="filepath", elem_id="dcgan-walk",
                                     visible=False)

    with gr.Column() as c["group:inversion"]:
        gr.Markdown(INVERT_HELP)
        with gr.Row():
            # type="filepath" and preprocess=False: the app decodes the picture itself (read_image).
            c["upload"] = gr.Image(label="A face to invert", type="filepath", sources=["upload", "clipboard"],
                                   elem_id="dcgan-upload")
            with gr.Column():
                c["inv_steps"] = _slider(INVERT_STEPS)
                c["prior"] = _slider(PRIOR)
                with gr.Row():
                    c["inv_btn"] = gr.Button("Find z", variant="primary")
                    c["stop_btn"] = gr.Button("Stop")
                c["sample_target_btn"] = gr.Button("Use the direction base sample as the target")
                explain("A face the model generated comes back closely at 400 steps (pixel MSE about 0.002-0.006, "
                        "some seconds); with fewer steps you get a look-alike. A real photo is only approximated: "
                        "the generator cannot make every face.")
            c["inv_preview"] = gr.Image(label="G(z) while optimising", interactive=False, format="jpeg", visible=False)
        c["inv_md"] = gr.Markdown()
        with gr.Row():
            for g in "abc":
                c[f"add_{g}"] = gr.Button(f"Add last inversion to {g.upper()}")

    with gr.Accordion("Use your own generator", open=False) as c["group:own_model"]:
        gr.Markdown(
            "Load a pytorch/examples-style DCGAN `netG` state_dict (`.pt`/`.pth`, read with "
            "`weights_only=True`) or a `.safetensors` file — e.g. `netG.safetensors` written by "
            "`python -m playground.dcgan train --data DIR`. Only this browser session uses it."
        )
        c["own_file"] = gr.File(label="Generator weights", file_types=[".pt", ".pth", ".safetensors"], type="filepath")
        c["reset_btn"] = gr.Button("Back to the bundled face model")

    _guidelines_layout(c)
    _link_layout(c)
    return c


def _guidelines_layout(c: dict) -> None:
    g = h.guidelines()
    with gr.Accordion("DCGAN guidelines: this generator against Radford et al.'s rules", open=False,
                      elem_id="dcgan-guidelines") as c["group:guidelines"]:
        gr.Markdown(GUIDELINES_HELP)
        c["layers"] = gr.Dataframe(g["layers"], headers=list(architecture.COLUMNS), interactive=False,
                                   label=f"The bundled generator's {g['n_layers']} weight layers (from its modules)",
                                   elem_id="dcgan-layers")
        # fixed shares of the width, the long "why" the widest, and every row shown (sized by their content,
        # the rule took the width and "why" was cut off at the right edge)
        c["rules"] = gr.Dataframe(g["rules"], headers=h.RULE_COLUMNS, interactive=False, wrap=True,
                                  column_widths=["33%", "11%", "12%", "44%"], max_height=4000,
                                  label="Radford et al. (2016), Section 3, checked on G and on this project's D",
                                  elem_id="dcgan-rules")
        gr.Markdown(CHECKERBOARD_HELP)
        gr.Gallery(g["toys"], label="Kernel footprints per output pixel (toy 6×6 input, all-ones kernel)",
                   columns=3, height="auto", allow_preview=False, object_fit="contain")
        gr.Gallery(g["own"], label="The bundled generator's first upsampling layers on a constant input",
                   columns=2, height="auto", allow_preview=False, object_fit="contain")
        gr.Markdown(g["note"])


def _link_layout(c: dict) -> None:
    share_panel(c, "dcgan", h.GROUPS, lock_label="Lock the grid, groups and preset",
                about="A link that opens this tab with this grid seed, these groups and this preset. Tick groups to "
                      "hide them for a simpler student page, lock the page to the preset, or use large type for a "
                      "projector.")


# ------------------------------------------------------------ events


def _wire(c: dict) -> None:
    # preprocess=False everywhere: the handlers check raw values and decode uploads themselves (see the
    # module docstring), so bad input gets a sentence instead of Gradio's bare "Error".
    raw = dict(preprocess=False)
    quick = dict(raw, concurrency_id="dcgan_quick", concurrency_limit=QUICK_AT_ONCE)
    inverted, seed = c["inverted"], c["seed"]
    groups = [c["a"], c["b"], c["c"]]
    arith_inputs = [*groups, c["noise"], c["noise_seed"], inverted]
    arith_outputs = [c[k] for k in ("strip_a", "strip_b", "strip_c", "equation", "neighbourhood", "arith_md")]
    samples_out = [c["gallery"], c["shown_seed"], c["model_md"]]

    c["show_btn"].click(show_samples, [seed], samples_out, api_name="dcgan_samples", **quick)
    seed.submit(show_samples, [seed], samples_out, api_name=False, **quick)
    c["gallery"].select(
        on_gallery_select,
        [c["target"], c["shown_seed"], *groups, c["start"], c["end"], c["base"], c["noise"], c["noise_seed"], inverted],
        [*groups, c["start"], c["end"], c["base"], *arith_outputs], api_name=False, show_progress="hidden", **quick,
    )
    c["compute_btn"].click(arithmetic, arith_inputs, arith_outputs, api_name="dcgan_arithmetic", **quick)
    for box in groups:
        box.submit(arithmetic, arith_inputs, arith_outputs, api_name=False, **quick)
    c["clear_btn"].click(lambda: ("", "", ""), None, groups, api_name=False, queue=False).then(
        arithmetic, arith_inputs, arith_outputs, api_name=False, **raw)
    c["preset_btn"].click(
        load_preset, [c["preset"]], [*groups, seed, c["preset_note"]], api_name="dcgan_preset", **raw
    ).then(show_samples, [seed], samples_out, api_name=False, **raw).then(
        arithmetic, arith_inputs, arith_outputs, api_name=False, **raw)

    shown = lambda *_: gr.update(visible=True)  # noqa: E731 - an output box appears with its first picture
    c["interp_btn"].click(interpolate, [c["start"], c["end"], c["steps"], inverted],
                          [c["lerp_img"], c["slerp_img"], c["norms_md"]], api_name="dcgan_interpolate", **raw
                          ).success(lambda: (gr.update(visible=True),) * 2, None, [c["lerp_img"], c["slerp_img"]],
                                    api_name=False, queue=False)
    dir_inputs = [c["base"], c["dir_kind"], c["a"], c["b"], c["dir_seed"]]
    for ev in (c["apply_btn"].click, c["scale"].release):
        ev(apply_direction, [*dir_inputs, c["scale"], inverted], [c["moved"]],
           api_name="dcgan_direction" if ev == c["apply_btn"].click else False, **raw
           ).success(shown, None, c["moved"], api_name=False, queue=False)
    c["walk_btn"].click(make_walk, [*dir_inputs, c["extent"], inverted], [c["walk_img"]], api_name="dcgan_walk",
                        **raw).success(shown, None, c["walk_img"], api_name=False, queue=False)

    # Inversion keeps a core busy for seconds (one torch thread): one at a time, so the other core stays
    # free for the quick events of the whole class; the rest wait and see their place in the queue.
    c["inv_btn"].click(shown, None, c["inv_preview"], api_name=False, queue=False)
    inv_event = c["inv_btn"].click(
        invert_face, [c["upload"], c["inv_steps"], c["prior"], inverted], [c["inv_preview"], c["inv_md"], inverted],
        api_name="dcgan_invert", concurrency_limit=INVERSIONS_AT_ONCE, show_progress="full", **raw,
    )
    c["stop_btn"].click(None, None, None, cancels=[inv_event], api_name=False)
    c["sample_target_btn"].click(use_sample_as_target, [c["base"], inverted], [c["upload"]], api_name=False, **raw)
    for g in "abc":
        c[f"add_{g}"].click(add_inverted, [c[g], inverted], [c[g]], api_name=False, **raw).then(
            arithmetic, arith_inputs, arith_outputs, api_name=False, **raw)

    c["own_file"].upload(load_own_generator, [c["own_file"]], [c["model_md"]], api_name="dcgan_load_generator", **raw)
    c["reset_btn"].click(reset_generator, None, [c["model_md"]], api_name="dcgan_reset_generator")

    link_names = ["seed", "preset", "a", "b", "c", "link_hide", "link_lock", "link_big"]
    wire_copy_link(c, h.make_link, link_names)


def build() -> LinkTarget:
    c = _layout()
    _wire(c)
    return link_target(c)


CONTROLS = ("seed", "preset", "a", "b", "c")  # what a link restores (the page's own boxes)


def link_target(c: dict) -> LinkTarget:
    """What an opened share link sets here: the seed, preset and groups (read-only with ``lock``), the preset's
    note; then the link's grid and arithmetic are shown."""

    def values(state: dict, options: dict) -> dict:
        lock = bool(options.get("lock"))
        preset = state.get("preset")
        shown = {"seed": state["seed"], "preset": preset, **{g: ", ".join(state[g]) for g in "abc"}}
        return {**{k: gr.update(value=v, interactive=not lock) for k, v in shown.items()},
                "preset_note": PRESETS[preset]["note"] if preset in PRESETS else "",
                "preset_btn": gr.update(interactive=not lock), "clear_btn": gr.update(interactive=not lock),
                "link_opened": True}

    def after(event) -> None:
        names = ["link_opened", "seed", "a", "b", "c", "noise", "noise_seed", "inverted"]
        outputs = [c[k] for k in ("gallery", "shown_seed", "model_md", "strip_a", "strip_b", "strip_c", "equation",
                                  "neighbourhood", "arith_md")]
        event.then(named_inputs(names, h.after_link), [c[n] for n in names], outputs, api_name=False,
                   preprocess=False)

    sets = (*CONTROLS, "preset_note", "preset_btn", "clear_btn", "link_opened")
    return LinkTarget(c, h.TAB_ID, sets, values, after)
