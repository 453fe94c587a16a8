"""Latent maths: means, arithmetic, lerp/slerp, neighbourhoods, walks, determinism per seed."""

import math

import pytest
import torch

from playground.dcgan import latent


def test_sample_z_is_deterministic_per_seed_and_index():
    a = latent.sample_z(3, 7)
    assert a.shape == (100,) and a.dtype == torch.float32
    assert torch.equal(a, latent.sample_z(3, 7))
    assert not torch.equal(a, latent.sample_z(3, 8))
    assert not torch.equal(a, latent.sample_z(4, 7))


def test_seeded_z_rows_do_not_depend_on_grid_size():
    small, big = latent.seeded_z(5, 4), latent.seeded_z(5, 36)
    assert torch.equal(small, big[:4])
    assert torch.equal(big[17], latent.sample_z(5, 17))
    assert torch.equal(latent.seeded_z(5, 3, start=10), big[10:13])


def test_seeded_z_looks_standard_normal():
    z = latent.seeded_z(0, 400)
    assert abs(float(z.mean())) < 0.02
    assert abs(float(z.std()) - 1) < 0.02
    # norms concentrate near sqrt(100) = 10
    n = latent.norms(z)
    assert abs(float(n.mean()) - 10) < 0.2 and float(n.std()) < 1.0


def test_group_mean_and_arithmetic_hand_worked():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 0.0]])
    b = torch.tensor([[0.0, 1.0], [2.0, 1.0]])
    c = torch.tensor([[10.0, -1.0]])
    assert torch.equal(latent.group_mean(a), torch.tensor([3.0, 2.0]))
    assert torch.equal(latent.group_mean(b), torch.tensor([1.0, 1.0]))
    assert torch.equal(latent.group_mean([a[0], a[1]]), torch.tensor([2.0, 3.0]))
    assert torch.equal(latent.arithmetic(a, b, c), torch.tensor([12.0, 0.0]))
    assert torch.equal(latent.attribute_direction(a, b), torch.tensor([2.0, 1.0]))
    moved = latent.apply_direction(c[0], torch.tensor([2.0, 1.0]), -0.5)
    assert torch.equal(moved, torch.tensor([9.0, -1.5]))
    with pytest.raises(ValueError):
        latent.group_mean(torch.zeros(0, 2))


def test_neighbourhood_centre_is_exact_and_noise_bounded_and_seeded():
    c = latent.sample_z(0, 0)
    nb = latent.neighbourhood(c, seed=3, scale=0.25)
    assert nb.shape == (9, 100)
    assert torch.equal(nb[4], c)
    d = nb - c
    assert float(d.abs().max()) <= 0.25 + 1e-6
    assert float(d[0].abs().max()) > 0.1  # others really moved
    assert torch.equal(nb, latent.neighbourhood(c, seed=3, scale=0.25))
    assert not torch.equal(nb, latent.neighbourhood(c, seed=4, scale=0.25))


def test_lerp_hand_worked():
    z0, z1 = torch.tensor([0.0, 2.0]), torch.tensor([4.0, 0.0])
    assert torch.allclose(latent.lerp(z0, z1, 0.25), torch.tensor([1.0, 1.5]))
    path = latent.interpolate(z0, z1, 3, "lerp")
    assert torch.allclose(path, torch.tensor([[0.0, 2.0], [2.0, 1.0], [4.0, 0.0]]))


def test_slerp_endpoints_and_orthogonal_midpoint():
    z0, z1 = latent.sample_z(1, 0), latent.sample_z(1, 1)
    path = latent.interpolate(z0, z1, 9, "slerp")
    assert torch.allclose(path[0], z0, atol=1e-5) and torch.allclose(path[-1], z1, atol=1e-5)
    e0, e1 = torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 1.0, 0.0])
    mid = latent.slerp(e0, e1, 0.5)
    assert torch.allclose(mid, torch.tensor([1 / math.sqrt(2), 1 / math.sqrt(2), 0.0]), atol=1e-6)
    # a third of the way along the quarter circle: angle 30 degrees
    third = torch.tensor([math.cos(math.pi / 6), 0.5, 0.0])
    assert torch.allclose(latent.slerp(e0, e1, 1 / 3), third, atol=1e-6)


def test_slerp_keeps_norm_for_equal_norm_endpoints_lerp_does_not():
    z0 = latent.sample_z(2, 0)
    z1 = latent.sample_z(2, 1)
    z1 = z1 / z1.norm() * z0.norm()
    r = float(z0.norm())
    s = latent.norms(latent.interpolate(z0, z1, 11, "slerp"))
    assert torch.allclose(s, torch.full_like(s, r), rtol=1e-5)
    l_mid = float(latent.lerp(z0, z1, 0.5).norm())
    cos = float(torch.dot(z0, z1) / r**2)
    assert l_mid == pytest.approx(r * math.sqrt((1 + cos) / 2), rel=1e-5)
    assert l_mid < 0.8 * r  # nearly orthogonal Gaussian samples: the midpoint is ~ r / sqrt(2)


def test_slerp_equals_lerp_for_parallel_vectors():
    z0 = latent.sample_z(0, 5)
    for z1 in (2.5 * z0, -z0):  # parallel and antiparallel: fallback to lerp
        t = torch.linspace(0, 1, 7)
        assert torch.allclose(latent.slerp(z0, z1, t), latent.lerp(z0, z1, t), atol=1e-6)
    # nearly parallel (angle 1e-3): the formula itself is close to lerp, no fallback needed
    perp = latent.sample_z(0, 6)
    perp = perp - torch.dot(perp, z0) / torch.dot(z0, z0) * z0
    z1 = 2 * (z0 + 1e-3 * z0.norm() * perp / perp.norm())
    t = torch.linspace(0, 1, 5)
    assert torch.allclose(latent.slerp(z0, z1, t), latent.lerp(z0, z1, t), atol=1e-3)


def test_interpolate_and_walk_validate_and_shape():
    z0, z1 = latent.sample_z(0, 0), latent.sample_z(0, 1)
    with pytest.raises(ValueError):
        latent.interpolate(z0, z1, 1)
    with pytest.raises(ValueError):
        latent.interpolate(z0, z1, 4, "cubic")
    d = torch.ones(100)
    frames = latent.walk(z0, d, frames=5, extent=2.0)
    assert frames.shape == (8, 100)  # 5 forward + 3 back (no repeated ends)
    assert torch.allclose(frames[0], z0 - 2 * d) and torch.allclose(frames[4], z0 + 2 * d)
    assert torch.allclose(frames[2], z0) and torch.allclose(frames[-1], frames[1])
    rd = latent.random_direction(1)
    assert float(rd.norm()) == pytest.approx(5.0, rel=1e-5)
    assert torch.equal(rd, latent.random_direction(1))
