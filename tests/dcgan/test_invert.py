"""Inversion recovers a generated face and reports progress with previews."""

import copy

import numpy as np
import pytest
import torch
from PIL import Image

from playground.dcgan.invert import invert, prepare_target
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
    # A trainable copy in train mode, as a training script would hold it: inversion must leave it as it was.
    g = copy.deepcopy(load_bundled_generator("cpu")).train().requires_grad_(True)
    before = {k: v.clone() for k, v in g.state_dict().items()}
    target = generate(sample_z(2, 17)[None])[0]
    steps = list(invert(g, target, steps=40, starts=2, seed=0, preview_every=10))
    assert [s.step for s in steps] == list(range(1, 41))
    previews = [s for s in steps if s.preview is not None]
    assert [s.step for s in previews] == [10, 20, 30, 40]
    assert previews[-1].preview.shape == (64, 64, 3) and previews[-1].preview.dtype == np.uint8
    assert steps[-1].mse < 0.5 * steps[0].mse
    assert steps[-1].z.shape == (100,)
    # Only z was optimised: weights and batch-norm statistics are bit for bit the ones before (eval mode
    # inside, or 80 forward passes would have moved the running means), no gradient reached G, and its
    # mode and requires_grad flags are back.
    after = g.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert g.training and all(p.requires_grad and p.grad is None for p in g.parameters())


@pytest.mark.slow
def test_inversion_recovers_a_generated_face_closely():
    g = load_bundled_generator("cpu")
    target = generate(sample_z(2, 17)[None])[0]
    *_, last = invert(g, target, steps=200, starts=4)
    assert last.mse < 0.02
    assert np.abs(last.preview.astype(int) - target.astype(int)).mean() < 15
