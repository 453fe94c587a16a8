"""The Metrics tab's layout and wiring: upload generated and real images, get FID, KID, IS and precision/recall,
explained.

The handlers (sessions, limits, the precomputed example, share links) are :mod:`playground.ui.metrics.handlers`,
the table and figures :mod:`~playground.ui.metrics.results`, the words :mod:`~playground.ui.metrics.texts`, the
computation :mod:`playground.metrics`.
"""

from __future__ import annotations

import gradio as gr

from playground.metrics import MODES
from playground.metrics.examples import EXAMPLES
from playground.ui.common import LinkTarget, explain, on, share_panel, wire_copy_link
from playground.ui.metrics.handlers import APP_MAX_IMAGES_PER_SET, APP_MAX_SECONDS, GROUPS, INPUTS, LINK, OUTPUTS, \
    SETTINGS, STORED, TAB_ID, choose_example, compute, example_handler, explain_mode, make_link, on_load, \
    poll_precomputed, run_link_example, start_precompute
from playground.ui.metrics.results import EMPTY_TABLE
from playground.ui.metrics.texts import EXAMPLES_LEAD, FAKE_FILES_HELP, INTRO, METRICS_HELP, MODE_HELP, \
    REAL_FILES_HELP, SHARE_ABOUT, TEACH, limits_note

TITLE = "Metrics"


def _layout() -> dict:
    c: dict = {"example": gr.State(None), "link_opened": gr.State(False)}
    gr.Markdown(INTRO)
    with gr.Row() as c["group:inputs"]:
        _inputs_layout(c)
    with gr.Row() as c["group:settings"]:
        _settings_layout(c)
    c["run"] = gr.Button("Compute metrics", variant="primary")
    explain(limits_note(APP_MAX_IMAGES_PER_SET, APP_MAX_SECONDS))
    with gr.Column() as c["group:examples"]:
        gr.Markdown(EXAMPLES_LEAD)
        with gr.Row():
            for kind, text in EXAMPLES.items():
                c[f"example_{kind}"] = gr.Button(f"Example: {text}", size="sm")
    with gr.Column() as c["group:results"]:
        _results_layout(c)
    with gr.Column() as c["group:analysis"]:
        _analysis_layout(c)
    with gr.Accordion("What do these numbers measure?", open=False) as c["group:help"]:
        gr.Markdown(TEACH)
    share_panel(c, TAB_ID, GROUPS, about=SHARE_ABOUT)
    # fetches the precomputed example for a page that arrived before it was there (started on load)
    c["example_timer"] = gr.Timer(1.0, active=False)
    return c


def _inputs_layout(c: dict) -> None:
    """The two upload columns: generated images and real images (or their statistics)."""
    with gr.Column():
        c["fake_files"] = gr.File(
            label="Generated images (image files or a .zip)",
            file_count="multiple",
            file_types=["image", ".zip"],
            height=160,
            elem_id="metrics-fake-files",
        )
        explain(FAKE_FILES_HELP)
    with gr.Column():
        c["real_files"] = gr.File(
            label="Real images (image files, a .zip, or a pytorch-fid .npz)",
            file_count="multiple",
            file_types=["image", ".zip", ".npz"],
            height=160,
            elem_id="metrics-real-files",
        )
        explain(REAL_FILES_HELP)


def _settings_layout(c: dict) -> None:
    """The resize convention (with its explanation) and the metrics to compute."""
    with gr.Column():
        c["mode"] = gr.Radio(list(MODES), value="clean", label="Resize convention (how images become 299×299)")
        c["mode_help"] = explain(MODE_HELP["clean"])
    with gr.Column():
        c["metrics"] = gr.CheckboxGroup(
            [("FID", "fid"), ("KID", "kid"), ("Inception Score", "is"), ("Precision / recall", "pr")],
            value=["fid", "kid", "pr"],
            label="Metrics",
        )
        explain(METRICS_HELP)


def _results_layout(c: dict) -> None:
    c["status"] = gr.Markdown(elem_id="metrics-status")
    c["table"] = gr.Dataframe(
        headers=["Metric", "Value", "Reading it"],
        value=EMPTY_TABLE,
        label="Results",
        interactive=False,
        wrap=True,
        elem_id="metrics-results",
    )
    c["notes"] = gr.Markdown(elem_id="metrics-notes")


def _analysis_layout(c: dict) -> None:
    with gr.Row():
        # shown with their first figure (the precomputed example's, or a computation's): no empty box on arrival
        c["pca_plot"] = gr.Plot(label="Real vs generated features (2-D PCA)", visible=False)
        c["fidn_plot"] = gr.Plot(label="FID vs sample size", visible=False)
    with gr.Row():
        with gr.Column():
            c["nn_image"] = gr.Image(
                label="Memorisation check: nearest real neighbours of generated images",
                type="numpy",
                interactive=False,
                height=380,
                visible=False,  # appears with its first picture: no empty image box on arrival
            )
            c["nn_text"] = gr.Markdown()
        c["is_plot"] = gr.Plot(label="IS: class histogram of the generated images", visible=False)


# ---- wiring -----------------------------------------------------------------------------------------------------


def _wire(c: dict) -> None:
    on(c["example_timer"].tick, c, poll_precomputed, (), (*STORED, "example_timer"), api_name=False, queue=False,
       show_progress="hidden")
    on(c["mode"].change, c, explain_mode, ("mode",), ("mode_help",), api_name=False, queue=False)
    on(c["run"].click, c, compute, INPUTS, OUTPUTS, api_name="metrics_compute", concurrency_limit=1,
       concurrency_id="metrics",
       show_progress="full")  # the queue position and the progress bar, over the results
    for kind in EXAMPLES:
        button = c[f"example_{kind}"]
        on(button.click, c, choose_example(kind), (), ("example",), api_name=False, queue=False)
        on(button.click, c, example_handler(kind), SETTINGS, OUTPUTS, api_name=f"metrics_example_{kind}",
           concurrency_limit=1, concurrency_id="metrics", show_progress="full")
    wire_copy_link(c, make_link, [*LINK, "link_hide", "link_big"])


def build() -> LinkTarget:
    start_precompute()  # the examples' results, once per server, in the background
    c = _layout()
    _wire(c)
    return link_target(c)


def link_target(c: dict) -> LinkTarget:
    """What an opened share link sets here: the example, convention and metrics; then the results are filled (the
    precomputed example, or the link's example computed as its button would)."""

    def after(event) -> None:
        shown = on(event.then, c, on_load, ("link_opened", "example"), (*STORED, "example_timer"), api_name=False,
                   queue=False)
        # the link's own example; every page load passes here, so it has a queue of its own: a page without a
        # link returns at once and never waits behind (or takes a place in) the metrics queue, and links'
        # examples still run one at a time
        on(shown.then, c, run_link_example, ("link_opened", *LINK), OUTPUTS, api_name=False, concurrency_limit=1,
           concurrency_id="metrics_link", show_progress="full")

    return LinkTarget(c, TAB_ID, (*LINK, "link_opened"),
                      lambda state, options: {**{n: state[n] for n in LINK}, "link_opened": True}, after)
