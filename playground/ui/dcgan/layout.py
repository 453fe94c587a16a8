"""The DCGAN latent lab's layout and wiring: samples from a face DCGAN, vector arithmetic on z (Radford et al.
2016), lerp vs slerp interpolation, attribute directions, latent walks and inversion.

All maths lives in ``playground.dcgan``; what each event computes is :mod:`playground.ui.dcgan.handlers`, the
words :mod:`playground.ui.dcgan.texts`. Samples are named by text ("seed:index", or "invK" for an inverted
face), so groups are plain textboxes that the student can read and edit, and every endpoint can be called from
gradio_client.

Every event runs with ``preprocess=False``: Gradio would otherwise convert (and for images, decode) the
inputs before the handler runs, so a string sent to a slider or a corrupt upload would end as a bare
"Error" badge. The handlers check each value themselves (``playground.safe_input``, the ranges in
``playground.dcgan.lab``) and decode pictures with ``playground.images.read_image``.
"""

from __future__ import annotations

import gradio as gr

from playground import safe_input
from playground.dcgan import architecture, latent
from playground.dcgan.lab import EXTENT, INTERP_STEPS, INVERT_STEPS, MAX_REF_CHARS, NOISE, PRESETS, PRIOR, SCALE
from playground.ui.common import LinkTarget, explain, on, share_panel, wire_copy_link
from playground.ui.dcgan import handlers as h
from playground.ui.dcgan.handlers import ARITHMETIC, DIRECTION, FIGURE, SAMPLES
from playground.ui.dcgan.texts import (ARITHMETIC_HELP, CHECKERBOARD_HELP, DIRECTION_HELP, GUIDELINES_HELP,
                                       INTERP_HELP, INTRO, INVERT_HELP)

TITLE = "DCGAN latent lab"
INVERSIONS_AT_ONCE = 1
# The quick events (samples, arithmetic) share a pool as large as a class: a request the result cache answers
# at once never waits behind one that computes (each computing one uses one torch thread for ~0.1 s). With 8,
# 30 students clicking Compute at once waited 3.0 s (p95), with 32 2.2 s (benchmarks/classroom.py --others).
QUICK_AT_ONCE = 32
CONTROLS = ("seed", "preset", "a", "b", "c")  # what a link restores (the page's own boxes)


def _slider(r: safe_input.Range) -> gr.Slider:
    return gr.Slider(r.lo, r.hi, value=r.default, step=r.step, label=r.label)


def _layout() -> dict:
    """Every component by name; the control groups a link may hide as ``group:<name>``."""
    c: dict = {}
    first = h.first_view(h.DEFAULT_SEED)  # the page opens with the grid and the first preset's result
    c["inverted"] = gr.State([])  # z vectors found by inversion in this session (lists of 100 floats)
    c["shown_seed"] = gr.State(h.DEFAULT_SEED)  # the seed of the grid currently on screen
    c["link_opened"] = gr.State(False)  # set by an opened share link: its grid and arithmetic follow

    gr.Markdown(INTRO)
    with gr.Column() as c["group:grid"]:
        with gr.Row():
            c["seed"] = gr.Number(value=h.DEFAULT_SEED, precision=0, minimum=0, maximum=latent.MAX_SEED,
                                  label="Grid seed", scale=1, elem_id="dcgan-seed")
            with gr.Column(scale=1):
                c["show_btn"] = gr.Button("Show samples", variant="primary")
            c["model_md"] = gr.Markdown("Model: bundled face DCGAN (64×64, nz = 100).")
        explain("Each seed gives the same 36 faces every time; a face is named seed:index (its caption).")
        c["target"] = gr.Radio(list(h.PLACES), value="A", label="Clicking a sample puts it into",
                               elem_id="dcgan-target")
        explain("Click a face again to take it out of a group. Groups A, B, C feed the arithmetic below.")
        c["gallery"] = gr.Gallery(
            first["gallery"], label="Samples — click a face to add it to the chosen group",
            columns=h.GRID_COLUMNS, height="auto", allow_preview=False, object_fit="contain",
            elem_id="dcgan-gallery",
            buttons=[],  # a tool bar would take a strip above the faces (the CSS keeps it off the pictures)
        )

    with gr.Column(elem_id="dcgan-group-arithmetic") as c["group:arithmetic"]:
        gr.Markdown(ARITHMETIC_HELP)
        with gr.Row():
            c["preset"] = gr.Dropdown(list(PRESETS), value=first["preset"], label="Preset", scale=3,
                                      elem_id="dcgan-preset")
            c["preset_btn"] = gr.Button("Load preset", scale=1)
        c["preset_note"] = gr.Markdown(PRESETS[first["preset"]]["note"])
        with gr.Row():
            c["a"] = gr.Textbox(first["a"], label="Group A (with the concept)", placeholder="e.g. 2:17, 2:22, 2:28",
                                elem_id="dcgan-a", max_length=MAX_REF_CHARS)
            c["b"] = gr.Textbox(first["b"], label="Group B (without it)", placeholder="e.g. 2:14, 2:20, 2:3",
                                elem_id="dcgan-b", max_length=MAX_REF_CHARS)
            c["c"] = gr.Textbox(first["c"], label="Group C (the face to change)", placeholder="e.g. 2:6",
                                elem_id="dcgan-c", max_length=MAX_REF_CHARS)
        with gr.Row():
            c["noise"] = _slider(NOISE)
            c["noise_seed"] = gr.Number(value=0, precision=0, minimum=0, maximum=latent.MAX_SEED,
                                        label="Noise seed")
            c["compute_btn"] = gr.Button("Compute", variant="primary")
            c["clear_btn"] = gr.Button("Clear groups")
        explain("The 8 neighbours add uniform noise in [−noise, +noise] to every coordinate of the result.")
        # The pictures are sent as JPEG files written once (playground/ui/pictures.py): PNG encoding of the
        # five arithmetic images cost more than the generator's forward pass.
        with gr.Row():
            for g in "abc":
                c[f"strip_{g}"] = gr.Image(first[f"strip_{g}"], label=f"{g.upper()}: exemplars → their mean",
                                           interactive=False, format="jpeg", elem_id=f"dcgan-strip-{g}")
        with gr.Row():
            c["equation"] = gr.Image(first["equation"], label="mean(A) − mean(B) + mean(C)", interactive=False,
                                     format="jpeg", elem_id="dcgan-equation", scale=2)
            c["neighbourhood"] = gr.Image(first["neighbourhood"], label="Result and 8 noisy neighbours",
                                          interactive=False, format="jpeg", elem_id="dcgan-result", scale=1)
        c["arith_md"] = gr.Markdown(first["arith_md"], elem_id="dcgan-arith-msg")

    with gr.Column() as c["group:interpolation"]:
        gr.Markdown(INTERP_HELP)
        with gr.Row():
            c["start"] = gr.Textbox(label="Interpolation start", placeholder="e.g. 2:17", max_length=MAX_REF_CHARS)
            c["end"] = gr.Textbox(label="Interpolation end", placeholder="e.g. 0:0", max_length=MAX_REF_CHARS)
            c["steps"] = _slider(INTERP_STEPS)
            c["interp_btn"] = gr.Button("Interpolate", variant="primary")
        # Output boxes stay hidden until they hold a picture: no empty image box on arrival.
        c["lerp_img"] = gr.Image(label="lerp: straight line", interactive=False, format="jpeg", visible=False)
        c["slerp_img"] = gr.Image(label="slerp: great circle", interactive=False, format="jpeg",
                                  elem_id="dcgan-slerp", visible=False)
        c["norms_md"] = gr.Markdown(elem_id="dcgan-norms")

    with gr.Column() as c["group:direction"]:
        gr.Markdown(DIRECTION_HELP)
        with gr.Row():
            c["base"] = gr.Textbox(label="Direction base (sample to change)", placeholder="e.g. 0:0",
                                   elem_id="dcgan-base", max_length=MAX_REF_CHARS)
            c["dir_kind"] = gr.Radio(list(h.DIRECTION_KINDS), value=h.DIRECTION_KINDS[0], label="Direction")
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
            c["inv_preview"] = gr.Image(label="G(z) while optimising", interactive=False, format="jpeg",
                                        visible=False)
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
        c["own_file"] = gr.File(label="Generator weights", file_types=[".pt", ".pth", ".safetensors"],
                                type="filepath")
        c["reset_btn"] = gr.Button("Back to the bundled face model")

    _guidelines_layout(c)
    share_panel(c, h.TAB_ID, h.GROUPS, lock_label="Lock the grid, groups and preset",
                about="A link that opens this tab with this grid seed, these groups and this preset. Tick groups to "
                      "hide them for a simpler student page, lock the page to the preset, or use large type for a "
                      "projector.")
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


# ---- wiring -----------------------------------------------------------------------------------------------------


def _wire(c: dict) -> None:
    # preprocess=False everywhere: the handlers check raw values and decode uploads themselves (see the
    # module docstring), so bad input gets a sentence instead of Gradio's bare "Error".
    raw = dict(preprocess=False)
    quick = dict(raw, concurrency_id="dcgan_quick", concurrency_limit=QUICK_AT_ONCE)

    on(c["show_btn"].click, c, h.show_samples, ("seed",), SAMPLES, api_name="dcgan_samples", **quick)
    on(c["seed"].submit, c, h.show_samples, ("seed",), SAMPLES, api_name=False, **quick)
    on(c["gallery"].select, c, h.place_clicked_sample, ("target", "shown_seed", *ARITHMETIC),
       ("a", "b", "c", "start", "end", "base", *FIGURE), clicked=True, api_name=False, show_progress="hidden", **quick)
    on(c["compute_btn"].click, c, h.arithmetic, ARITHMETIC, FIGURE, api_name="dcgan_arithmetic", **quick)
    for g in "abc":
        on(c[g].submit, c, h.arithmetic, ARITHMETIC, FIGURE, api_name=False, **quick)
    cleared = on(c["clear_btn"].click, c, h.clear_groups, (), ("a", "b", "c"), api_name=False, queue=False)
    on(cleared.then, c, h.arithmetic, ARITHMETIC, FIGURE, api_name=False, **raw)
    preset = on(c["preset_btn"].click, c, h.load_preset, ("preset",), ("a", "b", "c", "seed", "preset_note"),
                api_name="dcgan_preset", **raw)
    samples = on(preset.then, c, h.show_samples, ("seed",), SAMPLES, api_name=False, **raw)
    on(samples.then, c, h.arithmetic, ARITHMETIC, FIGURE, api_name=False, **raw)

    interpolated = on(c["interp_btn"].click, c, h.interpolate, ("start", "end", "steps", "inverted"),
                      ("lerp_img", "slerp_img", "norms_md"), api_name="dcgan_interpolate", **raw)
    on(interpolated.success, c, h.reveal("lerp_img", "slerp_img"), (), ("lerp_img", "slerp_img"), api_name=False,
       queue=False)
    for trigger, api_name in ((c["apply_btn"].click, "dcgan_direction"), (c["scale"].release, False)):
        moved = on(trigger, c, h.apply_direction, (*DIRECTION, "scale", "inverted"), ("moved",), api_name=api_name,
                   **raw)
        on(moved.success, c, h.reveal("moved"), (), ("moved",), api_name=False, queue=False)
    walked = on(c["walk_btn"].click, c, h.make_walk, (*DIRECTION, "extent", "inverted"), ("walk_img",),
                api_name="dcgan_walk", **raw)
    on(walked.success, c, h.reveal("walk_img"), (), ("walk_img",), api_name=False, queue=False)

    # Inversion keeps a core busy for seconds (one torch thread): one at a time, so the other core stays
    # free for the quick events of the whole class; the rest wait and see their place in the queue.
    on(c["inv_btn"].click, c, h.reveal("inv_preview"), (), ("inv_preview",), api_name=False, queue=False)
    inversion = on(c["inv_btn"].click, c, h.invert_face, ("upload", "inv_steps", "prior", "inverted"),
                   ("inv_preview", "inv_md", "inverted"), api_name="dcgan_invert",
                   concurrency_limit=INVERSIONS_AT_ONCE, show_progress="full", **raw)
    c["stop_btn"].click(None, None, None, cancels=[inversion], api_name=False)
    on(c["sample_target_btn"].click, c, h.use_sample_as_target, ("base", "inverted"), ("upload",), api_name=False,
       **raw)
    for g in "abc":
        added = on(c[f"add_{g}"].click, c, h.add_inverted(g), (g, "inverted"), (g,), api_name=False, **raw)
        on(added.then, c, h.arithmetic, ARITHMETIC, FIGURE, api_name=False, **raw)

    on(c["own_file"].upload, c, h.load_own_generator, ("own_file",), ("model_md",),
       api_name="dcgan_load_generator", **raw)
    on(c["reset_btn"].click, c, h.reset_generator, (), ("model_md",), api_name="dcgan_reset_generator")

    wire_copy_link(c, h.make_link, [*CONTROLS, "link_hide", "link_lock", "link_big"])


def build() -> LinkTarget:
    c = _layout()
    _wire(c)
    return link_target(c)


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
        on(event.then, c, h.after_link, ("link_opened", "seed", *ARITHMETIC), (*SAMPLES, *FIGURE), api_name=False,
           preprocess=False)

    sets = (*CONTROLS, "preset_note", "preset_btn", "clear_btn", "link_opened")
    return LinkTarget(c, h.TAB_ID, sets, values, after)
