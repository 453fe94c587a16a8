"""Inversion recovers a generated face and reports progress with previews."""

import numpy as np
import pytest
from PIL import Image

from playground.dcgan.invert import invert, invert_image, prepare_target
from playground.dcgan.latent import sample_z
from playground.dcgan.pretrained import generate, load_bundled_generator
from playground.errors import UserError


def test_prepare_target_crops_and_scales():
    img = np.zeros((100, 200, 3), dtype=np.uint8)
    img[:, 50:150] = 255  # the centre square is white, the sides black
    x = prepare_target(img)
    assert x.shape == (1, 3, 64, 64)
    assert float(x.min()) > 0.99  # centre crop kept only the white square, scaled to [-1, 1]
    x2 = prepare_target(Image.fromarray(np.full((64, 64), 0, np.uint8)))
    assert float(x2.max()) == -1.0
    with pytest.raises(UserError, match="Upload"):
        prepare_target(None)
    with pytest.raises(UserError, match="too small"):
        prepare_target(np.zeros((4, 4, 3), np.uint8))


def test_inversion_of_a_generated_face_reduces_error_and_streams_previews():
    g = load_bundled_generator("cpu")
    target = generate(sample_z(2, 17)[None])[0]
    steps = list(invert(g, target, steps=40, starts=2, seed=0, preview_every=10))
    assert [s.step for s in steps] == list(range(1, 41))
    previews = [s for s in steps if s.preview is not None]
    assert [s.step for s in previews] == [10, 20, 30, 40]
    assert previews[-1].preview.shape == (64, 64, 3) and previews[-1].preview.dtype == np.uint8
    assert steps[-1].mse < 0.5 * steps[0].mse
    assert steps[-1].z.shape == (100,)
    assert not any(p.requires_grad for p in g.parameters())  # the shared generator is left as it was


@pytest.mark.slow
def test_inversion_recovers_a_generated_face_closely():
    g = load_bundled_generator("cpu")
    target = generate(sample_z(2, 17)[None])[0]
    last = invert_image(g, target, steps=200, starts=4)
    assert last.mse < 0.02
    assert np.abs(last.preview.astype(int) - target.astype(int)).mean() < 15
