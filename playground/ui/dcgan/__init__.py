"""The DCGAN latent lab tab: ``layout`` (components and wiring), ``handlers`` (what each event computes, by
name, and the inversion's ZeroGPU entry point), ``texts``."""

from playground.ui.dcgan.layout import TITLE, build

__all__ = ["TITLE", "build"]
