"""The Dirac-GAN tab's handlers: the picture and its eigenvalues for a set of settings, and the tab's link.

The game, its variants and the eigenvalues are :mod:`playground.toy2d.dirac`; the picture is
:mod:`playground.toy2d.dirac_figure`. Each handler takes its inputs as a dict by name and returns its outputs
the same way (``playground.ui.common.on`` wires them).
"""

from __future__ import annotations

import gradio as gr
import numpy as np

from playground import share
from playground.toy2d import dirac
from playground.toy2d.dirac import SETTINGS, VARIANTS, DiracSettings
from playground.toy2d.dirac_figure import figure_svg

TAB_ID = "dirac"
GROUPS = share.DIRAC_GROUPS
FIELDS = tuple(SETTINGS)  # the settings, in declaration order: the handlers' inputs
KNOBS = tuple(n for n, s in SETTINGS.items() if s.group == "knobs")
SHOWS = ("figure", "eigen", "no_knobs", *KNOBS)  # what a redraw sets
PAPER = ("h", "n_steps", "gamma", "gp", "sigma", "clip")  # the settings "The paper's settings" puts back


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


def after_link(v: dict, request=None) -> dict:
    """Once an opened link has set the controls, its picture; a page opened without a link keeps the first."""
    return show(v) if v.get("link_opened") else {}


def paper_settings(v: dict, request=None) -> dict:
    """The paper's step size, step count and knobs (its notebook's), keeping the objective and the rule."""
    defaults = DiracSettings()
    return {n: getattr(defaults, n) for n in PAPER}
