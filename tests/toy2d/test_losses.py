"""Each loss against a value worked out by hand."""

import math

import pytest
import torch

from playground.toy2d import losses

LOG3 = math.log(3.0)


def t(*v):
    return torch.tensor(v, dtype=torch.float64)


def test_log_loss_at_indifferent_d_is_log4():
    # D(x) = D(G(z)) = 1/2: -log 1/2 - log 1/2 = log 4, the minimax value at equilibrium
    assert losses.d_loss_log(t(0.0), t(0.0)).item() == pytest.approx(math.log(4))


def test_log_loss_with_confident_d():
    # logit log 3 -> D = 3/4 on real; logit -log 3 -> D = 1/4 on fake: -log(3/4) - log(1 - 1/4)
    assert losses.d_loss_log(t(LOG3), t(-LOG3)).item() == pytest.approx(-2 * math.log(0.75))


def test_saturating_and_nonsaturating_generator_losses():
    f = t(-LOG3)  # D(G(z)) = 1/4
    assert losses.g_loss_saturating(f).item() == pytest.approx(math.log(0.75))  # log(1 - 1/4)
    assert losses.g_loss_nonsaturating(f).item() == pytest.approx(-math.log(0.25))  # -log(1/4)


def test_saturating_gradient_vanishes_where_nonsaturating_does_not():
    # D confidently rejects the fake (D = sigmoid(-10)): d/dlogit log(1 - s) = -s ~ -4.5e-5, vs -(1 - s) ~ -1
    f = t(-10.0).requires_grad_(True)
    (g_sat,) = torch.autograd.grad(losses.g_loss_saturating(f), f)
    (g_ns,) = torch.autograd.grad(losses.g_loss_nonsaturating(f), f)
    s = 1 / (1 + math.exp(10))
    assert g_sat.item() == pytest.approx(-s)
    assert g_ns.item() == pytest.approx(-(1 - s))


def test_wasserstein_losses():
    r, f = t(1.0, 3.0), t(0.5, 1.5)  # means 2 and 1
    assert losses.d_loss_wasserstein(r, f).item() == pytest.approx(1 - 2)
    assert losses.g_loss_critic(f).item() == pytest.approx(-1)


def test_least_squares_losses():
    r, f = t(1.0, 0.0), t(0.5, -1.0)
    # 1/2 mean(0, 1) + 1/2 mean(0.25, 1) = 0.25 + 0.3125
    assert losses.d_loss_least_squares(r, f).item() == pytest.approx(0.5625)
    # 1/2 mean(0.25, 4)
    assert losses.g_loss_least_squares(f).item() == pytest.approx(1.0625)


def test_relativistic_average_losses():
    # C(x) = log 3 on both reals, 0 on both fakes: a real looks more real than the average fake with
    # probability 3/4 and a fake than the average real with 1/4: D pays -log(3/4) - log(1 - 1/4), G -2 log(1/4)
    r, f = t(LOG3, LOG3), t(0.0, 0.0)
    assert losses.d_loss_relativistic_average(r, f).item() == pytest.approx(-2 * math.log(0.75))
    assert losses.g_loss_relativistic_average(r, f).item() == pytest.approx(-2 * math.log(0.25))
    # a constant critic: log 4, as the minimax D at equilibrium
    assert losses.d_loss_relativistic_average(t(5.0), t(5.0)).item() == pytest.approx(math.log(4))
    # the batch means couple the samples: C(x) = 1, 3 (mean 2), C(G(z)) = 0, 2 (mean 1);
    # D: mean(sp(1 - 1), sp(1 - 3)) + mean(sp(0 - 2), sp(2 - 2)), sp(t) = log(1 + e^t)
    r, f = t(1.0, 3.0), t(0.0, 2.0)
    sp = lambda x: math.log1p(math.exp(x))  # noqa: E731
    assert losses.d_loss_relativistic_average(r, f).item() == pytest.approx(sp(0) + sp(-2))
    assert losses.g_loss_relativistic_average(r, f).item() == pytest.approx(sp(0) + sp(2))


def test_relativistic_g_loss_pushes_each_fake_through_the_reals_term_too():
    # d/df_j of mean sp(mean r - f) + mean sp(r - mean f) = -(s(mean r - f_j) + mean_i s(r_i - mean f)) / n
    r, f = t(1.0, 3.0), t(0.0, 2.0).requires_grad_(True)
    (g,) = torch.autograd.grad(losses.g_loss_relativistic_average(r, f), f)
    s = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    reals_term = (s(1 - 1) + s(3 - 1)) / 2
    assert g.tolist() == pytest.approx([-(s(2) + reals_term) / 2, -(s(0) + reals_term) / 2])


def test_hinge_loss():
    r, f = t(2.0, 0.5), t(-2.0, 0.0)
    # mean(max(0, -1), max(0, 0.5)) + mean(max(0, -1), max(0, 1)) = 0.25 + 0.5
    assert losses.d_loss_hinge(r, f).item() == pytest.approx(0.75)


def half_squared_norm(x):
    """D(x) = |x|^2 / 2, whose gradient is x itself."""
    return 0.5 * (x**2).sum(1, keepdim=True)


def test_gradient_penalty_linear_critic():
    D = torch.nn.Linear(2, 1).double()
    with torch.no_grad():
        D.weight.copy_(t(3.0, 4.0)[None])  # |grad| = 5 everywhere -> (5 - 1)^2
    real, fake = torch.randn(7, 2, dtype=torch.float64), torch.randn(7, 2, dtype=torch.float64)
    gp = losses.gradient_penalty(D, real, fake, torch.rand(7, 1, dtype=torch.float64))
    assert gp.item() == pytest.approx(16.0)


def test_gradient_penalty_interpolates():
    real, fake = t(2.0, 0.0)[None].repeat(2, 1), torch.zeros(2, 2, dtype=torch.float64)
    eps = t(0.5, 1.0)[:, None]  # x_hat = (1, 0) and (2, 0): norms 1 and 2 -> mean(0, 1)
    assert losses.gradient_penalty(half_squared_norm, real, fake, eps).item() == pytest.approx(0.5)


def test_gradient_penalty_is_differentiable_in_critic_weights():
    D = torch.nn.Linear(2, 1).double()
    gp = losses.gradient_penalty(D, torch.randn(4, 2, dtype=torch.float64), torch.randn(4, 2, dtype=torch.float64),
                                 torch.rand(4, 1, dtype=torch.float64))
    gp.backward()
    assert D.weight.grad is not None and torch.isfinite(D.weight.grad).all()


def test_dragan_penalty():
    real = t(3.0, 0.0, 1.0, 0.0).reshape(2, 2)  # std of all entries = sqrt(2)
    ones = torch.ones(2, 2, dtype=torch.float64)
    # alpha = 0: x_hat = real, norms 3 and 1 -> mean(4, 0)
    assert losses.dragan_penalty(half_squared_norm, real, ones, torch.zeros(2, 1, dtype=torch.float64)).item() == pytest.approx(2.0)
    # alpha = 1, noise = 1: every coordinate moves by 0.5 sqrt(2)
    d = 0.5 * math.sqrt(2)
    n1, n2 = math.hypot(3 + d, d), math.hypot(1 + d, d)
    expect = ((n1 - 1) ** 2 + (n2 - 1) ** 2) / 2
    assert losses.dragan_penalty(half_squared_norm, real, ones, torch.ones(2, 1, dtype=torch.float64)).item() == pytest.approx(expect)


def test_the_registry_is_the_setting_s_choices_and_each_entry_is_whole():
    from playground.toy2d.config import LOSSES, SETTINGS

    assert LOSSES == tuple(losses.OBJECTIVES) == SETTINGS["loss"].choices and "ragan" in LOSSES
    for name, o in losses.OBJECTIVES.items():
        assert o.name == name and o.formula and all(o.plain) and o.output in ("probability", "critic", "score")
        # a gradient penalty needs a gradient of a gradient: those objectives train on autograd alone
        assert (o.fast is None) == (o.penalty is not None) and bool(o.penalty_note) == (o.penalty is not None)
        assert not o.log4 or o.d_loss(t(0.0, 0.0), t(0.0, 0.0)).item() == pytest.approx(math.log(4))  # D = ½


def test_the_loss_picker_shows_the_entry_s_formula():
    from playground.ui.toy2d.handlers import formula, show_formula

    assert all(formula(name) == o.formula for name, o in losses.OBJECTIVES.items())
    assert "Relativistic average" in formula("ragan") and formula("no such loss") == ""
    assert show_formula({"loss": "hinge"}) == {"loss_formula": losses.OBJECTIVES["hinge"].formula}
