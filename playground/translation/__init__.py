"""Image-to-image translation: pix2pix and CycleGAN networks, training, loaders and the official zoo, and the
models as a server shares them (``serving``)."""
