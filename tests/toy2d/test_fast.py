"""The hand-written backprop path against autograd: same gradients, same updates, same runs."""

import copy

import pytest
import numpy as np
import torch

from playground.toy2d import ToyConfig, Trainer, fast
from playground.toy2d.losses import OBJECTIVES
from playground.toy2d.models import mlp
from playground.toy2d.trainer import make_optimizer


FAST = [o for o in OBJECTIVES.values() if o.fast is not None]


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch 2.14 marks torch.jit as deprecated; it still works
@pytest.mark.parametrize("scripted", [True, False], ids=["torchscript", "python"])
@pytest.mark.parametrize("objective", FAST, ids=lambda o: o.name)
def test_each_objective_s_fast_branches_match_its_autograd_losses(objective, scripted):
    """The registry's fast codes pick branches whose closed-form gradients and values are the entry's own
    autograd losses' (G's with a real batch of another size: the picture's arrows read 512 reals)."""
    d_grad, g_grad, d_value, g_value = (torch.jit.script(fn) if scripted else fn for fn in
                                        (fast._s_d_grad, fast._s_g_grad, fast._s_d_loss, fast._s_g_loss))
    d_code, g_code = objective.fast
    torch.manual_seed(0)
    r, f = torch.randn(37, 1) * 2, torch.randn(37, 1) * 2
    r_, f_ = r.clone().requires_grad_(), f.clone().requires_grad_()
    loss = objective.d_loss(r_, f_)
    expected = torch.cat(torch.autograd.grad(loss, (r_, f_)))
    torch.testing.assert_close(d_grad(torch.cat([r, f]), len(r), d_code), expected, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(d_value(torch.cat([r, f]), len(r), d_code), loss.detach())
    r = torch.randn(53, 1) * 2
    f_ = f.clone().requires_grad_()
    loss = objective.g(r, f_)
    (expected,) = torch.autograd.grad(loss, (f_,))
    got = g_grad(r, f, g_code)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(g_value(r, f, g_code), loss.detach())


def test_a_fast_code_names_one_loss_function():
    """Objectives share a branch only where they share the loss (minimax and non-saturating share D's)."""
    for player in (0, 1):
        by_code = {}
        for o in FAST:
            fn = (o.d_loss, o.g_loss)[player]
            assert by_code.setdefault(o.fast[player], fn) is fn, (o.name, player)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "elu"])
def test_hand_written_forward_and_backward_match_autograd(activation):
    torch.manual_seed(1)
    net = mlp(3, 2, depth=3, width=16, activation=activation)
    x = torch.randn(50, 3)
    upstream = torch.randn(50, 2)
    x_ = x.clone().requires_grad_()
    ref_out = net(x_)
    ref = torch.autograd.grad(ref_out, [x_, *net.parameters()], upstream)

    flat = fast.FlatMLP(net)
    ws, bs, dws, dbs = ([layer[i] for layer in flat.layers] for i in range(4))
    cache = []
    out = fast._s_forward(ws, bs, x, cache, flat.act_code, flat.act_param)
    torch.testing.assert_close(out, ref_out.detach())
    fast._s_backward(ws, dws, dbs, cache, upstream, True, flat.act_code, flat.act_param)
    for g, e in zip([d for pair in zip(dws, dbs) for d in pair], ref[1:]):
        torch.testing.assert_close(g, e, rtol=1e-5, atol=1e-6)
    grad_x = fast._s_backward(ws, dws, dbs, cache, upstream, False, flat.act_code, flat.act_param)
    torch.testing.assert_close(grad_x, ref[0], rtol=1e-5, atol=1e-6)
    # the module now reads the flat tensor: changing it changes the module's output
    flat.flat.add_(0.1)
    assert not torch.allclose(net(x), ref_out)


@pytest.mark.parametrize("name,lr", [("adam", 1e-2), ("rmsprop", 1e-2), ("sgd", 0.1)])
def test_flat_update_rules_follow_torch_optim(name, lr):
    torch.manual_seed(2)
    a, b = mlp(2, 1, 1, 8, "relu"), mlp(2, 1, 1, 8, "relu")
    b.load_state_dict(a.state_dict())
    flat = fast.FlatMLP(a)
    state = fast.FlatOptimizer(flat)
    theirs = make_optimizer(name, b.parameters(), lr, 0.5, 0.99)
    for step in range(1, 6):
        grads = [torch.randn_like(p) for p in b.parameters()]
        for p, g in zip(b.parameters(), grads):
            p.grad = g
        theirs.step()
        flat.grad.copy_(torch.cat([g.reshape(-1) for g in grads]))
        fast._s_opt(flat.flat, flat.grad, state.m, state.v, step, fast.OPT_CODES[name], lr, 0.5, 0.99, fast.ADAM_EPS)
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p.detach(), q.detach(), rtol=1e-5, atol=1e-6)


CASES = [
    dict(loss="nonsaturating"),
    dict(loss="minimax", activation="tanh", optimizer="sgd", lr_d=0.05, lr_g=0.05, pack=2),
    dict(loss="wgan", activation="leaky_relu", optimizer="rmsprop", d_steps=3),
    dict(loss="lsgan", activation="elu", pack=4, z_dim=5, z_dist="uniform"),
    dict(loss="hinge", g_depth=3, d_width=32, g_steps=2),
    # SGD: RaGAN sees only differences of D's outputs, so D's last bias (and any bias of a unit active on every
    # point) gets a gradient of 0 plus rounding, which Adam and RMSprop scale up to whole steps, unlike in each path
    dict(loss="ragan", optimizer="sgd", lr_d=0.05, lr_g=0.05, pack=2),
]


@pytest.mark.parametrize("scripted", [True, False], ids=["torchscript", "python"])
@pytest.mark.parametrize("changes", CASES, ids=[c["loss"] for c in CASES])
def test_fast_trainer_follows_the_autograd_trainer(changes, scripted):
    fast_follows_autograd(ToyConfig(**changes), scripted)


def fast_follows_autograd(cfg: ToyConfig, scripted: bool) -> tuple[Trainer, Trainer]:
    """The fast trainer and the autograd one on ``cfg``: the same weights and losses after 25 iterations of Play
    and after a single D and G step (which use the same optimiser state as Play). Returns (fast, autograd)."""
    a, b = Trainer(cfg, scripted=scripted), Trainer(cfg, use_fast=False)
    assert a.fast and not b.fast
    a.step(25)
    b.step(25)
    for p, q in zip([*a.G.parameters(), *a.D.parameters()], [*b.G.parameters(), *b.D.parameters()]):
        torch.testing.assert_close(p.detach(), q.detach(), rtol=1e-4, atol=1e-5)
    assert float(a._last_d) == pytest.approx(float(b._last_d), rel=1e-4, abs=1e-5)
    assert float(a._last_g) == pytest.approx(float(b._last_g), rel=1e-4, abs=1e-5)
    # single steps use the same optimiser state as Play
    a.d_step(), b.d_step()
    a.g_step(), b.g_step()
    for p, q in zip([*a.G.parameters(), *a.D.parameters()], [*b.G.parameters(), *b.D.parameters()]):
        torch.testing.assert_close(p.detach(), q.detach(), rtol=1e-4, atol=1e-5)
    return a, b


def _penalty(D, x_hat):
    """E (||grad_x D(x_hat)|| - 1)^2, the two-sided penalty of WGAN-GP and DRAGAN."""
    x_hat = x_hat.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.norm(dim=1) - 1) ** 2).mean()


@pytest.mark.parametrize("loss", ["wgan_gp", "dragan"])
def test_gradient_penalty_objectives_stay_on_autograd_and_follow_their_papers(loss):
    """One D update equals an SGD step on the papers' objective written out here (same draws; SGD so the
    weights show the gradient itself: Adam's first step is lr * sign(g) whatever g's size)."""
    cfg = ToyConfig(loss=loss, batch_size=64, seed=5, optimizer="sgd", lr_d=0.1)
    t = Trainer(cfg)
    assert not t.fast  # a gradient of a gradient: the hand-written backprop cannot do it
    D, G = copy.deepcopy(t.D), copy.deepcopy(t.G)
    gen = torch.Generator().manual_seed(cfg.seed)  # the trainer's draws, in its order
    real = t.dataset.sample(64, gen)
    with torch.no_grad():
        fake = G(torch.randn(64, cfg.z_dim, generator=gen))
    r, f = D(real), D(fake)
    if loss == "wgan_gp":  # Gulrajani et al.: critic loss + lambda (||grad C(x_hat)|| - 1)^2 on interpolates
        eps = torch.rand(64, 1, generator=gen)
        objective = f.mean() - r.mean() + cfg.gp_weight * _penalty(D, eps * real + (1 - eps) * fake)
    else:  # Kodali et al.: the GAN's cross-entropy + the same penalty at x + alpha * 0.5 * std(x) * noise
        noise, alpha = torch.rand(real.shape, generator=gen), torch.rand(64, 1, generator=gen)
        bce = -torch.log(torch.sigmoid(r)).mean() - torch.log(1 - torch.sigmoid(f)).mean()
        objective = bce + cfg.gp_weight * _penalty(D, real + alpha * 0.5 * real.std() * noise)
    grads = torch.autograd.grad(objective, list(D.parameters()))
    assert t.d_step() == pytest.approx(objective.item(), rel=1e-5)
    for p, q, g in zip(t.D.parameters(), D.parameters(), grads):
        torch.testing.assert_close(p.detach(), q.detach() - cfg.lr_d * g, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("use_fast", [True, False], ids=["fast", "autograd"])
def test_ragan_steps_follow_its_paper(use_fast):
    """Jolicoeur-Martineau 2018, relativistic average: one D and one G update equal SGD steps on the paper's
    objectives written out here, with the trainer's draws (G's update draws a real batch, then the noise)."""
    cfg = ToyConfig(loss="ragan", batch_size=64, seed=6, optimizer="sgd", lr_d=0.1, lr_g=0.1)
    t = Trainer(cfg, use_fast=use_fast)
    assert t.fast == use_fast
    D, G = copy.deepcopy(t.D), copy.deepcopy(t.G)
    gen = torch.Generator().manual_seed(cfg.seed)

    def ra(a, b):  # -E log sigmoid(a - E b) - E log(1 - sigmoid(b - E a))
        return -torch.log(torch.sigmoid(a - b.mean())).mean() - torch.log(1 - torch.sigmoid(b - a.mean())).mean()

    real = t.dataset.sample(64, gen)
    with torch.no_grad():
        fake = G(torch.randn(64, cfg.z_dim, generator=gen))
    d_objective = ra(D(real), D(fake))
    d_grads = torch.autograd.grad(d_objective, list(D.parameters()))
    assert t.d_step() == pytest.approx(d_objective.item(), rel=1e-5)
    for p, q, g in zip(t.D.parameters(), D.parameters(), d_grads):
        torch.testing.assert_close(p.detach(), q.detach() - cfg.lr_d * g, rtol=1e-5, atol=1e-6)
    D = copy.deepcopy(t.D)
    real = t.dataset.sample(64, gen)
    g_objective = ra(D(G(torch.randn(64, cfg.z_dim, generator=gen))), D(real))
    g_grads = torch.autograd.grad(g_objective, list(G.parameters()))
    assert t.g_step() == pytest.approx(g_objective.item(), rel=1e-5)
    for p, q, g in zip(t.G.parameters(), G.parameters(), g_grads):
        torch.testing.assert_close(p.detach(), q.detach() - cfg.lr_g * g, rtol=1e-5, atol=1e-6)


def test_unrolled_g_step_differentiates_through_ds_next_update():
    """Metz et al. with one SGD look-ahead step: G's loss is taken under D's weights after one more D
    update, theta' = theta - lr_d * grad L_D(theta), and G's gradient flows through theta'."""
    cfg = ToyConfig(unroll_steps=1, optimizer="sgd", lr_d=0.5, lr_g=0.1, batch_size=64, seed=2)
    t = Trainer(cfg)
    assert not t.fast
    D, G = copy.deepcopy(t.D), copy.deepcopy(t.G)
    gen = torch.Generator().manual_seed(cfg.seed)
    fake = G(torch.randn(64, cfg.z_dim, generator=gen))  # the batch G is scored on
    real = t.dataset.sample(64, gen)  # the look-ahead's batch
    fake2 = G(torch.randn(64, cfg.z_dim, generator=gen))
    theta = dict(D.named_parameters())
    out = torch.func.functional_call(D, theta, (torch.cat([real, fake2]),))
    d_loss = torch.nn.functional.softplus(-out[:64]).mean() + torch.nn.functional.softplus(out[64:]).mean()
    grads = torch.autograd.grad(d_loss, list(theta.values()), create_graph=True)
    ahead = {k: v - cfg.lr_d * g for (k, v), g in zip(theta.items(), grads)}
    g_loss = torch.nn.functional.softplus(-torch.func.functional_call(D, ahead, (fake,))).mean()  # -log D(G(z))
    g_grads = torch.autograd.grad(g_loss, list(G.parameters()), retain_graph=True)
    plain = torch.autograd.grad(torch.nn.functional.softplus(-D(fake)).mean(), list(G.parameters()))
    assert max(float((a - b).abs().max()) for a, b in zip(g_grads, plain)) > 1e-4  # the look-ahead matters
    assert t.g_step() == pytest.approx(g_loss.item(), rel=1e-5)
    for p, q, g in zip(t.G.parameters(), G.parameters(), g_grads):
        torch.testing.assert_close(p.detach(), q.detach() - cfg.lr_g * g, rtol=1e-5, atol=1e-6)


def test_fast_trainer_logs_losses_and_saves_and_loads(tmp_path):
    t = Trainer(ToyConfig(), log_every=10)
    t.step(25)
    assert [row["iteration"] for row in t.history] == [10, 20]
    assert all(isinstance(row["d_loss"], float) for row in t.history)
    path = t.save(tmp_path / "run")
    u = Trainer.load(path)
    for p, q in zip([*t.G.parameters(), *t.D.parameters()], [*u.G.parameters(), *u.D.parameters()]):
        assert torch.equal(p.detach(), q.detach())
    if u.fast:  # the loaded weights reached the flat tensors the fast path trains
        before = u._fd.flat.clone()
        u.step(1)
        assert not torch.equal(before, u._fd.flat)
        torch.testing.assert_close(u._fd.flat[: u.D.net[0].weight.numel()], u.D.net[0].weight.detach().reshape(-1))


def test_the_chunk_function_is_compiled_and_chunking_does_not_change_the_run():
    assert isinstance(fast.chunk_function(), torch.jit.ScriptFunction)
    a, b = Trainer(ToyConfig(seed=3)), Trainer(ToyConfig(seed=3))
    a.step(25)
    for n in (1, 9, 15):
        b.step(n)
    for p, q in zip([*a.G.parameters(), *a.D.parameters()], [*b.G.parameters(), *b.D.parameters()]):
        assert torch.equal(p.detach(), q.detach())


def test_freezes_on_the_fast_path():
    t = Trainer(ToyConfig())
    g0 = t._fg.flat.clone()
    d0 = t._fd.flat.clone()
    t.freeze_g = True
    t.step(5)
    assert torch.equal(t._fg.flat, g0) and not torch.equal(t._fd.flat, d0)
    t.freeze_g, t.freeze_d = False, True
    d1 = t._fd.flat.clone()
    t.step(5)
    assert torch.equal(t._fd.flat, d1) and not torch.equal(t._fg.flat, g0)
    assert t.iteration == 10


@pytest.mark.parametrize("changes", [dict(), dict(loss="wgan", pack=2, activation="elu"),
                                     dict(loss="hinge", activation="leaky_relu", pack=3),
                                     dict(loss="ragan", pack=3, optimizer="sgd", lr_d=0.05, lr_g=0.05)],
                         ids=["ns", "wgan", "hinge", "ragan"])
def test_compiled_picture_equals_the_modules_picture(changes):
    """The live picture's one-call version (flat weights, hand-written input gradient) draws what the
    nn.Module version with autograd draws: same D surface, samples, manifold, level, arrow directions."""
    t = Trainer(ToyConfig(seed=4, **changes))
    t.step(120)
    kw = dict(d_star=True, fresh_metrics=False, manifold_points=21)
    a = t.snapshot(**kw)
    t.fast = False  # the modules and autograd
    b = t.snapshot(**kw)
    for key in ("d_grid", "fake", "d_star_grid"):
        np.testing.assert_allclose(a[key], b[key], atol=1e-6)
    np.testing.assert_allclose(np.concatenate(a["manifold"]), np.concatenate(b["manifold"]), atol=1e-6)
    assert a["boundary_level"] == pytest.approx(b["boundary_level"], abs=1e-6)
    unit = [d / np.linalg.norm(d, axis=1).max() for d in (a["arrows_dir"], b["arrows_dir"])]
    np.testing.assert_allclose(unit[0], unit[1], atol=1e-5)
