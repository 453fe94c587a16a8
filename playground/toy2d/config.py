"""Everything that defines one 2-D GAN run, as a plain dataclass whose fields declare themselves.

A run is reproducible from its :class:`ToyConfig` alone: the seed fixes the network initialisation and
every noise draw. Each field is declared once with :func:`setting`: its default, its allowed range or
choices, the control group it belongs to, its label and its one-line help. Validation (``from_dict``
raises :class:`~playground.errors.UserError` with a sentence a student can act on), the tab's
controls, the command line's flags and share links are all derived from these declarations
(:data:`SETTINGS`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from playground import safe_input
from playground.errors import UserError
from playground.toy2d.losses import OBJECTIVES

DATASETS = ("ring8", "grid25", "swiss_roll", "line", "two_gaussians", "ring", "three_blobs", "custom")
LOSSES = tuple(OBJECTIVES)  # the registry's objectives, in its order
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "elu")
Z_DISTS = ("gaussian", "uniform")
OPTIMIZERS = ("adam", "sgd", "rmsprop")
# The data sets with separate modes: a conditional GAN gets one class label per mode (the mixture component a
# real point came from); curves and drawn points have no modes to label.
CONDITIONAL_DATASETS = ("ring8", "grid25", "two_gaussians", "three_blobs")
GROUPS = ("data", "objective", "networks", "optimisation")  # the tab's control groups, in page order


@dataclass(frozen=True)
class Setting:
    """The declaration of one field: what it may hold and how a control shows it.

    ``kind``: "choice" (one of ``choices``), "int" or "float" (between ``lo`` and ``hi``), "bool". ``nullable``:
    None means "the data set's own default" (a control shows ``control_default`` for it). ``control``:
    "dropdown", "radio", "slider", "number" or "checkbox"; ``step`` for sliders.
    """

    name: str
    kind: str
    default: Any
    group: str
    label: str
    help: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple = ()
    nullable: bool = False
    control: str = "number"
    step: float = 1
    control_default: Any = None

    def check(self, value: Any) -> Any:
        """The value, coerced to its kind, or a UserError naming the setting and what it allows."""
        if value is None and self.nullable:
            return None
        if self.kind == "choice":
            if value not in self.choices:
                raise UserError(f"{self.name} must be one of {', '.join(self.choices)} "
                                f"(got {safe_input.quote(value)}).")
            return value
        if self.kind == "int":
            return safe_input.integer(value, self.name, int(self.lo), int(self.hi))
        if self.kind == "bool":
            return safe_input.flag(value, self.name)
        return safe_input.number(value, self.name, self.lo, self.hi)


def setting(default: Any, *, group: str, label: str, help: str, lo=None, hi=None, choices=(), nullable=False,
            control: str | None = None, step: float = 1, control_default=None, kind: str | None = None):
    """A dataclass field carrying its :class:`Setting` (the name is filled in from the field)."""
    kind = kind or ("choice" if choices else "bool" if isinstance(default, bool) else "int" if isinstance(default, int)
                    else "float")
    control = control or ("dropdown" if choices else "checkbox" if kind == "bool" else "number")
    meta = dict(kind=kind, default=default, group=group, label=label, help=help, lo=lo, hi=hi,
                choices=tuple(choices), nullable=nullable, control=control, step=step,
                control_default=default if control_default is None else control_default)
    return field(default=default, metadata={"setting": meta})


@dataclass
class ToyConfig:
    """One run: data, networks, objective, optimiser, schedule and seed.

    Defaults are a fast live demo: the non-saturating GAN on the 8-Gaussian ring with small MLPs.
    """

    # data
    dataset: str = setting("ring8", group="data", label="Real data", choices=DATASETS,
                           help="The real distribution G must learn to imitate.")
    n_modes: int | None = setting(None, group="data", label="Number of modes (ring, grid, blobs)", lo=1, hi=100,
                                  kind="int", nullable=True, control="slider", control_default=8,
                                  help="How many Gaussian blobs (ring / grid / blobs); the grid needs a square number.")
    sigma: float | None = setting(None, group="data", label="Spread σ of each mode (0 = the data set's default)",
                                  lo=1e-3, hi=2.0, kind="float", nullable=True, control_default=0,
                                  help="Spread of each blob: smaller blobs are harder to hit and easier to miss.")
    # networks (depth = number of hidden layers)
    g_depth: int = setting(2, group="networks", label="G hidden layers", lo=1, hi=8, control="slider",
                           help="Hidden layers of the generator: more layers can bend the latent plane into more shapes.")
    g_width: int = setting(64, group="networks", label="G width", lo=2, hi=512, control="slider", step=2,
                           help="Units per generator layer.")
    d_depth: int = setting(2, group="networks", label="D hidden layers", lo=1, hi=8, control="slider",
                           help="Hidden layers of the discriminator: more layers draw more detailed decision boundaries.")
    d_width: int = setting(64, group="networks", label="D width", lo=2, hi=512, control="slider", step=2,
                           help="Units per discriminator layer.")
    activation: str = setting("relu", group="networks", label="Activation", choices=ACTIVATIONS,
                              help="The non-linearity between layers (ReLU folds the plane along straight lines, "
                                   "tanh bends it smoothly).")
    z_dim: int = setting(2, group="networks", label="Latent dimension", lo=1, hi=16, control="slider",
                         help="Dimension of the noise z that G turns into a point; the manifold drawing shows the first two.")
    z_dist: str = setting("gaussian", group="networks", label="Latent distribution", choices=Z_DISTS, control="radio",
                          help="Where z comes from: a standard Gaussian or uniform on [-1, 1].")
    # objective and remedies
    loss: str = setting("nonsaturating", group="objective", label="Loss", choices=LOSSES,
                        help="The game G and D play; each objective is shown as a formula.")
    unroll_steps: int = setting(0, group="objective", label="Unrolled GAN: steps G looks ahead (0 = off)", lo=0, hi=20,
                                control="slider",
                                help="Unrolled GAN (Metz et al. 2017): G is scored by D as it will be k updates later.")
    pack: int = setting(1, group="objective", label="PacGAN: samples D judges at once (1 = off)", lo=1, hi=8,
                        control="slider",
                        help="PacGAN (Lin et al. 2018): D judges m samples at once, so a pack of look-alikes gives collapse away.")
    conditional: bool = setting(False, group="objective", label="Conditional GAN: G(z, y) and D(x, y), one label y per mode",
                                help="Conditional GAN (Mirza & Osindero 2014): each real point carries the label of "
                                     "its mode, G is asked for a label and D judges (point, label) pairs. Needs "
                                     "separate modes: " + ", ".join(CONDITIONAL_DATASETS) + ".")
    gp_weight: float = setting(10.0, group="objective", label="Gradient penalty λ (WGAN-GP, DRAGAN)", lo=0.0, hi=1000.0,
                               help="Strength λ of the gradient penalty (WGAN-GP, DRAGAN).")
    clip_value: float = setting(0.01, group="objective", label="Weight clipping c (WGAN)", lo=1e-5, hi=10.0,
                                help="WGAN: the critic's weights are clipped to [-c, c] to keep it Lipschitz.")
    # optimisation
    optimizer: str = setting("adam", group="optimisation", label="Optimiser", choices=OPTIMIZERS, control="radio",
                             help="How each network follows its gradient: SGD, Adam (momentum + per-weight step size) "
                                  "or RMSprop.")
    lr_g: float = setting(1e-3, group="optimisation", label="G learning rate", lo=0.0, hi=10.0,
                          help="Generator learning rate: how far G moves per update.")
    lr_d: float = setting(1e-3, group="optimisation", label="D learning rate", lo=0.0, hi=10.0,
                          help="Discriminator learning rate: how far D moves per update.")
    beta1: float = setting(0.5, group="optimisation", label="β1 (Adam only)", lo=0.0, hi=0.9999,
                           help="Adam's momentum (0.5 is the GAN custom; 0.9 is Adam's default). SGD here runs "
                                "without momentum, and RMSprop has none.")
    beta2: float = setting(0.999, group="optimisation", label="β2 (Adam) / α (RMSprop)", lo=0.0, hi=0.99999,
                           help="How Adam and RMSprop average the squared gradients (RMSprop calls it α); "
                                "SGD does not use it.")
    batch_size: int = setting(256, group="optimisation", label="Batch size", lo=2, hi=8192, control="slider", step=2,
                              help="Samples per update for each network.")
    d_steps: int = setting(1, group="optimisation", label="k: D steps per iteration", lo=0, hi=20, control="slider",
                           help="k: D updates per iteration. What is the best k? Try 1, 5 and 10.")
    g_steps: int = setting(1, group="optimisation", label="G steps per iteration", lo=0, hi=20, control="slider",
                           help="G updates per iteration.")
    seed: int = setting(0, group="optimisation", label="Seed (same seed, same run)", lo=0, hi=2**31 - 1,
                        help="Same seed, same run: initial weights and every noise draw are fixed by it.")

    def __post_init__(self) -> None:
        self.validate()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ToyConfig":
        """Build and validate a config; unknown keys or bad values raise UserError."""
        if not isinstance(d, dict):
            raise UserError("A run configuration must be a JSON object of settings.")
        unknown = sorted(set(d) - set(SETTINGS))
        if unknown:
            shown = ", ".join(safe_input.quote(k, 30) for k in unknown[:5])
            raise UserError(f"Unknown setting(s) {shown}; known: {', '.join(SETTINGS)}.")
        return cls(**d)  # __post_init__ validates

    def replace(self, **changes: Any) -> "ToyConfig":
        """A validated copy with some settings changed."""
        return ToyConfig.from_dict({**self.to_dict(), **changes})

    def validate(self) -> "ToyConfig":
        """Coerce every value to its declared kind and check its range; returns self."""
        for name, s in SETTINGS.items():
            setattr(self, name, s.check(getattr(self, name)))
        if self.batch_size < self.pack:
            raise UserError(f"batch_size ({self.batch_size}) must be at least the packing degree ({self.pack}).")
        if self.conditional and self.dataset not in CONDITIONAL_DATASETS:
            raise UserError(f"A conditional GAN gives each mode its own label, and {self.dataset} has no separate "
                            f"modes: pick {', '.join(CONDITIONAL_DATASETS)}, or turn conditional off.")
        return self


SETTINGS: dict[str, Setting] = {f.name: Setting(name=f.name, **f.metadata["setting"]) for f in fields(ToyConfig)}
HELP: dict[str, str] = {name: s.help for name, s in SETTINGS.items()}  # one line per setting, for the student
