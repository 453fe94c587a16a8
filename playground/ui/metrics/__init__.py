"""The Metrics tab: ``layout`` (components and wiring), ``handlers`` (what each event computes, by name),
``results`` (the table and figures of a report), ``session`` (what one browser session holds), ``texts``."""

from playground.ui.metrics.layout import TITLE, build

__all__ = ["TITLE", "build"]
