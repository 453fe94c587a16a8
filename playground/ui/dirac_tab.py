"""The Dirac-GAN tab: why GAN training oscillates, in the smallest game that shows it (Mescheder et al., 2018).

The game, its variants and the eigenvalues are :mod:`playground.toy2d.dirac`; the picture is
:mod:`playground.toy2d.dirac_figure`. Here are the handlers (plain functions), the layout and the wiring. The
whole answer takes a few milliseconds, so the page shows the default picture as it opens (it is the
component's first value) and redraws on every change.
"""

from __future__ import annotations

import gradio as gr
import numpy as np

from playground import share
from playground.toy2d import dirac
from playground.toy2d.dirac import SETTINGS, VARIANTS, DiracSettings
from playground.toy2d.dirac_figure import figure_svg
from playground.ui.common import LinkTarget, named_inputs, share_panel, user_errors, \
    wire_copy_link

TITLE = "Dirac-GAN"
TAB_ID = "dirac"
GROUPS = share.DIRAC_GROUPS
FIELDS = tuple(SETTINGS)  # the settings, in declaration order: the handlers' inputs
KNOBS = tuple(n for n, s in SETTINGS.items() if s.group == "knobs")

LEAD = ("<b>Why GAN training oscillates</b>, in the smallest GAN there is. Pick an objective and an update rule: the "
        "picture and the eigenvalues follow; what they mean is explained under the picture.")
# the projector view (?big=1): the picture and its eigenvalues on the first screen (1280x720, 1024x768)
TAB_CSS = "body.gp-big #dirac-lead { display: none !important; }"
INTRO = """
**The smallest GAN.** The data is a single point at 0; the generator puts its single point at θ; the
discriminator is a line, D(x) = ψ·x. The pair (θ, ψ) = (0, 0) is the game's Nash equilibrium: G sits on the
data and D, now flat, cannot tell them apart. The arrows show where gradient training moves the two players
from every point of the plane; the purple line is their path from (1, 1).
"""

ABOUT = """
**Why the path turns instead of arriving.** When G is right of the data (θ > 0), D tilts its line to tell
the right side apart (ψ grows); that tilt pushes G left, past the data; then D tilts the other way, which
pushes G right again, and so on. Near (0, 0) the field is a pure rotation: the eigenvalues of its Jacobian are ±i/2, with no real
part to pull the players in. This is the lecture's "because D and G oscillate, we never reach the Nash
equilibrium", in two numbers.

**Simultaneous vs alternating.** A simultaneous step moves both players along the tangent of the circle
they are on, and a tangent always leads outside the circle: near the equilibrium each step multiplies the
distance by √(1 + h²/4) > 1, so the path spirals out. An alternating step lets D answer G's new position; the two
errors cancel (the step's determinant is exactly 1) and the path circles for ever, never closer.

**What converges.** A penalty on D's gradient at the real data (R1: γ/2·ψ²) or noise on both data and
samples adds a real part −γ/2 (or −σ²/4) to the eigenvalues: each turn is a little smaller, and the path spirals
into the equilibrium at the rate the dashed line predicts. WGAN's clipping and WGAN-GP do not give that real
part, so they still circle. None of this tells you *when* to stop: the losses oscillate too, which is why
there is no golden rule and the lecture watches sample quality instead.

Source: L. Mescheder, A. Geiger, S. Nowozin, *Which Training Methods for GANs do actually Converge?*, ICML 2018
(its notebook `DiracGAN.ipynb`: h = 0.2, 500 steps from (1, 1); WGAN c = 1, WGAN-GP λ = 0.7, instance noise
σ = 0.7, R1 γ = 0.3).
"""


# ---- handlers -------------------------------------------------------------------------------------------------


def _number(z: complex) -> str:
    """A complex eigenvalue and its conjugate, as ``−0.1500 ± 0.4770i``."""
    re, im = (0.0 if abs(x) < 5e-5 else x for x in (z.real, z.imag))
    if im == 0:
        text = f"{re:.4f}"
    elif re == 0:
        text = f"±{abs(im):.4f}i"
    else:
        text = f"{re:.4f} ± {abs(im):.4f}i"
    return text.replace("-", "−")


def _eigen_text(r: dirac.DiracRun) -> str:
    """The eigenvalues (from the field, with their formula), what they predict for this rule, and what the path
    did: three short lines, then the objective's caption."""
    s, v = r.settings, VARIANTS[r.settings.variant]
    ev, cf = r.eigenvalues, r.closed_form

    def both(z):  # a conjugate pair as one number, else the two
        return _number(z[0]) if z[0].imag != 0 and np.isclose(z[0], np.conj(z[1])) else " and ".join(map(_number, z))

    where = "at (0, 0)" if v.smooth else "just above ψ = 0 (at ψ = 0 the field jumps: no Jacobian)"
    line = f"**Eigenvalues {where}:** {both(ev)} = {v.formula}"
    if not np.allclose(ev, cf, atol=1e-6):  # the formula and the field disagree: show both (a bug, never seen)
        line += f" (the formula gives {both(cf)})"
    lines = [line]
    if r.step_radius is not None:
        mu = r.step_radius
        if mu > 1 + 1e-9:
            verdict = "the path spirals **out**"
        elif mu < 1 - 1e-9:
            verdict = "the path spirals **in**"
        else:
            verdict = "the path **circles**, neither in nor out"
        lines.append(f"**One {s.rule} step** multiplies a small distance by |μ| = {mu:.4f}: {verdict}.")
    d = r.distance
    lines.append(f"**This path:** distance {d[0]:.3g} → {d[-1]:.3g} after {s.n_steps} steps "
                 f"(largest {np.nanmax(d):.3g}).")
    return "  \n".join(lines) + f"\n\n{v.caption}"


def show(v: dict, request: gr.Request | None = None) -> dict:
    """The picture, the eigenvalues and the chosen objective's knobs for the settings ``v`` (by name)."""
    settings = DiracSettings.from_dict({k: v[k] for k in FIELDS if k in v})
    r = dirac.run(settings)
    uses = VARIANTS[settings.variant].uses
    out = {"figure": figure_svg(r), "eigen": _eigen_text(r),
           "no_knobs": gr.update(visible=not uses)}
    out.update({k: gr.update(visible=k in uses) for k in KNOBS})
    return out


def make_link(v: dict, request: gr.Request | None = None) -> str:
    """The query part of a link that reopens this tab with these settings."""
    settings = DiracSettings.from_dict({k: v[k] for k in FIELDS})
    options = {"hide": tuple(v.get("link_hide") or ()), "big": bool(v.get("link_big"))}
    return share.build_link("", TAB_ID, settings.to_dict(), options)


# ---- layout -----------------------------------------------------------------------------------------------------


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


def _by_component(c: dict, fn):
    """``fn`` returns its outputs by name; Gradio wants them by component."""
    def handler(values, request=None):
        return {c[k]: val for k, val in fn(values, request).items()}

    handler.__name__ = fn.__name__
    return handler


def _outputs(c: dict) -> list:
    return [c["figure"], c["eigen"], c["no_knobs"], *(c[k] for k in KNOBS)]


def _wire(c: dict) -> None:
    inputs = [c[n] for n in FIELDS]
    redraw = named_inputs(FIELDS, user_errors(_by_component(c, show)))
    for name in FIELDS:  # each change redraws (a few milliseconds; sliders on release)
        control = c[name]
        event = control.release if isinstance(control, gr.Slider) else control.input
        event(redraw, inputs, _outputs(c), api_name=False, queue=False, show_progress="hidden")
    # the API: the same answer for gradio_client users, with the settings as named parameters
    api = gr.Button(visible=False)
    api.click(redraw, inputs, _outputs(c), api_name="dirac_show", show_progress="hidden")
    defaults = DiracSettings()
    c["paper"].click(lambda: [defaults.h, defaults.n_steps, defaults.gamma, defaults.gp, defaults.sigma, defaults.clip],
                     None, [c[n] for n in ("h", "n_steps", "gamma", "gp", "sigma", "clip")], api_name=False,
                     queue=False).then(redraw, inputs, _outputs(c), api_name=False, queue=False)
    wire_copy_link(c, make_link, [*FIELDS, "link_hide", "link_big"])


def build() -> LinkTarget:
    gr.HTML(f"<style>{TAB_CSS}</style>{LEAD}", elem_id="dirac-lead", padding=False, js_on_load=None)
    c = _layout()
    _wire(c)
    return link_target(c)


def link_target(c: dict) -> LinkTarget:
    """What an opened share link sets here: every setting; then the link's picture is drawn."""

    def after_link(v: dict, request=None) -> dict:
        if not v.get("link_opened"):
            return {k: gr.skip() for k in ("figure", "eigen", "no_knobs", *KNOBS)}
        return show(v)

    def after(event) -> None:
        names = ["link_opened", *FIELDS]
        event.then(named_inputs(names, user_errors(_by_component(c, after_link))), [c[n] for n in names],
                   _outputs(c), api_name=False, queue=False)

    return LinkTarget(c, TAB_ID, (*FIELDS, "link_opened"),
                      lambda state, options: {**{n: state[n] for n in FIELDS}, "link_opened": True}, after)
