"""The image translation tab (pix2pix, CycleGAN): ``layout`` (components and wiring), ``handlers`` (what each event
computes, by name), ``texts``; the shared models and the ZeroGPU run are ``playground.translation.serving``."""

from playground.ui.translation.layout import TITLE, build

__all__ = ["TITLE", "build"]
