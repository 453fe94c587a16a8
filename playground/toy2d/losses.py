"""Every objective in one place, each a small function of the discriminator's raw outputs.

``r`` = D's raw output on real samples, ``f`` = on generated samples (tensors of any shape). For the
sigmoid losses the output is a logit and D(x) = sigmoid(output); ``softplus(t) = log(1 + e^t)`` gives
``-log sigmoid(t) = softplus(-t)`` and ``-log(1 - sigmoid(t)) = softplus(t)`` without overflow.

==============  ==========================================  ===========================================
loss            D minimises                                 G minimises
==============  ==========================================  ===========================================
minimax         -E log D(x) - E log(1 - D(G(z)))            E log(1 - D(G(z)))      (saturating)
nonsaturating   same as minimax                             -E log D(G(z))
wgan, wgan_gp   E C(G(z)) - E C(x)                          -E C(G(z))
lsgan           1/2 E (D(x) - 1)^2 + 1/2 E D(G(z))^2        1/2 E (D(G(z)) - 1)^2
hinge           E max(0, 1 - C(x)) + E max(0, 1 + C(G(z)))  -E C(G(z))
dragan          same as minimax, plus the DRAGAN penalty    -E log D(G(z))
ragan           -E log s(C(x) - E C(G(z)))                  the same with x and G(z) swapped
                - E log(1 - s(C(G(z)) - E C(x)))
==============  ==========================================  ===========================================

RaGAN (relativistic average GAN, Jolicoeur-Martineau 2018) asks how much more real a real point looks than
the fakes do on average (s = sigmoid): G's loss needs D's outputs on reals too, and the batch means couple
the samples.

:data:`OBJECTIVES` is the one registry of the lab's objectives: each :class:`Objective` holds its formulas,
its losses, the penalty or clipping it needs, its fast-path codes and what D's output means. The setting's
choices, the trainer, the fast path, the pictures, the charts, the model graph and the page all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

# ---- discriminator losses ---------------------------------------------------------------------------


def d_loss_log(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of D: -E log D(x) - E log(1 - D(G(z))). Equals log 4 when D = 1/2."""
    return F.softplus(-r).mean() + F.softplus(f).mean()


def d_loss_wasserstein(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """Negative of the critic's estimate of the Wasserstein-1 distance: E C(G(z)) - E C(x)."""
    return f.mean() - r.mean()


def d_loss_least_squares(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """LSGAN with targets 1 (real) and 0 (fake): 1/2 E (D(x) - 1)^2 + 1/2 E D(G(z))^2."""
    return 0.5 * ((r - 1) ** 2).mean() + 0.5 * (f**2).mean()


def d_loss_hinge(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """E max(0, 1 - C(x)) + E max(0, 1 + C(G(z)))."""
    return F.relu(1 - r).mean() + F.relu(1 + f).mean()


def d_loss_relativistic_average(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """RaGAN: -E log s(C(x) - E C(G(z))) - E log(1 - s(C(G(z)) - E C(x))). Equals log 4 when C is constant."""
    return F.softplus(f.mean() - r).mean() + F.softplus(f - r.mean()).mean()


# ---- generator losses -------------------------------------------------------------------------------


def g_loss_saturating(f: torch.Tensor) -> torch.Tensor:
    """The minimax G loss E log(1 - D(G(z))): its gradient vanishes when D confidently rejects fakes."""
    return -F.softplus(f).mean()


def g_loss_nonsaturating(f: torch.Tensor) -> torch.Tensor:
    """-E log D(G(z)): same fixed point, strong gradients when D rejects the fakes."""
    return F.softplus(-f).mean()


def g_loss_critic(f: torch.Tensor) -> torch.Tensor:
    """-E C(G(z)) for WGAN and hinge critics."""
    return -f.mean()


def g_loss_least_squares(f: torch.Tensor) -> torch.Tensor:
    """1/2 E (D(G(z)) - 1)^2."""
    return 0.5 * ((f - 1) ** 2).mean()


def g_loss_relativistic_average(r: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """RaGAN: D's loss with reals and fakes swapped; G gets a gradient from the reals' term too."""
    return d_loss_relativistic_average(f, r)


# ---- gradient penalties -----------------------------------------------------------------------------


def gradient_penalty(D, real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): E (||grad C(x_hat)|| - 1)^2 at x_hat = eps x + (1 - eps) G(z).

    ``eps`` (N, 1) is uniform in [0, 1]; the caller multiplies by the weight lambda.
    """
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    return _unit_gradient_norm_penalty(D, x_hat)


def dragan_penalty(D, real: torch.Tensor, noise: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """DRAGAN (Kodali et al. 2017): E (||grad D(x_hat)|| - 1)^2 near the data.

    x_hat = x + alpha * 0.5 * std(x) * noise, with ``noise`` uniform in [0, 1] (N, d) and ``alpha``
    uniform in [0, 1] (N, 1), as in the authors' code.
    """
    x_hat = (real + alpha * 0.5 * real.std() * noise).requires_grad_(True)
    return _unit_gradient_norm_penalty(D, x_hat)


def _unit_gradient_norm_penalty(D, x_hat: torch.Tensor) -> torch.Tensor:
    out = D(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()


# The draws of each penalty, in the trainer's order (the tests replay them).


def interpolates_penalty(D, real: torch.Tensor, fake: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """WGAN-GP's penalty at fresh random interpolates."""
    return gradient_penalty(D, real, fake, torch.rand(len(real), 1, generator=gen))


def near_data_penalty(D, real: torch.Tensor, fake: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """DRAGAN's penalty at fresh noisy copies of the reals (``fake`` unused)."""
    noise = torch.rand(real.shape, generator=gen)
    return dragan_penalty(D, real, noise, torch.rand(len(real), 1, generator=gen))


# ---- the registry -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Objective:
    """Everything about one objective of the 2-D lab.

    ``output``: what D's raw output is: "probability" (a logit, D(x) = sigmoid(output), boundary ½), "critic"
    (unbounded, boundary at the mean level of reals and fakes) or "score" (LSGAN's, pulled to 1 and 0).
    ``log4``: D's loss is log 4 at p_g = p_data (the losses chart's reference line). ``g_uses_reals``: G's
    loss reads D's outputs on a fresh real batch too. ``penalty``: (D, real, fake, generator) -> the term
    added λ times to D's loss (a gradient of a gradient: autograd only); ``penalty_note`` says where x̂ lies.
    ``clip``: D's weights are clipped after each update. ``fast``: the codes of D's and G's loss in the fast
    path's branches (:mod:`playground.toy2d.fast`), None where only autograd can train it.
    """

    name: str
    d_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (r, f)
    g_loss: Callable[..., torch.Tensor]  # (f), or (r, f) where g_uses_reals
    formula: str  # shown under the loss picker (Markdown with $...$ LaTeX)
    plain: tuple[str, str]  # (D minimises, G minimises) as plain text: the model graph's captions
    output: str
    log4: bool = False
    g_uses_reals: bool = False
    penalty: Callable | None = None
    penalty_note: str = ""
    clip: bool = False
    fast: tuple[int, int] | None = None

    def g(self, r: torch.Tensor | None, f: torch.Tensor) -> torch.Tensor:
        """G's loss from D's outputs on reals (read only where ``g_uses_reals``; else may be None) and fakes."""
        return self.g_loss(r, f) if self.g_uses_reals else self.g_loss(f)


_BCE = "−E log D(x) − E log(1 − D(G(z)))"
_W = "E C(G(z)) − E C(x)"
_RA = "−E log σ({a} − E {b}) − E log(1 − σ({b} − E {a}))"  # RaGAN's loss, with a the side called real

OBJECTIVES = {o.name: o for o in (
    Objective("minimax", d_loss_log, g_loss_saturating,
              r"$\min_G \max_D\; \mathbb{E}_x[\log D(x)] + \mathbb{E}_z[\log(1-D(G(z)))]$ — G minimises $\log(1-D(G(z)))$ (saturates when D wins).",
              (_BCE, "E log(1 − D(G(z)))"), "probability", log4=True, fast=(0, 0)),
    Objective("nonsaturating", d_loss_log, g_loss_nonsaturating,
              r"D: $\max\; \mathbb{E}\log D(x) + \mathbb{E}\log(1-D(G(z)))$; G: $\max\; \mathbb{E}\log D(G(z))$ — same fixed point, strong early gradients.",
              (_BCE, "−E log D(G(z))"), "probability", log4=True, fast=(0, 1)),
    Objective("wgan", d_loss_wasserstein, g_loss_critic,
              r"Critic: $\max_{\|C\|_L\le 1} \mathbb{E}C(x) - \mathbb{E}C(G(z))$ (Lipschitz by weight clipping); G: $\max \mathbb{E}C(G(z))$.",
              (_W, "−E C(G(z))"), "critic", clip=True, fast=(1, 2)),
    Objective("wgan_gp", d_loss_wasserstein, g_loss_critic,
              r"Critic: $\max\; \mathbb{E}C(x) - \mathbb{E}C(G(z)) - \lambda\,\mathbb{E}(\|\nabla C(\hat x)\|-1)^2$ on random interpolates $\hat x$.",
              (_W + " + λ E (‖∇C(x̂)‖ − 1)²", "−E C(G(z))"), "critic",
              penalty=interpolates_penalty, penalty_note="x̂ between a real and a fake point"),
    Objective("lsgan", d_loss_least_squares, g_loss_least_squares,
              r"D: $\min\; \tfrac12\mathbb{E}(D(x)-1)^2 + \tfrac12\mathbb{E}D(G(z))^2$; G: $\min\; \tfrac12\mathbb{E}(D(G(z))-1)^2$.",
              ("½ E (D(x) − 1)² + ½ E D(G(z))²", "½ E (D(G(z)) − 1)²"), "score", fast=(2, 3)),
    Objective("hinge", d_loss_hinge, g_loss_critic,
              r"D: $\min\; \mathbb{E}\max(0,1-C(x)) + \mathbb{E}\max(0,1+C(G(z)))$; G: $\max\; \mathbb{E}C(G(z))$.",
              ("E max(0, 1 − C(x)) + E max(0, 1 + C(G(z)))", "−E C(G(z))"), "critic", fast=(3, 2)),
    Objective("dragan", d_loss_log, g_loss_nonsaturating,
              r"Non-saturating GAN $+\;\lambda\,\mathbb{E}(\|\nabla D(x+\delta)\|-1)^2$ near the data (DRAGAN).",
              (_BCE + " + λ E (‖∇D(x̂)‖ − 1)²", "−E log D(G(z))"), "probability", log4=True,
              penalty=near_data_penalty, penalty_note="x̂ a real point plus noise"),
    Objective("ragan", d_loss_relativistic_average, g_loss_relativistic_average,
              r"Relativistic average (RaGAN): D: $\min\; -\mathbb{E}\log\sigma(C(x)-\mathbb{E}C(G(z))) - \mathbb{E}\log(1-\sigma(C(G(z))-\mathbb{E}C(x)))$; G: the same with $x$ and $G(z)$ swapped — how much more real than the other side on average.",
              (_RA.format(a="C(x)", b="C(G(z))"), _RA.format(a="C(G(z))", b="C(x)")), "critic", log4=True,
              g_uses_reals=True, fast=(4, 4)),
)}
