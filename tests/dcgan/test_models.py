"""The module tree matches pytorch/examples' DCGAN, and batch-norm folding is exact."""

import numpy as np
import torch

from playground.dcgan.fast import fold_batchnorm
from playground.dcgan.models import (
    Discriminator,
    Generator,
    count_parameters,
    infer_generator_config,
)
from playground.images import tanh_to_uint8

BN = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]

# pytorch/examples dcgan/main.py: nn.Sequential `main`; ConvT at 0,3,6,9,12 and BN at 1,4,7,10.
EXPECTED_G_KEYS = [
    f"main.{i}.{p}"
    for i in (0, 1, 3, 4, 6, 7, 9, 10, 12)
    for p in (["weight"] if i % 3 == 0 else BN)
]
EXPECTED_D_KEYS = [
    f"main.{i}.{p}"
    for i in (0, 2, 3, 5, 6, 8, 9, 11)
    for p in (["weight"] if i in (0, 2, 5, 8, 11) else BN)
]


def test_generator_module_tree_and_size():
    g = Generator()
    assert list(g.state_dict()) == EXPECTED_G_KEYS
    assert count_parameters(g) == 3_576_704
    assert tuple(g.state_dict()["main.0.weight"].shape) == (100, 512, 4, 4)
    assert tuple(g.state_dict()["main.12.weight"].shape) == (64, 3, 4, 4)
    with torch.no_grad():
        out = g.eval()(torch.randn(2, 100))
    assert out.shape == (2, 3, 64, 64) and float(out.abs().max()) <= 1.0
    assert infer_generator_config(g.state_dict()).ngf == 64


def test_discriminator_module_tree_and_output():
    d = Discriminator()
    assert list(d.state_dict()) == EXPECTED_D_KEYS
    p = d(torch.randn(3, 3, 64, 64))
    assert p.shape == (3,) and bool(((p > 0) & (p < 1)).all())


def test_fold_batchnorm_matches_eval_generator():
    torch.manual_seed(0)
    g = Generator(ngf=16)
    for m in g.modules():  # non-trivial running statistics and affine parameters
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.normal_(1, 0.3)
            m.bias.data.normal_(0, 0.3)
    g.eval()
    folded = fold_batchnorm(g)
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in folded) == 0
    z = torch.randn(5, 100, 1, 1)
    with torch.no_grad():
        assert torch.allclose(folded(z), g(z), atol=1e-5)
        assert torch.allclose(folded.to(memory_format=torch.channels_last)(z), g(z), atol=1e-5)


def test_tanh_to_uint8_mapping():
    x = torch.tensor([-1.0, 0.0, 1.0, 2.0]).reshape(1, 1, 1, 4)  # one channel: a grayscale generator
    u = tanh_to_uint8(x)
    assert u.shape == (1, 1, 4, 3) and u.dtype == np.uint8
    assert u[0, 0].tolist() == [[0] * 3, [128] * 3, [255] * 3, [255] * 3]  # round((x + 1) * 127.5), clipped
