"""Gradio user interface: one package per tab (``playground/ui/<tab>/``: layout, handlers, texts), each calling into
``playground.<area>``; the pieces every tab shares (wiring, sessions, the gates in front of the queue) beside them."""
