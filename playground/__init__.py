"""GAN Playground: an interactive GAN lab.

Model code lives in one sub-package per area (``toy2d``, ``dcgan``, ``translation``,
``metrics``); the Gradio tabs live in :mod:`playground.ui` and only call into it.
"""

__version__ = "0.1.0"
