"""The Metrics tab: upload generated and real images, get FID, KID, IS and precision/recall, explained.

Layout and wiring only: the handlers (sessions, limits, the precomputed example, share links) live in
``metrics_handlers.py``, the table and figures in ``metrics_results.py``, the computation in
``playground.metrics``.
"""

from __future__ import annotations

import gradio as gr

from playground.metrics import MODES
from playground.metrics.compute import IS_MIN_PER_SPLIT, IS_SPLITS
from playground.metrics.examples import EXAMPLES
from playground.ui import metrics_handlers as h
from playground.ui.common import explain, share_panel, wire_copy_link
from playground.ui.metrics_handlers import APP_MAX_IMAGES_PER_SET, APP_MAX_SECONDS
from playground.ui.metrics_results import EMPTY_TABLE

TITLE = "Metrics"

INTRO = """
### Measuring a GAN
A GAN has no likelihood to report, so we compare **sets of images** instead: the images are passed
through an Inception network trained on ImageNet and the metrics compare the resulting 2048-number
feature vectors. Upload a folder's worth of **generated** images and of **real** images (or a `.zip`,
or a pytorch-fid `.npz` of real statistics), or click an example below.
"""

TEACH = f"""
**Inception Score (IS)** looks only at the generated images. Each image should be classified
confidently (a peaked p(y|x)) and, over the set, all classes should be used (a flat p(y)).
IS = exp(E KL(p(y|x) ‖ p(y))). Worst value **1** (every image gets the same prediction); best value
the number of classes (**1008** here) — each image one confident class, all classes equally often.
IS is averaged over {IS_SPLITS} splits of the set, and a split of n images can never score above n
(p(y) mixes only n predictions): 10 images in 10 splits would always give exactly 1. So small sets get
fewer splits of at least {IS_MIN_PER_SPLIT} images (one split below {IS_SPLITS * IS_MIN_PER_SPLIT}
images); the table says how many and the best value possible. Published IS use 50,000 images.
IS never looks at real data, so it cannot tell you that your faces look unlike real faces.

**Fréchet Inception Distance (FID)** fits a Gaussian (mean μ, covariance Σ) to the features of each
set and measures the distance between the two Gaussians:
|μ_r − μ_g|² + Tr(Σ_r + Σ_g − 2 (Σ_r Σ_g)^½). 0 means identical statistics; lower is better.
**Why many samples?** Σ has 2048 × 2048 entries. With fewer than 2048 images it is singular, and
every estimate is *biased upwards* — the same generator scores worse with fewer images. Published
FIDs use 10,000–50,000 images; only compare FIDs computed with the same N and the same resize
convention (the three conventions differ by several FID points on the same images).

**Kernel Inception Distance (KID)** is an unbiased estimate of the squared MMD between the feature
sets (cubic polynomial kernel), so it does not drift with N — better for small sets. It can be
slightly negative when the sets are alike.

**Precision / recall** (k = 3): precision = share of generated images that fall inside the real
images' k-nearest-neighbour balls (realism); recall = share of real images covered by the generated
balls (diversity; low recall = mode collapse). **Density / coverage** (k = 5) are the
outlier-robust versions (Naeem et al. 2020).
"""

MODE_HELP = {
    "clean": "clean-fid's default: PIL bicubic resize to 299×299 with antialiasing, no rounding.",
    "legacy_tensorflow": "The original TF FID and StyleGAN: TF1 bilinear resize (aliases when shrinking).",
    "legacy_pytorch": "pytorch-fid's numbers: torch bilinear resize, align_corners=False.",
}


def build() -> "h.LinkTarget":
    h.start_precompute()  # the examples' results, once per server, in the background
    c: dict = {"example": gr.State(None), "link_opened": gr.State(False)}
    gr.Markdown(INTRO)
    with gr.Row() as c["group:inputs"]:
        fake_files, real_files = _inputs_layout()
    with gr.Row() as c["group:settings"]:
        c["mode"], mode_help, c["metrics"] = _settings_layout()
    mode, metrics = c["mode"], c["metrics"]
    run = gr.Button("Compute metrics", variant="primary")
    explain(
        f"This shared app measures up to {APP_MAX_IMAGES_PER_SET:,} images per set and gives one click "
        f"{APP_MAX_SECONDS} s of computing (about {APP_MAX_SECONDS * 3:,} images on a CPU; a set it has "
        "seen is instant). One computation runs at a time: while you wait, the results show your place in "
        "the queue. No limits in `python -m playground.metrics`."
    )
    with gr.Column() as c["group:examples"]:
        gr.Markdown("**Examples (no upload needed, 10 images each — about a minute on a CPU):**")
        with gr.Row():
            ex_buttons = {kind: gr.Button(f"Example: {text}", size="sm") for kind, text in EXAMPLES.items()}
    with gr.Column() as c["group:results"]:
        status, table = _results_layout()
        notes = gr.Markdown(elem_id="metrics-notes")
    with gr.Column() as c["group:analysis"]:
        outputs = _analysis_layout()
    with gr.Accordion("What do these numbers measure?", open=False) as c["group:help"]:
        gr.Markdown(TEACH)
    share_panel(c, "metrics", h.GROUPS,
                about="A link that opens this tab with this example (computed when the page opens), convention and "
                      "metrics. Tick groups to hide them for a simpler student page, or use large type for a projector.")
    pca_plot, fidn_plot, nn_image, nn_text, is_plot = outputs
    # fetches the precomputed example for a page that arrived before it was there (started on load)
    c["example_timer"] = gr.Timer(1.0, active=False)
    c["example_timer"].tick(h.poll_precomputed, None, [status, table, notes, pca_plot, fidn_plot, c["example_timer"]],
                            api_name=False,
                            queue=False, show_progress="hidden")
    c.update(status=status, table=table, notes=notes)
    c["outputs"] = outputs = [status, table, notes, pca_plot, fidn_plot, nn_image, nn_text, is_plot]
    _wire(c, fake_files, real_files, mode, metrics, mode_help, run, ex_buttons, outputs)
    link_names = ["example", "mode", "metrics", "link_hide", "link_big"]
    wire_copy_link(c, h.make_link, link_names)
    return h.link_target(c, h.run_link_example)


def _inputs_layout():
    """The two upload columns: generated images and real images (or their statistics)."""
    with gr.Column():
        fake_files = gr.File(
            label="Generated images (image files or a .zip)",
            file_count="multiple",
            file_types=["image", ".zip"],
            height=160,
            elem_id="metrics-fake-files",
        )
        explain(
            "Select all the files of a folder (Ctrl+A in the file dialog) or upload it zipped. Any size, "
            "any format Pillow reads; grayscale/RGBA/16-bit become RGB. IS is computed on these."
        )
    with gr.Column():
        real_files = gr.File(
            label="Real images (image files, a .zip, or a pytorch-fid .npz)",
            file_count="multiple",
            file_types=["image", ".zip", ".npz"],
            height=160,
            elem_id="metrics-real-files",
        )
        explain(
            "A `.npz` with `mu` and `sigma` (from pytorch-fid or "
            "`python -m playground.metrics --save-stats`) gives FID only."
        )
    return fake_files, real_files


def _settings_layout():
    """The resize convention (with its explanation) and the metrics to compute."""
    with gr.Column():
        mode = gr.Radio(list(MODES), value="clean", label="Resize convention (how images become 299×299)")
        mode_help = explain(MODE_HELP["clean"])
    with gr.Column():
        metrics = gr.CheckboxGroup(
            [("FID", "fid"), ("KID", "kid"), ("Inception Score", "is"), ("Precision / recall", "pr")],
            value=["fid", "kid", "pr"],
            label="Metrics",
        )
        explain(
            "IS downloads its 1008-class weights (~91 MB) on first use; the others need only the FID "
            f"network. IS needs many images: under {IS_SPLITS * IS_MIN_PER_SPLIT} it uses fewer than "
            f"{IS_SPLITS} splits (each split's IS is capped by its size) and says so."
        )
    return mode, mode_help, metrics


def _results_layout():
    status = gr.Markdown(elem_id="metrics-status")
    table = gr.Dataframe(
        headers=["Metric", "Value", "Reading it"],
        value=EMPTY_TABLE,
        label="Results",
        interactive=False,
        wrap=True,
        elem_id="metrics-results",
    )
    return status, table


def _analysis_layout():
    with gr.Row():
        # shown with their first figure (the precomputed example's, or a computation's): no empty box on arrival
        pca_plot = gr.Plot(label="Real vs generated features (2-D PCA)", visible=False)
        fidn_plot = gr.Plot(label="FID vs sample size", visible=False)
    with gr.Row():
        with gr.Column():
            nn_image = gr.Image(
                label="Memorisation check: nearest real neighbours of generated images",
                type="numpy",
                interactive=False,
                height=380,
                visible=False,  # appears with its first picture: no empty image box on arrival
            )
            nn_text = gr.Markdown()
        is_plot = gr.Plot(label="IS: class histogram of the generated images", visible=False)
    return pca_plot, fidn_plot, nn_image, nn_text, is_plot


def _wire(c, fake_files, real_files, mode, metrics, mode_help, run, ex_buttons, outputs):
    mode.change(lambda m: gr.Markdown(MODE_HELP.get(m, "")), mode, mode_help, api_name=False, queue=False)
    run.click(
        h.compute,
        [fake_files, real_files, mode, metrics],
        outputs,
        api_name="metrics_compute",
        concurrency_limit=1,
        concurrency_id="metrics",
        show_progress="full",  # the queue position and the progress bar, over the results
    )
    for kind, button in ex_buttons.items():
        button.click(lambda k=kind: k, None, c["example"], api_name=False, queue=False)
        button.click(
            h.example_handler(kind),
            [mode, metrics],
            outputs,
            api_name=f"metrics_example_{kind}",
            concurrency_limit=1,
            concurrency_id="metrics",
            show_progress="full",
        )
