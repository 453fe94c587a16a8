"""The guidelines panel: the layer table against forward hooks, the rules against broken models, and
the transposed-convolution overlap patterns against hand counts and an FFT."""

import numpy as np
import pytest
import torch
from torch import nn

from playground.dcgan import architecture as arch
from playground.dcgan.models import Discriminator, Generator, count_parameters
from playground.dcgan.pretrained import load_bundled_generator


@pytest.fixture(scope="module")
def bundled():
    return load_bundled_generator("cpu")


def hooked_shapes(model, x):
    """Output shape (without the batch) of every leaf module, recorded by forward hooks."""
    shapes, handles = {}, []
    for name, m in model.named_modules():
        if not list(m.children()):
            handles.append(m.register_forward_hook(lambda mod, i, o, name=name: shapes.__setitem__(name, tuple(o.shape[1:]))))
    with torch.no_grad():
        model.eval()(x)
    for h in handles:
        h.remove()
    return shapes


@pytest.mark.parametrize("which", ["bundled G", "D"])
def test_layer_table_matches_the_module_tree(which, bundled):
    model, x = (bundled, torch.randn(1, 100, 1, 1)) if which == "bundled G" else (Discriminator(), torch.randn(1, 3, 64, 64))
    rows = arch.layer_table(model, tuple(x.shape[1:]))
    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert [r["layer"] for r in rows] == [n for n, _ in convs]
    shapes = hooked_shapes(model, x)
    seq = list(model.main)
    for r, (name, m) in zip(rows, convs):
        i = int(name.split(".")[1])
        assert (r["type"], r["in_channels"], r["out_channels"]) == (type(m).__name__, m.in_channels, m.out_channels)
        assert (r["kernel"], r["stride"], r["padding"]) == (m.kernel_size[0], m.stride[0], m.padding[0])
        # the block ends at the activation after the conv (BN, if any, sits between)
        nxt = seq[i + 1]
        assert r["batch_norm"] == isinstance(nxt, nn.BatchNorm2d)
        act = seq[i + 2] if r["batch_norm"] else nxt
        assert r["activation"].split("(")[0] == type(act).__name__
        assert r["output_shape"] == shapes[f"main.{seq.index(act)}"]
    assert sum(r["parameters"] for r in rows) == count_parameters(model)


def test_bundled_generator_table_by_hand(bundled):
    rows = arch.layer_table(bundled)
    assert [r["output_shape"] for r in rows] == [(512, 4, 4), (256, 8, 8), (128, 16, 16), (64, 32, 32), (3, 64, 64)]
    assert [r["activation"] for r in rows] == ["ReLU"] * 4 + ["Tanh"]
    assert [r["batch_norm"] for r in rows] == [True] * 4 + [False]
    cells = arch.table_rows(rows)
    assert len(cells[0]) == len(arch.COLUMNS) and cells[0][7] == "512×4×4" and cells[-1][8] == "no"


@pytest.mark.parametrize("module, shape", [
    (nn.ConvTranspose2d(3, 5, 3, stride=2, padding=1, output_padding=1), (3, 7, 9)),
    (nn.ConvTranspose2d(3, 5, (4, 2), stride=(2, 3), dilation=2), (3, 5, 6)),
    (nn.Conv2d(3, 4, 5, stride=3, padding=2, dilation=2), (3, 20, 17)),
    (nn.MaxPool2d(3, stride=2, padding=1), (4, 9, 8)),
    (nn.AvgPool2d(2), (4, 9, 8)),
    (nn.Upsample(scale_factor=2), (2, 5, 3)),
    (nn.Linear(12, 7), (12,)),
])
def test_output_size_arithmetic(module, shape):
    assert arch.output_size(module, shape) == tuple(module(torch.zeros(1, *shape)).shape[1:])


# ---- the rules -----------------------------------------------------------------------------------


def test_bundled_models_follow_every_rule(bundled):
    rows = arch.check_rules(bundled, Discriminator())
    assert [(r["network"], r["ok"]) for r in rows] == [("G", True), ("D", True)] * 3 + [("G", True), ("D", True)]
    assert {r["rule"] for r in rows} == set(arch.RULES)
    no_d = arch.check_rules(bundled)
    assert [r["ok"] for r in no_d if r["network"] == "D"] == [None] * 4
    assert all(r["ok"] for r in no_d if r["network"] == "G")


def broken(kind):
    g = Generator(nz=8, ngf=4)
    layers = list(g.main)
    if kind == "pooling":  # upsample + plain conv instead of a strided transposed conv
        layers[3] = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(32, 16, 3, 1, 1, bias=False))
    elif kind == "bn_on_output":
        layers.insert(13, nn.BatchNorm2d(3))
    elif kind == "fully_connected":
        layers = [nn.Flatten(), nn.Linear(8, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Unflatten(1, (8, 1, 1))] + layers
    elif kind == "leaky_in_g":
        layers[5] = nn.LeakyReLU(0.2)
    elif kind == "no_tanh":
        layers[13] = nn.Sigmoid()
    g.main = nn.Sequential(*layers)
    return g


@pytest.mark.parametrize("kind, rule", [("pooling", 0), ("bn_on_output", 1), ("fully_connected", 2),
                                        ("leaky_in_g", 3), ("no_tanh", 3)])
def test_each_rule_catches_its_violation(kind, rule):
    g = broken(kind)
    g(torch.zeros(2, 8, 1, 1))  # still a working network
    rows = {r["rule"]: r for r in arch.check_rules(g, g_input=(8, 1, 1)) if r["network"] == "G"}
    assert [r["ok"] for r in rows.values()] == [i != rule for i in range(4)]
    assert rows[arch.RULES[rule]]["why"].startswith("G")


def test_d_with_relu_breaks_the_leaky_rule():
    d = Discriminator(ndf=4)
    d.main[1] = nn.ReLU()
    rows = arch.check_rules(Generator(nz=8, ngf=4), d, g_input=(8, 1, 1))
    leaky = [r for r in rows if r["rule"] == arch.RULES[4]][0]
    assert leaky["ok"] is False and "main.0" in leaky["why"]


# ---- overlaps and the checkerboard ------------------------------------------------------------------


def hand_overlap(k, s, n, p=0):
    """Count, for each output pixel, the (input pixel, tap) pairs writing to it: o = s i + j - p, per axis."""
    size = (n - 1) * s - 2 * p + k
    one_d = np.zeros(size)
    for i in range(n):
        for j in range(k):
            o = s * i + j - p
            if 0 <= o < size:
                one_d[o] += 1
    return np.outer(one_d, one_d)


@pytest.mark.parametrize("k, s, p", [(3, 2, 0), (4, 2, 1), (5, 2, 0), (3, 1, 0)])
def test_overlap_counts_by_hand(k, s, p):
    np.testing.assert_array_equal(arch.overlap_pattern(k, s, size=5, padding=p), hand_overlap(k, s, 5, p))


def test_k3_s2_alternates_and_k4_s2_is_even():
    row = arch.overlap_pattern(3, 2, size=6)[4, 2:-2]  # an interior row where 2 footprints overlap vertically
    np.testing.assert_array_equal(row, [4, 2, 4, 2, 4, 2, 4, 2, 4])  # 1-D counts 2, 1, 2, 1 ... times 2
    inner = arch.overlap_pattern(4, 2, size=6, padding=1)[1:-1, 1:-1]
    assert (inner == 4).all()
    assert (arch.resize_conv_pattern(3, 2, size=6)[1:-1, 1:-1] == 9).all()
    assert len(arch.overlap_demo()) == 3


def test_periodic_strength_against_an_fft():
    rng = np.random.default_rng(0)
    maps = rng.standard_normal((3, 12, 16)) + np.tile([[2.0, -1.0], [0.5, 3.0]], (6, 8))
    f = np.abs(np.fft.fft2(maps)) ** 2  # per channel
    h, w = 12, 16
    nyquist = f[:, 0, w // 2] + f[:, h // 2, 0] + f[:, h // 2, w // 2]  # the period-2 patterns
    assert arch.periodic_strength(maps, 2) == pytest.approx(np.sqrt(nyquist.sum() / f.sum()), rel=1e-9)
    assert arch.periodic_strength(np.ones((2, 8, 8)), 2) == 0.0


def test_generator_checkerboard_matches_its_weights(bundled):
    out = arch.generator_checkerboard(bundled, layers=2)
    assert [r["layer"] for r in out] == ["main.3", "main.6"]
    for r in out:
        conv = bundled.get_submodule(r["layer"])
        w = conv.weight.detach().double().numpy()  # (in, out, k, k)
        p = conv.padding[0]
        # a constant input paints output phase a with the taps j where (j - p) mod 2 == a
        sums = np.array([[w[:, :, [j for j in range(4) if (j - p) % 2 == a]][:, :, :, [i for i in range(4) if (i - p) % 2 == b]].sum(axis=(0, 2, 3))
                          for b in range(2)] for a in range(2)])  # (2, 2, out)
        np.testing.assert_allclose(r["phases"], sums[:, :, r["channel"]], rtol=1e-4, atol=1e-4)
        m = r["map"]
        for a in range(2):
            for b in range(2):
                np.testing.assert_allclose(m[a::2, b::2], sums[a, b, r["channel"]], rtol=1e-4, atol=1e-4)
        dev = sums - sums.mean(axis=(0, 1))
        want = np.sqrt((dev**2).sum() / (sums**2).sum())  # every interior pixel repeats its phase sum
        assert r["strength"] == pytest.approx(want, rel=1e-4)
