"""A small variational autoencoder on the lab's 2-D data, to set beside the GAN.

The VAE maximises the evidence lower bound

    ELBO(x) = E_q(z|x)[log p(x|z)] - KL(q(z|x) || N(0, I))

with a Gaussian encoder q(z|x) = N(mu(x), diag sigma(x)^2), a Gaussian decoder p(x|z) = N(m(z), s^2 I)
whose spread s is one learned number, and the reparameterisation z = mu + sigma * eps. Maximum
likelihood is *mean-seeking*: missing any data point costs log-likelihood without bound, so the model
spreads its mass to cover every mode and pays with mass between them (a blurred ring). The GAN's
game penalises fakes that look wrong, not real points left uncovered: it is *mode-seeking* (sharp
samples, possibly on few modes). Sampling draws z ~ N(0, I) and x ~ p(x|z).

The tab builds a :class:`VAETrainer` from the lab's :class:`ToyConfig` (same data and seed), calls
``step(n)`` beside the GAN's trainer and draws ``generate(n)``; ``metrics()`` gives the same mode metrics.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from playground.seeding import seeded
from playground.toy2d import metrics
from playground.toy2d.config import ToyConfig
from playground.toy2d.data import GaussianMixture, make_dataset


@dataclass
class VAEConfig:
    """The VAE's own settings (the data set and seed come from the lab's ToyConfig)."""

    z_dim: int = 2
    width: int = 64
    depth: int = 2
    lr: float = 2e-3
    batch_size: int = 256
    beta: float = 1.0  # weight of the KL term (1 = the ELBO)

    def to_dict(self) -> dict:
        return asdict(self)


def mlp(n_in: int, n_out: int, width: int, depth: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(n_in if i == 0 else width, width), nn.ReLU()]
    layers.append(nn.Linear(width if depth else n_in, n_out))
    return nn.Sequential(*layers)


class VAE(nn.Module):
    """Encoder x (n, 2) -> (mu, log sigma^2) of z; decoder z -> mean of x; one learned log s."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.z_dim = cfg.z_dim
        self.encoder = mlp(2, 2 * cfg.z_dim, cfg.width, cfg.depth)
        self.decoder = mlp(cfg.z_dim, 2, cfg.width, cfg.depth)
        self.log_s = nn.Parameter(torch.tensor(math.log(0.5)))  # decoder spread, learned

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        return h[:, : self.z_dim], h[:, self.z_dim :].clamp(-12, 8)

    def loss_terms(self, x: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-batch means of the negative log-likelihood -log p(x|z) and of KL(q(z|x) || N(0, I))."""
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * eps  # the reparameterisation trick
        m = self.decoder(z)
        s2 = torch.exp(2 * self.log_s)
        nll = (((x - m) ** 2).sum(1) / (2 * s2) + 2 * self.log_s + math.log(2 * math.pi)).mean()
        kl = (0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(1)).mean()
        return nll, kl


class VAETrainer:
    """A VAE being trained on a lab data set; seeded like the GAN's :class:`Trainer`."""

    def __init__(self, cfg: ToyConfig | None = None, vae: VAEConfig | None = None,
                 dataset: GaussianMixture | None = None, points=None):
        self.cfg = cfg or ToyConfig()
        self.vae_cfg = vae or VAEConfig()
        self.dataset = dataset if dataset is not None else make_dataset(self.cfg, points)
        self.gen = torch.Generator().manual_seed(self.cfg.seed)
        with seeded(self.cfg.seed):
            self.model = VAE(self.vae_cfg)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=self.vae_cfg.lr)
        self.iteration = 0
        self.last: dict[str, float] = {}

    def step(self, n: int = 1) -> dict[str, float]:
        """n updates on fresh data batches; returns the last batch's nll, kl and loss (= -ELBO)."""
        b, z_dim, beta = self.vae_cfg.batch_size, self.vae_cfg.z_dim, self.vae_cfg.beta
        for _ in range(int(n)):
            x = self.dataset.sample(b, self.gen)
            nll, kl = self.model.loss_terms(x, torch.randn(b, z_dim, generator=self.gen))
            loss = nll + beta * kl
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            self.iteration += 1
        if n:
            self.last = {"nll": nll.item(), "kl": kl.item(), "loss": loss.item()}
            if not math.isfinite(self.last["loss"]):
                raise FloatingPointError(f"The VAE's loss became {self.last['loss']} at iteration {self.iteration}.")
        return self.last

    @torch.no_grad()
    def evaluate(self, n: int = 2000) -> dict[str, float]:
        """nll, kl and loss (= -ELBO, in nats per point) on a fixed data sample with fixed noise."""
        g = torch.Generator().manual_seed(self.cfg.seed * 7919 + 5)
        x = self.dataset.sample(n, g)
        nll, kl = self.model.loss_terms(x, torch.randn(n, self.vae_cfg.z_dim, generator=g))
        return {"nll": nll.item(), "kl": kl.item(), "loss": (nll + self.vae_cfg.beta * kl).item()}

    @torch.no_grad()
    def generate(self, n: int, noise: bool = True, seed: int = 1) -> np.ndarray:
        """n samples: z ~ N(0, I), x = m(z) (+ s * noise, the model's own spread, when ``noise``).

        Fixed noise per ``seed``, so successive frames show the model moving, not the dice."""
        g = torch.Generator().manual_seed(self.cfg.seed * 7919 + seed)
        z = torch.randn(n, self.vae_cfg.z_dim, generator=g)
        x = self.model.decoder(z)
        if noise:
            x = x + torch.exp(self.model.log_s) * torch.randn(n, 2, generator=g)
        return x.numpy()

    def metrics(self, n: int = metrics.N_METRIC_SAMPLES) -> dict:
        """The GAN lab's mode metrics of n VAE samples."""
        return metrics.mode_metrics(self.generate(n), self.dataset.centers, self.dataset.sigma, self.dataset.means)

    @property
    def spread(self) -> float:
        """The decoder's learned s (the blur every sample gets)."""
        return float(torch.exp(self.model.log_s))


__all__ = ["VAEConfig", "VAE", "VAETrainer", "mlp"]
