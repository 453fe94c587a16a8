"""The Dirac-GAN (playground.toy2d.dirac): eigenvalues against their closed forms, and the paths against the paper.

The paper's figure (Mescheder, Geiger & Nowozin 2018, Fig. 1 and the DiracGAN notebook's plots, h = 0.2 from
(θ, ψ) = (1, 1)), in words: for the unregularised GAN the vector field turns around the equilibrium (0, 0);
simultaneous gradient descent spirals outwards, away from it; alternating gradient descent goes round and round
on a closed curve, neither closer nor further; WGAN with clipping keeps ψ inside the clip box and still goes
round; with a gradient penalty on D (R1) or instance noise the path spirals into the equilibrium. The tests below
check each of those sentences on our paths, and the eigenvalues the panel prints against their formulas.
"""

import math
import time

import numpy as np
import pytest

from playground.errors import UserError
from playground.toy2d import dirac
from playground.toy2d.dirac import Params, DiracSettings
from playground.toy2d.dirac_figure import figure_svg, plane_extent

H = 0.2


def _pair(re: float, d: float) -> np.ndarray:
    """re ± √d (imaginary when the discriminant d < 0), sorted like dirac's eigenvalues."""
    root = np.sqrt(complex(d))
    return dirac._sorted([re + root, re - root])


@pytest.mark.parametrize("variant", ["gan", "nsgan"])
def test_unregularised_eigenvalues_are_plus_minus_i_over_2(variant):
    ev = dirac.eigenvalues(variant)
    np.testing.assert_allclose(ev, [0.5j, -0.5j], atol=1e-8)


def test_wgan_eigenvalues_are_plus_minus_i():
    np.testing.assert_allclose(dirac.eigenvalues("wgan"), [1j, -1j], atol=1e-8)


@pytest.mark.parametrize("gamma", [0.0, 0.3, 0.9, 1.0, 1.7, 3.0])
def test_r1_eigenvalues_follow_the_papers_formula(gamma):
    """−γ/2 ± √(γ²/4 − f′(0)²), f′(0) = ½: complex below γ = 1, a double root −½ at 1, real above."""
    expected = _pair(-gamma / 2, gamma**2 / 4 - 0.25)
    p = Params(gamma=gamma)
    np.testing.assert_allclose(dirac.eigenvalues("r1", p), expected, atol=2e-5 if gamma == 1.0 else 1e-8)
    np.testing.assert_allclose(dirac.closed_form("r1", p), expected, atol=1e-12)


def test_r1_at_the_papers_weight():
    np.testing.assert_allclose(dirac.eigenvalues("r1", Params(gamma=0.3)), [-0.15 + 0.4769696j, -0.15 - 0.4769696j],
                               atol=1e-7)


@pytest.mark.parametrize("sigma", [0.2, 0.7, 1.5, 2.5])
def test_instance_noise_eigenvalues_follow_the_papers_formula(sigma):
    """f″(0)σ² ± √(f″(0)²σ⁴ − f′(0)²) with f″(0) = −¼: the expectations over the noise (quadrature) give the same
    Jacobian as the formula, so the noise enters both data and samples with the right signs."""
    expected = _pair(-0.25 * sigma**2, sigma**4 / 16 - 0.25)
    np.testing.assert_allclose(dirac.eigenvalues("instance_noise", Params(sigma=sigma)), expected, atol=1e-7)
    np.testing.assert_allclose(dirac.closed_form("instance_noise", Params(sigma=sigma)), expected, atol=1e-12)


def test_instance_noise_without_noise_is_the_standard_gan():
    th, ps = np.meshgrid(np.linspace(-2, 2, 7), np.linspace(-2, 2, 7))
    a = dirac.vector_field("instance_noise", th, ps, Params(sigma=0.0))
    b = dirac.vector_field("gan", th, ps)
    np.testing.assert_allclose(a, b, atol=1e-12)


@pytest.mark.parametrize("lam", [0.3, 0.7, 2.5])
def test_wgan_gp_field_jumps_at_psi_zero_and_its_one_sided_eigenvalues(lam):
    """No Jacobian at the equilibrium: ψ's velocity jumps by 2λg₀ across ψ = 0 (pushing D away from 0 on both
    sides); just above ψ = 0 the slope gives −λ/2 ± √(λ²/4 − 1)."""
    p = Params(gp=lam)
    up = dirac.vector_field("wgan_gp", 0.0, 1e-9, p)[1]
    down = dirac.vector_field("wgan_gp", 0.0, -1e-9, p)[1]
    assert up == pytest.approx(lam * dirac.WGAN_GP_TARGET, abs=1e-8)
    assert down == pytest.approx(-lam * dirac.WGAN_GP_TARGET, abs=1e-8)
    np.testing.assert_allclose(dirac.eigenvalues("wgan_gp", p), _pair(-lam / 2, lam**2 / 4 - 1), atol=1e-7)


@pytest.mark.parametrize("h", [0.05, 0.2, 0.5])
def test_one_step_of_each_rule_at_the_equilibrium(h):
    """Simultaneous: |1 ± ih/2| = √(1 + h²/4) > 1. Alternating: determinant 1 and eigenvalues on the unit circle."""
    jac = dirac.jacobian("gan")
    assert dirac.step_radius("gan", "simultaneous", h) == pytest.approx(math.sqrt(1 + h**2 / 4), abs=1e-9)
    m = dirac.step_matrix(jac, "alternating", h)
    assert np.linalg.det(m) == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(m)), [1.0, 1.0], atol=1e-6)
    assert dirac.step_radius("r1", "alternating", h, Params(gamma=0.3)) < 1 - 0.01 * h


def _distance(variant, rule, steps=500, params=Params(), start=dirac.START):
    xy = dirac.path(variant, rule, H, steps, params, start=start)
    return np.hypot(xy[:, 0], xy[:, 1])


def test_simultaneous_updates_spiral_out_at_the_linearised_rate():
    """Near the equilibrium the distance grows by √(1 + h²/4) per step (1% over 100 steps); from (1, 1) it keeps
    growing: more than twice the start after 500 steps, every stretch of 100 steps further out than the last."""
    d = _distance("gan", "simultaneous", 100, start=(0.01, 0.01))
    assert d[100] / d[0] == pytest.approx((1 + H**2 / 4) ** 50, rel=0.01)
    d = _distance("gan", "simultaneous")
    assert d[-1] > 2 * d[0]
    stretches = d.reshape(-1)[1:].reshape(5, 100).max(axis=1)
    assert np.all(np.diff(stretches) > 0)


def test_alternating_updates_keep_to_a_closed_curve():
    """Near the equilibrium an alternating step keeps θ² + ψ² − h·f′(0)·θψ exactly (its matrix has determinant 1):
    the path is an ellipse, neither closer nor further (1e-4 over 500 steps). From (1, 1) the distance stays
    within 0.9 … 1.05 of the start: no spiral either way."""
    xy = dirac.path("gan", "alternating", H, 500, start=(0.01, -0.02))
    q = xy[:, 0] ** 2 + xy[:, 1] ** 2 - H * 0.5 * xy[:, 0] * xy[:, 1]
    assert np.abs(q / q[0] - 1).max() < 1e-4
    for start in [(1.0, 1.0), (0.1, 0.1)]:
        d = _distance("gan", "alternating", start=start)
        assert d.max() < 1.05 * d[0] and d.min() > 0.9 * d[0]


@pytest.mark.parametrize("rule", dirac.RULES)
@pytest.mark.parametrize("variant, params", [("r1", Params(gamma=0.3)), ("r1", Params(gamma=1.0)),
                                             ("instance_noise", Params(sigma=0.7))])
def test_regularised_paths_converge_at_the_predicted_rate(variant, params, rule):
    """R1 and instance noise: at the equilibrium after 500 steps (to 1e-4), shrinking by the linearised step's
    spectral radius per step (0.5% over 100 steps of the middle of the run)."""
    d = _distance(variant, rule, params=params)
    assert d[-1] < 1e-4 * d[0]
    radius = dirac.step_radius(variant, rule, H, params)
    assert radius < 1
    if variant == "r1" and params.gamma == 1.0:
        return  # a double root: the distance has a k·μᵏ factor, not a pure rate
    assert (d[300] / d[200]) ** (1 / 100) == pytest.approx(radius, rel=5e-3)


@pytest.mark.parametrize("rule", dirac.RULES)
def test_wgan_stays_in_its_clip_box_and_never_arrives(rule):
    xy = dirac.path("wgan", rule, H, 500, Params(clip=1.0))
    assert np.abs(xy[:, 1]).max() <= 1.0
    assert np.hypot(xy[-100:, 0], xy[-100:, 1]).min() > 0.5


def test_wgan_gp_throws_a_path_out_of_the_equilibrium():
    for rule in dirac.RULES:
        d = _distance("wgan_gp", rule, params=Params(gp=0.7), start=(0.01, 0.01))
        assert d[-100:].min() > 0.5


def test_settings_are_checked_by_their_declaration():
    assert DiracSettings.from_dict({}) == DiracSettings()
    s = DiracSettings.from_dict({"variant": "r1", "h": "0.3", "n_steps": 40.0})
    assert (s.variant, s.h, s.n_steps) == ("r1", 0.3, 40)
    for bad in ({"variant": "lsgan"}, {"h": 0}, {"n_steps": 5000}, {"gamma": float("nan")}, {"rule": None}):
        with pytest.raises(UserError):
            DiracSettings.from_dict(bad)


def test_every_variant_and_rule_computes_and_draws_fast():
    """The panel answers each change at once: the longest path (2,000 steps) of every variant, drawn, in well
    under a second each (instance noise, the slowest, takes ~60 ms here)."""
    for variant in dirac.VARIANTS:
        for rule in dirac.RULES:
            t = time.perf_counter()
            run = dirac.run(DiracSettings(variant=variant, rule=rule, n_steps=2000))
            svg = figure_svg(run)
            assert time.perf_counter() - t < 0.5, (variant, rule)
            assert svg.startswith("<svg") and svg.endswith("</svg>") and "nan" not in svg
            assert np.isfinite(run.path).all()


def test_the_plane_grows_to_hold_the_path():
    assert plane_extent(np.array([[1.0, 1.0], [0.0, 0.0]])) == 2.0
    assert plane_extent(np.array([[3.1, -2.0]])) == 3.5
    assert plane_extent(np.array([[1e6, 0.0]])) == 6.0


def test_non_saturating_gan_settles_on_a_cycle_or_creeps_in():
    """What the panel's caption says of the non-saturating loss from (1, 1): with simultaneous updates the distance
    settles near 0.63 (a cycle: neither the start nor 0); with alternating ones it keeps shrinking, ever more slowly
    (no steady rate: the second 1,000 steps gain less than the first in ratio)."""
    d = _distance("nsgan", "simultaneous", 2000)
    assert 0.55 < d[500:].min() and d[500:].max() < 0.7
    d = _distance("nsgan", "alternating", 2000)
    assert d[2000] < d[1000] < d[500] < d[100] < d[0]
    assert d[2000] / d[1000] > d[1000] / d[0] and d[2000] > 0.05
