"""The image translation tab (pix2pix, CycleGAN): ``layout`` (components and wiring), ``handlers``, ``texts``."""

from playground.ui.translation.layout import TITLE, build

__all__ = ["TITLE", "build"]
