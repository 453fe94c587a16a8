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
==============  ==========================================  ===========================================
"""

from __future__ import annotations

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


# ---- lookup by name ---------------------------------------------------------------------------------

D_LOSSES = {
    "minimax": d_loss_log,
    "nonsaturating": d_loss_log,
    "dragan": d_loss_log,
    "wgan": d_loss_wasserstein,
    "wgan_gp": d_loss_wasserstein,
    "lsgan": d_loss_least_squares,
    "hinge": d_loss_hinge,
}
G_LOSSES = {
    "minimax": g_loss_saturating,
    "nonsaturating": g_loss_nonsaturating,
    "dragan": g_loss_nonsaturating,
    "wgan": g_loss_critic,
    "wgan_gp": g_loss_critic,
    "lsgan": g_loss_least_squares,
    "hinge": g_loss_critic,
}
SIGMOID_LOSSES = frozenset({"minimax", "nonsaturating", "dragan"})  # D(x) = sigmoid(output)
CRITIC_LOSSES = frozenset({"wgan", "wgan_gp", "hinge"})  # unbounded critic; boundary = mean level

FORMULAS = {  # shown under the loss picker (Markdown with $...$ LaTeX)
    "minimax": r"$\min_G \max_D\; \mathbb{E}_x[\log D(x)] + \mathbb{E}_z[\log(1-D(G(z)))]$ — G minimises $\log(1-D(G(z)))$ (saturates when D wins).",
    "nonsaturating": r"D: $\max\; \mathbb{E}\log D(x) + \mathbb{E}\log(1-D(G(z)))$; G: $\max\; \mathbb{E}\log D(G(z))$ — same fixed point, strong early gradients.",
    "wgan": r"Critic: $\max_{\|C\|_L\le 1} \mathbb{E}C(x) - \mathbb{E}C(G(z))$ (Lipschitz by weight clipping); G: $\max \mathbb{E}C(G(z))$.",
    "wgan_gp": r"Critic: $\max\; \mathbb{E}C(x) - \mathbb{E}C(G(z)) - \lambda\,\mathbb{E}(\|\nabla C(\hat x)\|-1)^2$ on random interpolates $\hat x$.",
    "lsgan": r"D: $\min\; \tfrac12\mathbb{E}(D(x)-1)^2 + \tfrac12\mathbb{E}D(G(z))^2$; G: $\min\; \tfrac12\mathbb{E}(D(G(z))-1)^2$.",
    "hinge": r"D: $\min\; \mathbb{E}\max(0,1-C(x)) + \mathbb{E}\max(0,1+C(G(z)))$; G: $\max\; \mathbb{E}C(G(z))$.",
    "dragan": r"Non-saturating GAN $+\;\lambda\,\mathbb{E}(\|\nabla D(x+\delta)\|-1)^2$ near the data (DRAGAN).",
}
# What each player minimises, as plain text (the model graph's captions, drawn in the page as text, not LaTeX):
# the table of the module docstring, penalties included. D(x) = sigmoid(output); C is an unbounded critic.
PLAIN_FORMULAS = {  # loss: (D minimises, G minimises)
    "minimax": ("−E log D(x) − E log(1 − D(G(z)))", "E log(1 − D(G(z)))"),
    "nonsaturating": ("−E log D(x) − E log(1 − D(G(z)))", "−E log D(G(z))"),
    "wgan": ("E C(G(z)) − E C(x)", "−E C(G(z))"),
    "wgan_gp": ("E C(G(z)) − E C(x) + λ E (‖∇C(x̂)‖ − 1)²", "−E C(G(z))"),
    "lsgan": ("½ E (D(x) − 1)² + ½ E D(G(z))²", "½ E (D(G(z)) − 1)²"),
    "hinge": ("E max(0, 1 − C(x)) + E max(0, 1 + C(G(z)))", "−E C(G(z))"),
    "dragan": ("−E log D(x) − E log(1 − D(G(z))) + λ E (‖∇D(x̂)‖ − 1)²", "−E log D(G(z))"),
}
