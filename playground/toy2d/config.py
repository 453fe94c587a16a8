"""Everything that defines one 2-D GAN run, as a plain dataclass.

A run is reproducible from its :class:`ToyConfig` alone: the seed fixes the network initialisation and
every noise draw. ``to_dict``/``from_dict`` round-trip through JSON (saved next to the weights) and
``from_dict`` checks every value, raising :class:`~playground.errors.UserError` with a sentence a
student can act on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from playground.errors import UserError

DATASETS = ("ring8", "grid25", "swiss_roll", "line", "two_gaussians", "ring", "three_blobs", "custom")
LOSSES = ("minimax", "nonsaturating", "wgan", "wgan_gp", "lsgan", "hinge", "dragan")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "elu")
Z_DISTS = ("gaussian", "uniform")
OPTIMIZERS = ("adam", "sgd", "rmsprop")


@dataclass
class ToyConfig:
    """One run: data, networks, objective, optimiser, schedule and seed.

    Defaults are a fast live demo: the non-saturating GAN on the 8-Gaussian ring with small MLPs.
    """

    # data
    dataset: str = "ring8"
    n_modes: int | None = None  # None: the data set's own default (8 on the ring, 25 on the grid)
    sigma: float | None = None  # None: the data set's own default spread
    # networks (depth = number of hidden layers)
    g_depth: int = 2
    g_width: int = 64
    d_depth: int = 2
    d_width: int = 64
    activation: str = "relu"
    z_dim: int = 2
    z_dist: str = "gaussian"
    # objective and remedies
    loss: str = "nonsaturating"
    unroll_steps: int = 0  # 0 = off; k > 0 = G looks k D-updates ahead (Metz et al. 2017)
    pack: int = 1  # 1 = off; m > 1 = D judges m samples at once (PacGAN, Lin et al. 2018)
    gp_weight: float = 10.0  # lambda of the WGAN-GP / DRAGAN gradient penalty
    clip_value: float = 0.01  # weight clipping of the WGAN critic
    # optimisation
    optimizer: str = "adam"
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    beta1: float = 0.5
    beta2: float = 0.999
    batch_size: int = 256
    d_steps: int = 1
    g_steps: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        self.validate()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ToyConfig":
        """Build and validate a config; unknown keys or bad values raise UserError."""
        if not isinstance(d, dict):
            raise UserError("A run configuration must be a JSON object of settings.")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise UserError(f"Unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}.")
        return cls(**d)  # __post_init__ validates

    def replace(self, **changes: Any) -> "ToyConfig":
        """A validated copy with some settings changed."""
        return ToyConfig.from_dict({**self.to_dict(), **changes})

    def validate(self) -> "ToyConfig":
        """Coerce numeric types and check ranges; returns self."""
        _choice("dataset", self.dataset, DATASETS)
        _choice("loss", self.loss, LOSSES)
        _choice("activation", self.activation, ACTIVATIONS)
        _choice("z_dist", self.z_dist, Z_DISTS)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        if self.n_modes is not None:
            self.n_modes = _int("n_modes", self.n_modes, 1, 100)
        if self.sigma is not None:
            self.sigma = _float("sigma", self.sigma, 1e-3, 2.0)
        self.g_depth = _int("g_depth", self.g_depth, 1, 8)
        self.d_depth = _int("d_depth", self.d_depth, 1, 8)
        self.g_width = _int("g_width", self.g_width, 2, 512)
        self.d_width = _int("d_width", self.d_width, 2, 512)
        self.z_dim = _int("z_dim", self.z_dim, 1, 16)
        self.unroll_steps = _int("unroll_steps", self.unroll_steps, 0, 20)
        self.pack = _int("pack", self.pack, 1, 8)
        self.gp_weight = _float("gp_weight", self.gp_weight, 0.0, 1000.0)
        self.clip_value = _float("clip_value", self.clip_value, 1e-5, 10.0)
        self.lr_g = _float("lr_g", self.lr_g, 0.0, 10.0)
        self.lr_d = _float("lr_d", self.lr_d, 0.0, 10.0)
        self.beta1 = _float("beta1", self.beta1, 0.0, 0.9999)
        self.beta2 = _float("beta2", self.beta2, 0.0, 0.99999)
        self.batch_size = _int("batch_size", self.batch_size, 2, 8192)
        self.d_steps = _int("d_steps", self.d_steps, 0, 20)
        self.g_steps = _int("g_steps", self.g_steps, 0, 20)
        self.seed = _int("seed", self.seed, 0, 2**31 - 1)
        if self.batch_size < self.pack:
            raise UserError(f"batch_size ({self.batch_size}) must be at least the packing degree ({self.pack}).")
        return self


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise UserError(f"{name} must be one of {', '.join(allowed)} (got {value!r}).")


def _int(name: str, value: Any, lo: int, hi: int) -> int:
    try:
        v = int(value)
        ok = float(value) == v
    except (TypeError, ValueError):
        ok = False
    if not ok or isinstance(value, bool):
        raise UserError(f"{name} must be a whole number (got {value!r}).")
    if not lo <= v <= hi:
        raise UserError(f"{name} must be between {lo} and {hi} (got {v}).")
    return v


def _float(name: str, value: Any, lo: float, hi: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a number (got {value!r}).") from None
    if isinstance(value, bool) or v != v or not lo <= v <= hi:
        raise UserError(f"{name} must be a number between {lo:g} and {hi:g} (got {value!r}).")
    return v


# One line per setting, written for the student who sees the control (the tab shows these).
HELP: dict[str, str] = {
    "dataset": "The real distribution G must learn to imitate.",
    "n_modes": "How many Gaussian blobs (ring / grid / blobs); the grid needs a square number.",
    "sigma": "Spread of each blob: smaller blobs are harder to hit and easier to miss.",
    "g_depth": "Hidden layers of the generator: more layers can bend the latent plane into more shapes.",
    "g_width": "Units per generator layer.",
    "d_depth": "Hidden layers of the discriminator: more layers draw more detailed decision boundaries.",
    "d_width": "Units per discriminator layer.",
    "activation": "The non-linearity between layers (ReLU folds the plane along straight lines, tanh bends it smoothly).",
    "z_dim": "Dimension of the noise z that G turns into a point; the manifold drawing shows the first two.",
    "z_dist": "Where z comes from: a standard Gaussian or uniform on [-1, 1].",
    "loss": "The game G and D play; each objective is shown as a formula.",
    "unroll_steps": "Unrolled GAN: G is scored by D as it will be k updates later (0 = off).",
    "pack": "PacGAN: D judges m samples at once, so a pack of look-alikes gives collapse away (1 = off).",
    "gp_weight": "Strength λ of the gradient penalty (WGAN-GP, DRAGAN).",
    "clip_value": "WGAN: the critic's weights are clipped to [-c, c] to keep it Lipschitz.",
    "optimizer": "How each network follows its gradient: SGD, Adam (momentum + per-weight step size) or RMSprop.",
    "lr_g": "Generator learning rate: how far G moves per update.",
    "lr_d": "Discriminator learning rate: how far D moves per update.",
    "beta1": "Adam's momentum (0.5 is the GAN custom; 0.9 is Adam's default).",
    "beta2": "Adam's / RMSprop's averaging of squared gradients.",
    "batch_size": "Samples per update for each network.",
    "d_steps": "k: D updates per iteration. What is the best k? Try 1, 5 and 10.",
    "g_steps": "G updates per iteration.",
    "seed": "Same seed, same run: initial weights and every noise draw are fixed by it.",
}
