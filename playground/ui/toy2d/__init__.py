"""The 2-D GAN lab tab: ``layout`` (components and wiring), ``handlers`` (what each event computes, by name),
``texts`` (its words), ``frame_route`` (how a playing page pulls its frames) and the page's scripts
(``charts.js``, ``graph.js``, ``canvas.js``)."""

from playground.ui.toy2d.layout import TITLE, build

__all__ = ["TITLE", "build"]
