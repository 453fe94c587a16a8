"""The Dirac-GAN tab: ``layout`` (components and wiring), ``handlers`` (what each event computes, by name), ``texts``."""

from playground.ui.dirac.layout import TITLE, build

__all__ = ["TITLE", "build"]
