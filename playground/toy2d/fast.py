"""The training step without autograd: hand-written backprop for the 2-D lab's MLPs.

The networks here are tiny (a few thousand weights), so a training step costs less in arithmetic than
in bookkeeping: autograd's graph, ``torch.optim``'s per-step Python, boolean masks. This module does
the same maths with about a third of the tensor operations:

* each network's weights live in **one flat tensor** (the ``nn.Linear`` parameters become views of
  it, so the modules, ``state_dict()`` and pictures keep working), and so do their gradients, which
  ``mm(..., out=view)`` writes in place;
* the backward pass is written out: ``dW = gᵀh``, ``db = Σg``, ``g ← gW`` and the activation's
  derivative from its *output* (ReLU, leaky ReLU, tanh and ELU all allow that);
* the loss gradients with respect to D's raw outputs are closed forms (``OUTPUT_GRADS``), checked
  against autograd in the tests;
* Adam / RMSprop / SGD are torch's update rules on the flat tensors (a handful of ops per step).

Used for every objective without a gradient penalty or unrolling (those need gradients of gradients:
the trainer keeps autograd for them). Tests check that a run matches the autograd trainer's run.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from playground.toy2d import losses

# ---- d loss / d output, per objective ---------------------------------------------------------------
# Each takes the raw outputs (n, 1) and returns d(loss)/d(output), loss = a mean over n rows.


def _d_grad_log(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    # d/dr softplus(-r)/n = -sigmoid(-r)/n = (sigmoid(r) - 1)/n ;  d/df softplus(f)/n = sigmoid(f)/n
    g = torch.sigmoid(torch.cat([r, f]))
    g[: len(r)] -= 1
    return g.div_(len(r))


def _d_grad_wasserstein(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    g = torch.full((len(r) + len(f), 1), 1.0 / len(r))
    g[: len(r)] = -1.0 / len(r)
    return g


def _d_grad_least_squares(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    g = torch.cat([r, f])
    g[: len(r)] -= 1
    return g.div_(len(r))


def _d_grad_hinge(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    # relu(1 - r): -1 where r < 1 ;  relu(1 + f): +1 where f > -1  (0 at the kink, as autograd)
    return torch.cat([-(r < 1).float(), (f > -1).float()]).div_(len(r))


def _g_grad_saturating(f: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(f).neg_().div_(len(f))  # d/df -softplus(f)/n


def _g_grad_nonsaturating(f: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(f).sub_(1).div_(len(f))  # d/df softplus(-f)/n


def _g_grad_critic(f: torch.Tensor) -> torch.Tensor:
    return torch.full_like(f, -1.0 / len(f))


def _g_grad_least_squares(f: torch.Tensor) -> torch.Tensor:
    return (f - 1).div_(len(f))


OUTPUT_GRADS = {  # loss function -> its gradient with respect to the raw outputs
    losses.d_loss_log: _d_grad_log,
    losses.d_loss_wasserstein: _d_grad_wasserstein,
    losses.d_loss_least_squares: _d_grad_least_squares,
    losses.d_loss_hinge: _d_grad_hinge,
    losses.g_loss_saturating: _g_grad_saturating,
    losses.g_loss_nonsaturating: _g_grad_nonsaturating,
    losses.g_loss_critic: _g_grad_critic,
    losses.g_loss_least_squares: _g_grad_least_squares,
}

# ---- activations: in-place forward, backward from the output ----------------------------------------

_aten = torch.ops.aten
_ACT = {
    nn.ReLU: (torch.relu_, lambda g, h: _aten.threshold_backward(g, h, 0)),
    nn.LeakyReLU: (None, None),  # filled per module below (slope)
    nn.Tanh: (torch.tanh_, lambda g, h: _aten.tanh_backward(g, h)),
    nn.ELU: (None, None),
}


def _activation(mod: nn.Module):
    if isinstance(mod, nn.LeakyReLU):
        s = float(mod.negative_slope)
        return (lambda x: torch.nn.functional.leaky_relu_(x, s),
                lambda g, h: _aten.leaky_relu_backward(g, h, s, True))
    if isinstance(mod, nn.ELU):
        a = float(mod.alpha)
        return (lambda x: torch.nn.functional.elu_(x, a),
                lambda g, h: _aten.elu_backward(g, a, 1.0, 1.0, True, h))
    fwd, bwd = _ACT[type(mod)]
    return fwd, bwd


class FlatMLP:
    """An ``nn.Sequential`` of Linear/activation layers, re-homed into one flat weight tensor.

    ``forward(x)`` returns the output and the list of layer inputs it needs for ``backward``.
    ``backward(cache, g, weights=True, input_grad=False)`` writes dW/db into ``self.grad`` (when
    ``weights``) and returns the gradient with respect to the network's input (when ``input_grad``).
    """

    def __init__(self, seq: nn.Sequential):
        mods = list(seq)
        self.linears = [m for m in mods if isinstance(m, nn.Linear)]
        acts = [m for m in mods if not isinstance(m, nn.Linear)]
        if len(acts) != len(self.linears) - 1 or not all(isinstance(m, nn.Linear) for m in mods[::2]):
            raise ValueError("FlatMLP expects Linear, activation, Linear, ..., Linear")
        self.acts = [_activation(m) for m in acts]
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

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        cache = []
        last = len(self.layers) - 1
        for i, (w, b, _, _) in enumerate(self.layers):
            cache.append(x)
            x = torch.addmm(b, x, w.t())
            if i < last:
                x = self.acts[i][0](x)
        return x, cache

    def backward(self, cache: list[torch.Tensor], g: torch.Tensor, weights: bool = True,
                 input_grad: bool = False) -> torch.Tensor | None:
        for i in range(len(self.layers) - 1, -1, -1):
            w, _, dw, db = self.layers[i]
            h = cache[i]
            if weights:
                torch.mm(g.t(), h, out=dw)
                torch.sum(g, 0, out=db)
            if i == 0 and not input_grad:
                return None
            g = g.mm(w)
            if i > 0:  # h is the previous activation's output
                g = self.acts[i - 1][1](g, h)
        return g


class FlatOptimizer:
    """torch's Adam / RMSprop / SGD update rules (defaults as ``make_optimizer``) on one flat tensor."""

    def __init__(self, name: str, net: FlatMLP, lr: float, beta1: float, beta2: float, eps: float = 1e-8):
        self.name, self.net, self.lr, self.b1, self.b2, self.eps = name, net, lr, beta1, beta2, eps
        self.step_count = 0
        self.m = torch.zeros_like(net.flat) if name == "adam" else None
        self.v = torch.zeros_like(net.flat) if name in ("adam", "rmsprop") else None

    def step(self) -> None:
        p, g = self.net.flat, self.net.grad
        self.step_count += 1
        if self.name == "adam":
            t = self.step_count
            self.m.lerp_(g, 1 - self.b1)
            self.v.mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
            denom = self.v.sqrt().div_(math.sqrt(1 - self.b2**t)).add_(self.eps)
            p.addcdiv_(self.m, denom, value=-self.lr / (1 - self.b1**t))
        elif self.name == "rmsprop":
            self.v.mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
            p.addcdiv_(g, self.v.sqrt().add_(self.eps), value=-self.lr)
        else:
            p.add_(g, alpha=-self.lr)
