"""The Dirac-GAN tab's layout and wiring: why GAN training oscillates, in the smallest game that shows it.

The whole answer takes a few milliseconds, so the page shows the default picture as it opens (it is the
component's first value) and redraws on every change. The handlers are :mod:`playground.ui.dirac.handlers`,
the words :mod:`playground.ui.dirac.texts`.
"""

from __future__ import annotations

import gradio as gr

from playground.toy2d.dirac import SETTINGS, VARIANTS, DiracSettings
from playground.ui.common import LinkTarget, on, share_panel, wire_copy_link
from playground.ui.dirac.handlers import FIELDS, GROUPS, KNOBS, PAPER, SHOWS, TAB_ID, after_link, make_link, \
    paper_settings, show
from playground.ui.dirac.texts import ABOUT, INTRO, LEAD, TAB_CSS

TITLE = "Dirac-GAN"


def _control(s, visible: bool = True) -> gr.Component:
    common = dict(label=s.label, info=s.help, elem_id=f"dirac-{s.name}", visible=visible)
    if s.control == "radio":
        labels = [(VARIANTS[c].label, c) if c in VARIANTS else (c, c) for c in s.choices]
        return gr.Radio(labels, value=s.default, **common)
    return gr.Slider(s.lo, s.hi, value=s.default, step=s.step, **common)


def _layout() -> dict:
    c: dict = {}
    first = show(DiracSettings().to_dict())  # the page opens with the paper's picture: no empty box
    with gr.Row(elem_id="dirac-main"):
        with gr.Column(scale=3):
            c["figure"] = gr.HTML(first["figure"], elem_id="dirac-figure", padding=False, js_on_load=None)
            c["eigen"] = gr.Markdown(first["eigen"], elem_id="dirac-eigen")
        with gr.Column(scale=1, min_width=300, elem_id="dirac-settings"):
            with gr.Column() as c["group:game"]:
                for name in ("variant", "rule"):
                    c[name] = _control(SETTINGS[name])
            with gr.Column() as c["group:steps"]:
                for name in ("h", "n_steps"):
                    c[name] = _control(SETTINGS[name])
            with gr.Column() as c["group:knobs"]:
                c["no_knobs"] = gr.Markdown("This objective has no regulariser, so no knob.", elem_classes=["explain"],
                                            visible=first["no_knobs"]["visible"])
                for name in KNOBS:
                    c[name] = _control(SETTINGS[name], visible=first[name]["visible"])
            c["paper"] = gr.Button("The paper's settings", size="sm", elem_id="dirac-paper")
    with gr.Column() as c["group:notes"]:  # below the picture: the projector view shows the picture first
        gr.Markdown(INTRO + ABOUT, elem_id="dirac-about")
    share_panel(c, TAB_ID, GROUPS, about="A link that opens this picture: the objective, the update rule, the "
                "step size and count, and the knobs. Tick groups to hide them, or use large type for a projector.")
    c["link_opened"] = gr.State(False)  # set by an opened link to this tab
    return c


# ---- wiring -----------------------------------------------------------------------------------------------------


def _wire(c: dict) -> None:
    for name in FIELDS:  # each change redraws (a few milliseconds; sliders on release)
        control = c[name]
        event = control.release if isinstance(control, gr.Slider) else control.input
        on(event, c, show, FIELDS, SHOWS, api_name=False, queue=False, show_progress="hidden")
    # the API: the same answer for gradio_client users, with the settings as named parameters
    c["api"] = gr.Button(visible=False)
    on(c["api"].click, c, show, FIELDS, SHOWS, api_name="dirac_show", show_progress="hidden")
    paper = on(c["paper"].click, c, paper_settings, (), PAPER, api_name=False, queue=False)
    on(paper.then, c, show, FIELDS, SHOWS, api_name=False, queue=False)
    wire_copy_link(c, make_link, [*FIELDS, "link_hide", "link_big"])


def build() -> LinkTarget:
    gr.HTML(f"<style>{TAB_CSS}</style>{LEAD}", elem_id="dirac-lead", padding=False, js_on_load=None)
    c = _layout()
    _wire(c)
    return link_target(c)


def link_target(c: dict) -> LinkTarget:
    """What an opened share link sets here: every setting; then the link's picture is drawn."""
    def after(event) -> None:
        on(event.then, c, after_link, ("link_opened", *FIELDS), SHOWS, api_name=False, queue=False)

    return LinkTarget(c, TAB_ID, (*FIELDS, "link_opened"),
                      lambda state, options: {**{n: state[n] for n in FIELDS}, "link_opened": True}, after)
