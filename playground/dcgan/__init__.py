"""DCGAN latent lab: the pytorch/examples DCGAN, latent-space maths, inversion and training.

Nothing here imports gradio; the tab in ``playground/ui/dcgan/`` calls these functions.
"""
