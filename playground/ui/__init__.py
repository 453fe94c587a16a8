"""Gradio user interface: one module per tab (``<area>_tab.py``), each calling into ``playground.<area>``."""
