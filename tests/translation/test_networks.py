"""Our networks have exactly the official module trees (so published weights load strictly)."""

import json
from pathlib import Path

import pytest
import torch

from playground.errors import UserError
from playground.translation.networks import define_D, define_G, required_size, set_dropout

MANIFEST = json.loads((Path(__file__).parent / "official_state_dict_manifest.json").read_text())["modules"]


def _shapes(net):
    return {k: list(v.shape) for k, v in net.state_dict().items()}


@pytest.mark.parametrize("key", sorted(MANIFEST))
def test_state_dict_matches_official_manifest(key):
    kind, name, norm, width = key.split("/")[:4]
    if kind == "G":
        net = define_G(name, norm, int(width[3:]), use_dropout=True)
    else:
        net = define_D(name, 6, int(width[3:]), 3, norm)
    ours = _shapes(net)
    official = MANIFEST[key]
    assert list(ours) == list(official)  # same names in the same order
    assert ours == official


def test_official_parameter_counts():
    # Published sizes: pix2pix unet_256 has 54.41 M parameters, CycleGAN resnet_9blocks 11.38 M.
    count = lambda n: sum(p.numel() for p in n.parameters())  # noqa: E731
    assert count(define_G("unet_256", "batch", 64)) == 54_413_955
    assert count(define_G("resnet_9blocks", "instance", 64)) == 11_378_179


def test_instance_norm_has_no_state():
    sd = define_G("resnet_9blocks", "instance", 64).state_dict()
    assert not any("running" in k or "num_batches" in k for k in sd)


@pytest.mark.parametrize("name,size", [("unet_64", 64), ("unet_128", 128), ("resnet_6blocks", 64), ("resnet_3blocks", 32)])
def test_generator_shapes(name, size):
    g = define_G(name, "batch" if name.startswith("unet") else "instance", 8, input_nc=1, output_nc=3).eval()
    with torch.no_grad():
        y = g(torch.randn(2, 1, size, size))
    assert y.shape == (2, 3, size, size)
    assert y.abs().max() <= 1  # tanh
    assert required_size(name) == (size if name.startswith("unet") else None)


@pytest.mark.parametrize("size,out", [(256, 30), (64, 6)])
def test_patchgan_map_size(size, out):
    # 3 stride-2 convs (k4 p1) halve the side: 256 -> 32; two stride-1 k4 p1 convs remove 1 each: 30.
    d = define_D("basic", 6, 8, norm="batch")
    assert d(torch.randn(1, 6, size, size)).shape == (1, 1, out, out)


def test_pixel_discriminator_is_per_pixel():
    d = define_D("pixel", 6, 8, norm="batch")
    assert d(torch.randn(1, 6, 20, 20)).shape == (1, 1, 20, 20)


def test_dropout_toggle_changes_output_only_when_on():
    g = define_G("unet_64", "batch", 8, use_dropout=True).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        a, b = g(x), g(x)
        assert torch.equal(a, b)
        set_dropout(g, True)
        c, d = g(x), g(x)
    assert not torch.equal(c, d)
    assert all(not m.training for m in g.modules() if isinstance(m, torch.nn.BatchNorm2d))


def test_unknown_names_are_user_errors():
    with pytest.raises(UserError, match="Unknown generator"):
        define_G("unet_512")
    with pytest.raises(UserError, match="Unknown norm"):
        define_G("unet_64", "group")
    with pytest.raises(UserError, match="Unknown discriminator"):
        define_D("global")
