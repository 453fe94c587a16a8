"""The DCGAN latent lab tab: ``layout`` (components and wiring), ``handlers``, ``texts``."""

from playground.ui.dcgan.layout import TITLE, build

__all__ = ["TITLE", "build"]
