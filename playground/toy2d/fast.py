"""The training step without autograd: hand-written backprop for the 2-D lab's MLPs.

The networks here are tiny (a few thousand weights), so a training step costs less in arithmetic than
in bookkeeping: autograd's graph, ``torch.optim``'s per-step Python, boolean masks. This module does
the same maths with about a third of the tensor operations:

* each network's weights live in **one flat tensor** (the ``nn.Linear`` parameters become views of
  it, so the modules, ``state_dict()`` and pictures keep working), and so do their gradients, which
  ``mm(..., out=view)`` writes in place;
* the backward pass is written out: ``dW = gᵀh``, ``db = Σg``, ``g ← gW`` and the activation's
  derivative from its *output* (ReLU, leaky ReLU, tanh and ELU all allow that);
* the loss gradients with respect to D's raw outputs are closed forms (``_s_d_grad``, ``_s_g_grad``), one
  branch per code an objective names in its registry entry (``losses.OBJECTIVES[name].fast``), each
  checked against that entry's autograd losses in the tests;
* Adam / RMSprop / SGD are torch's update rules on the flat tensors (a handful of ops per step);
* a whole chunk of iterations, sampling included, is one TorchScript call (see below);
* a conditional GAN's one-hot labels are concatenated to G's and D's inputs (``n_labels`` > 0), and D's input
  gradient is cut back to the point's two coordinates before it flows into G.

Used for every objective whose entry has fast codes (not the gradient penalties: they need gradients of
gradients) and for runs without unrolling; the trainer keeps autograd for the others. Tests check that a run matches the autograd trainer's run.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import torch
from torch import nn

from playground.toy2d import losses

ACT_CODES = {nn.ReLU: 0, nn.LeakyReLU: 1, nn.Tanh: 2, nn.ELU: 3}
OPT_CODES = {"adam": 0, "rmsprop": 1, "sgd": 2}


class FlatMLP:
    """An ``nn.Sequential`` of Linear/activation layers, re-homed into one flat weight tensor.

    ``layers`` holds (W, b, dW, db) views of ``flat`` and ``grad`` per Linear layer; ``act_code`` /
    ``act_param`` name the activation for the chunk function below.
    """

    def __init__(self, seq: nn.Sequential):
        mods = list(seq)
        self.linears = [m for m in mods if isinstance(m, nn.Linear)]
        acts = [m for m in mods if not isinstance(m, nn.Linear)]
        if len(acts) != len(self.linears) - 1 or not all(isinstance(m, nn.Linear) for m in mods[::2]):
            raise ValueError("FlatMLP expects Linear, activation, Linear, ..., Linear")
        self.act_code = ACT_CODES[type(acts[0])] if acts else 0
        self.act_param = float(getattr(acts[0], "negative_slope", getattr(acts[0], "alpha", 0.0))) if acts else 0.0
        params = [p for lin in self.linears for p in (lin.weight, lin.bias)]
        self.flat = torch.cat([p.detach().reshape(-1) for p in params])
        self.grad = torch.zeros_like(self.flat)
        self.layers = []  # (W, b, dW, db) views
        offset = 0
        views = []
        for p in params:
            n = p.numel()
            views.append((self.flat[offset : offset + n].view_as(p), self.grad[offset : offset + n].view_as(p)))
            p.data = views[-1][0]  # the module now reads (and load_state_dict writes) the flat tensor
            offset += n
        for i in range(0, len(views), 2):
            (w, dw), (b, db) = views[i], views[i + 1]
            self.layers.append((w, b, dw, db))


ADAM_EPS = 1e-8  # torch's default eps for Adam and RMSprop (make_optimizer keeps the defaults)


class FlatOptimizer:
    """The state of torch's Adam / RMSprop / SGD for one flat tensor (the update rule itself is
    ``_s_opt`` inside the chunk function)."""

    def __init__(self, net: FlatMLP):
        self.step_count = 0
        self.m = torch.zeros_like(net.flat)  # Adam's first moment (unused by the others)
        self.v = torch.zeros_like(net.flat)  # Adam's / RMSprop's second moment (unused by SGD)


# ---- a whole chunk of iterations in one call, compiled with TorchScript ---------------------------
#
# Run op by op from Python, the step below makes ~60 calls into torch per iteration, and each call
# gives up Python's interpreter lock and must take it back. While the tab draws frames on another
# thread, every take-back can wait for that thread's time slice (the "convoy effect"): measured here,
# a Python thread busy beside it cut training from ~1,400 to 20 iterations/s. Compiled, a chunk of
# iterations - sampling included, from the same generator in the same order as the autograd trainer -
# is one call: the lock is taken back once per chunk, and Python's per-call cost is gone. The same
# functions run uncompiled where TorchScript is unavailable; the tests check both against autograd.


_Tensor = torch.Tensor
_TensorList = list[torch.Tensor]


def _s_act(x: _Tensor, code: int, a: float) -> _Tensor:
    if code == 0:
        return torch.relu_(x)
    if code == 1:
        return torch.ops.aten.leaky_relu_(x, a)
    if code == 2:
        return torch.tanh_(x)
    return torch.ops.aten.elu_(x, a, 1.0, 1.0)


def _s_act_back(g: _Tensor, h: _Tensor, code: int, a: float) -> _Tensor:
    if code == 0:
        return torch.ops.aten.threshold_backward(g, h, 0.0)
    if code == 1:
        return torch.ops.aten.leaky_relu_backward(g, h, a, True)
    if code == 2:
        return torch.ops.aten.tanh_backward(g, h)
    return torch.ops.aten.elu_backward(g, a, 1.0, 1.0, True, h)


def _s_forward(ws: _TensorList, bs: _TensorList, x: _Tensor, cache: _TensorList, act: int, a: float) -> _Tensor:
    last = len(ws) - 1
    for i in range(len(ws)):
        cache.append(x)
        x = torch.addmm(bs[i], x, ws[i].t())
        if i < last:
            x = _s_act(x, act, a)
    return x


def _s_backward(ws: _TensorList, dws: _TensorList, dbs: _TensorList, cache: _TensorList, g: _Tensor,
                weights: bool, act: int, a: float) -> _Tensor:
    for j in range(len(ws)):
        i = len(ws) - 1 - j
        h = cache[i]
        if weights:
            torch.mm(g.t(), h, out=dws[i])
            torch.sum(g, [0], out=dbs[i])
        if i == 0 and weights:
            break
        g = g.mm(ws[i])
        if i > 0:
            g = _s_act_back(g, h, act, a)
    return g


# The branches of D's and G's losses, by the codes of the registry's entries (losses.OBJECTIVES[...].fast):
# D: 0 d_loss_log, 1 d_loss_wasserstein, 2 d_loss_least_squares, 3 d_loss_hinge, 4 d_loss_relativistic_average;
# G: 0 g_loss_saturating, 1 g_loss_nonsaturating, 2 g_loss_critic, 3 g_loss_least_squares,
#    4 g_loss_relativistic_average. ``out`` / ``f`` hold D's outputs on the fakes, after the k reals' for D;
# ``r`` holds D's outputs on a real batch for the G losses that read it (else it is empty).


def _s_d_grad(out: _Tensor, k: int, code: int) -> _Tensor:
    if code == 0:
        g = torch.sigmoid(out)
        g[:k] -= 1
        return g.div_(k)
    if code == 1:
        g = torch.full_like(out, 1.0 / k)
        g[:k] = -1.0 / k
        return g
    if code == 2:
        g = out.clone()
        g[:k] -= 1
        return g.div_(k)
    if code == 3:
        return torch.cat([-(out[:k] < 1).float(), (out[k:] > -1).float()]).div_(k)
    return _s_relativistic_grad(out[:k], out[k:], True)


def _s_relativistic_grad(a: _Tensor, b: _Tensor, both: bool) -> _Tensor:
    """RaGAN's loss softplus(E b - a).mean() + softplus(b - E a).mean() (a: the side called real)
    differentiated by a, and by b stacked under it where ``both`` (D's loss; G's is a = the fakes, b = the reals)."""
    sa = torch.sigmoid(b.mean() - a)  # of the first term, per a
    sb = torch.sigmoid(b - a.mean())  # of the second term, per b
    ga = (sa + sb.mean()).neg_().div_(a.shape[0])
    if not both:
        return ga
    return torch.cat([ga, (sb + sa.mean()).div_(b.shape[0])])


def _s_g_grad(r: _Tensor, f: _Tensor, code: int) -> _Tensor:
    n = f.shape[0]
    if code == 0:
        return torch.sigmoid(f).neg_().div_(n)
    if code == 1:
        return torch.sigmoid(f).sub_(1).div_(n)
    if code == 2:
        return torch.full_like(f, -1.0 / n)
    if code == 3:
        return (f - 1).div_(n)
    return _s_relativistic_grad(f, r, False)


def _s_d_loss(out: _Tensor, k: int, code: int) -> _Tensor:
    r, f = out[:k], out[k:]
    if code == 0:
        return losses.d_loss_log(r, f)
    if code == 1:
        return losses.d_loss_wasserstein(r, f)
    if code == 2:
        return losses.d_loss_least_squares(r, f)
    if code == 3:
        return losses.d_loss_hinge(r, f)
    return losses.d_loss_relativistic_average(r, f)


def _s_g_loss(r: _Tensor, f: _Tensor, code: int) -> _Tensor:
    if code == 0:
        return losses.g_loss_saturating(f)
    if code == 1:
        return losses.g_loss_nonsaturating(f)
    if code == 2:
        return losses.g_loss_critic(f)
    if code == 3:
        return losses.g_loss_least_squares(f)
    return losses.g_loss_relativistic_average(r, f)


def opt_rule(p: _Tensor, g: _Tensor, m: _Tensor, v: _Tensor, t: int, code: int, lr: float, b1: float, b2: float,
             eps: float, tiny: float = 0.0) -> tuple[_Tensor, _Tensor, _Tensor]:
    """One step of torch's Adam (code 0), RMSprop (1) or SGD (2) on p with gradient g and moments m, v at
    step t, out of place: (new p, new m, new v). The one copy of the update rules: the fast path applies
    it in place (:func:`_s_opt`), the unrolled GAN's look-ahead differentiates through it (``tiny`` > 0
    keeps sqrt differentiable where v = 0)."""
    # the same operations in the same order as torch.optim's (foreach) code: RMSprop divides by sqrt(v), so
    # a last-bit difference in a tiny gradient's square can become a full-size step difference
    if code == 0:
        m = m.lerp(g, 1 - b1)
        v = v.mul(b2).addcmul(g, g, value=1 - b2)
        denom = v.add(tiny).sqrt().div(math.sqrt(1 - b2**t)).add(eps)
        return p.addcdiv(m, denom, value=-lr / (1 - b1**t)), m, v
    if code == 1:
        v = v.mul(b2).addcmul(g, g, value=1 - b2)
        return p.addcdiv(g, v.add(tiny).sqrt().add(eps), value=-lr), m, v
    return p.add(g, alpha=-lr), m, v


def _s_opt(p: _Tensor, g: _Tensor, m: _Tensor, v: _Tensor, t: int, code: int, lr: float, b1: float, b2: float,
           eps: float):
    """:func:`opt_rule` applied in place to the flat weights and moments."""
    p2, m2, v2 = opt_rule(p, g, m, v, t, code, lr, b1, b2, eps, 0.0)
    p.copy_(p2)
    m.copy_(m2)
    v.copy_(v2)


def _s_sample_z(n: int, z_dim: int, uniform: bool, gen: torch.Generator) -> _Tensor:
    if uniform:
        return torch.rand([n, z_dim], generator=gen).mul_(2).sub_(1)
    return torch.randn([n, z_dim], generator=gen)


def _s_sample_labelled(n: int, means: _Tensor, sigma: _Tensor, gen: torch.Generator) -> tuple[_Tensor, _Tensor]:
    """n points and the component each came from (GaussianMixture.sample_labelled's draws)."""
    idx = torch.randint(means.shape[0], [n], generator=gen)
    noise = torch.randn([n, 2], generator=gen)
    return means[idx].addcmul_(noise, sigma), idx


def _s_one_hot(labels: _Tensor, k: int, scale: float) -> _Tensor:
    """models.one_hot: the one entry is ``scale`` (models.LABEL_SCALE)."""
    return torch.zeros([labels.shape[0], k]).scatter_(1, labels.reshape(-1, 1), scale)


def _s_d_in(x: _Tensor, y: _Tensor, k: int, pack: int) -> _Tensor:
    """D's input rows: packs of points x (n, 2), each followed by its one-hot label y (n, k) when k > 0."""
    if k > 0:
        return torch.cat([x, y], 1).reshape(-1, (2 + k) * pack)
    return x.reshape(-1, 2 * pack)


def _s_g_in(z: _Tensor, y: _Tensor, k: int) -> _Tensor:
    return torch.cat([z, y], 1) if k > 0 else z


def _s_point_grad(gx: _Tensor, n: int, k: int) -> _Tensor:
    """D's input gradient (packs of [x, y]) -> the gradient by the n points x alone (n, 2)."""
    if k > 0:
        return gx.reshape(n, 2 + k)[:, :2]
    return gx.reshape(n, 2)


class ChunkSpec(NamedTuple):
    """What the chunk function needs to know about a run (fixed for the run's life)."""

    act: int  # ACT_CODES
    act_param: float  # leaky ReLU's slope / ELU's alpha
    d_code: int  # the objective's fast codes (losses.OBJECTIVES[name].fast)
    g_code: int
    g_reals: bool  # G's loss reads D's outputs on a real batch too (drawn before the noise, as the trainer does)
    opt: int  # OPT_CODES
    pack: int  # PacGAN's m
    n: int  # samples per batch (whole packs)
    z_dim: int
    z_uniform: bool
    lr_g: float
    lr_d: float
    beta1: float
    beta2: float
    eps: float
    clip: float  # WGAN's weight clipping; < 0: none
    n_labels: int  # a conditional GAN's classes (one per mode); 0: unconditional
    label_scale: float  # a one-hot label's one entry (models.LABEL_SCALE)


def _s_chunk(k: int, means: _Tensor, sigma: _Tensor, gen: torch.Generator,
             gw: _TensorList, gb: _TensorList, gdw: _TensorList, gdb: _TensorList, g_state: _TensorList,
             dw: _TensorList, db: _TensorList, ddw: _TensorList, ddb: _TensorList, d_state: _TensorList,
             spec: ChunkSpec, d_steps: int, g_steps: int, t_g: int, t_d: int) -> tuple[_Tensor, _Tensor]:
    """k iterations, drawing data and noise from ``gen`` in the same order as the one-step updates.

    *_state = [flat, grad, m, v]; d_steps / g_steps 0 freeze that player; t_g, t_d are the optimisers'
    step counts so far. Returns the last D and G losses (NaN when not computed).
    """
    act, d_code, g_code, opt, pack, n, z_dim = spec.act, spec.d_code, spec.g_code, spec.opt, spec.pack, spec.n, spec.z_dim
    uniform, a, lr_g, lr_d, b1, b2 = spec.z_uniform, spec.act_param, spec.lr_g, spec.lr_d, spec.beta1, spec.beta2
    eps, clip, nl, ls = spec.eps, spec.clip, spec.n_labels, spec.label_scale
    d_loss = torch.full([], float("nan"))
    g_loss = torch.full([], float("nan"))
    no_labels = torch.empty([0, 0])
    for it in range(k):
        for s in range(d_steps):
            real, idx = _s_sample_labelled(n, means, sigma, gen)
            y = _s_one_hot(idx, nl, ls) if nl > 0 else no_labels  # the fakes are asked for the reals' labels
            cache: _TensorList = []
            fake = _s_forward(gw, gb, _s_g_in(_s_sample_z(n, z_dim, uniform, gen), y, nl), cache, act, a)
            x = torch.cat([_s_d_in(real, y, nl, pack), _s_d_in(fake, y, nl, pack)])
            cache = []
            out = _s_forward(dw, db, x, cache, act, a)
            half = out.shape[0] // 2
            _s_backward(dw, ddw, ddb, cache, _s_d_grad(out, half, d_code), True, act, a)
            t_d += 1
            _s_opt(d_state[0], d_state[1], d_state[2], d_state[3], t_d, opt, lr_d, b1, b2, eps)
            if clip >= 0:
                d_state[0].clamp_(-clip, clip)
            if it == k - 1 and s == d_steps - 1:
                d_loss = _s_d_loss(out, half, d_code)
        for s in range(g_steps):
            r = torch.empty([0, 1])
            y = no_labels
            if spec.g_reals:  # a real batch first; the fakes are asked for its labels
                real, idx = _s_sample_labelled(n, means, sigma, gen)
                if nl > 0:
                    y = _s_one_hot(idx, nl, ls)
                r_cache: _TensorList = []
                r = _s_forward(dw, db, _s_d_in(real, y, nl, pack), r_cache, act, a)
            elif nl > 0:  # fresh labels, uniform over the modes
                y = _s_one_hot(torch.randint(nl, [n], generator=gen), nl, ls)
            g_cache: _TensorList = []
            x = _s_forward(gw, gb, _s_g_in(_s_sample_z(n, z_dim, uniform, gen), y, nl), g_cache, act, a)
            d_cache: _TensorList = []
            out = _s_forward(dw, db, _s_d_in(x, y, nl, pack), d_cache, act, a)
            gx = _s_backward(dw, ddw, ddb, d_cache, _s_g_grad(r, out, g_code), False, act, a)
            _s_backward(gw, gdw, gdb, g_cache, _s_point_grad(gx, n, nl), True, act, a)
            t_g += 1
            _s_opt(g_state[0], g_state[1], g_state[2], g_state[3], t_g, opt, lr_g, b1, b2, eps)
            if it == k - 1 and s == g_steps - 1:
                g_loss = _s_g_loss(r, out, g_code)
    return d_loss, g_loss


def _s_picture(gw: _TensorList, gb: _TensorList, dw: _TensorList, db: _TensorList, act: int, a: float,
               g_in: _Tensor, grid: _Tensor, real: _Tensor, n_fake: int, n_arrows: int, g_code: int, g_reals: bool,
               pack: int, sigmoid: bool, critic: bool, k: int, g_lab: _Tensor, grid_lab: _Tensor,
               real_lab: _Tensor) -> tuple[_Tensor, _Tensor, _Tensor, _Tensor]:
    """The live picture's tensors in one call: G of ``g_in`` (the samples, then the manifold's latent
    lines), what the heatmap shows at ``grid`` (D, or sigmoid(D); each point judged as a pack of copies),
    the critic's mean level on ``real`` and the first ``n_fake`` samples, and minus the gradient of each of
    the first ``n_arrows`` samples' own G loss with respect to the sample (where G pushes it; a G loss that
    reads reals reads ``real``'s whole packs). A conditional GAN (``k`` labels) reads the one-hot labels of
    each row: ``g_lab`` of g_in's (the label each sample was asked for), ``grid_lab`` of the grid's, ``real_lab``
    of the reals'."""
    cache: _TensorList = []
    g_out = _s_forward(gw, gb, _s_g_in(g_in, g_lab, k), cache, act, a)
    cache = []
    d = _s_forward(dw, db, _s_g_in(grid, grid_lab, k).repeat(1, pack), cache, act, a).squeeze(1)
    if sigmoid:
        d = torch.sigmoid(d)
    level = torch.full([], 0.5)
    if critic:
        cache = []
        r = _s_forward(dw, db, _s_g_in(real, real_lab, k).repeat(1, pack), cache, act, a).mean()
        cache = []
        f_lab = g_lab[:n_fake] if k > 0 else g_lab
        f = _s_forward(dw, db, _s_g_in(g_out[:n_fake], f_lab, k).repeat(1, pack), cache, act, a).mean()
        level = (r + f) / 2
    r = torch.empty([0, 1])
    if g_reals:
        cache = []
        m = (real.shape[0] // pack) * pack
        r_lab = real_lab[:m] if k > 0 else real_lab
        r = _s_forward(dw, db, _s_d_in(real[:m], r_lab, k, pack), cache, act, a)
    x = g_out[:n_arrows]
    x_lab = g_lab[:n_arrows] if k > 0 else g_lab
    cache = []
    out = _s_forward(dw, db, _s_d_in(x, x_lab, k, pack), cache, act, a)
    gx = _s_backward(dw, dw, db, cache, _s_g_grad(r, out, g_code), False, act, a)  # of the batch's mean loss
    return g_out, d, level, _s_point_grad(gx, x.shape[0], k).mul(-float(out.shape[0]))  # per sample's own loss


@functools.cache
def _compiled_picture():
    """``_s_picture`` as TorchScript (one call, one interpreter-lock handover), or None."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.jit.script(_s_picture)
    except Exception:  # noqa: BLE001 - the Python version of the same function then
        return None


def picture_function(scripted: bool = True):
    return (_compiled_picture() if scripted else None) or _s_picture


@functools.cache
def _compiled():
    """The TorchScript chunk function, or None where TorchScript is unavailable (then Python runs it)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch 2.14 marks torch.jit as deprecated; it still works
            return torch.jit.script(_s_chunk)
    except Exception:  # noqa: BLE001 - fall back to the Python version of the same function
        return None


def chunk_function(scripted: bool = True):
    return (_compiled() if scripted else None) or _s_chunk
