"""The Dirac-GAN (Mescheder, Geiger & Nowozin, ICML 2018, "Which training methods for GANs actually converge?"):
the smallest game that shows why GAN training oscillates instead of settling at its Nash equilibrium.

The data is a point mass at 0, the generator a point mass at θ, the discriminator linear, D(x) = ψ·x. With
f(t) = −log(1 + e^−t) the game is L(θ, ψ) = f(ψθ) + f(0): D ascends L in ψ, G descends it in θ. The unique
equilibrium is (θ, ψ) = (0, 0). Each variant below is its gradient vector field v(θ, ψ) = (−∂L/∂θ, ∂L/∂ψ)
(the direction each player moves), with f′(t) = sigmoid(−t), f′(0) = ½:

==================  =============================================================  ============================
variant             v(θ, ψ)                                                        eigenvalues of v′ at (0, 0)
==================  =============================================================  ============================
gan (standard)      (−ψ f′(ψθ),  θ f′(ψθ))                                         ±i f′(0) = ±i/2
nsgan               (−ψ f′(−ψθ), θ f′(ψθ))        (G maximises log D instead)      ±i/2
wgan                (−ψ, θ), then ψ clipped to [−c, c]    (f(t) = t)               ±i
wgan_gp             (−ψ, θ − λ(|ψ| − g₀) sign ψ)  (penalty λ/2 (|∇D| − g₀)²)       none: v jumps at ψ = 0
instance_noise      E over ε, ε′ ~ N(0, σ²) of the gan field with data at ε′       f″(0)σ² ± √(f″(0)²σ⁴ − f′(0)²)
                    and G at θ + ε                                                 (f″(0) = −¼)
r1                  (−ψ f′(ψθ),  θ f′(ψθ) − γψ)   (penalty γ/2 |∇D(real)|² = γψ²/2)  −γ/2 ± √(γ²/4 − f′(0)²)
==================  =============================================================  ============================

Training follows the field with step size h: *simultaneous* updates move both players from the same point,
*alternating* ones move G first and D from G's new position (as the reference notebook, LMescheder/GAN_stability
``notebooks/DiracGAN.ipynb``, does, with h = 0.2 and 500 steps from (1, 1)). With purely imaginary eigenvalues
±iα, one simultaneous step multiplies the distance to the equilibrium by |1 + ihα| = √(1 + h²α²) > 1: the
path spirals out. One alternating step has determinant 1 and real trace 2 − h²α²: its eigenvalues lie on the
unit circle and the path circles for ever. A penalty gives the eigenvalues a negative real part and the path
spirals in.

:func:`run` computes everything the panel shows (path, distances, eigenvalues, vector field) for one
:class:`DiracSettings`; it takes about a millisecond.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from playground.toy2d.config import Setting, setting

START = (1.0, 1.0)  # (θ₀, ψ₀), the paper's starting point
F1 = 0.5  # f′(0)
F2 = -0.25  # f″(0)
EIGEN_OFFSET = 1e-3  # where WGAN-GP's v′ is taken: just above ψ = 0, where it jumps
WGAN_GP_TARGET = 1.0  # g₀, the gradient norm WGAN-GP asks of D (the paper's value)
NOISE_NODES = 48  # Gauss–Hermite nodes for instance noise's expectations (exact to ~1e-12 here)
RULES = ("simultaneous", "alternating")


def sigmoid(t):
    return 0.5 * (1.0 + np.tanh(0.5 * t))  # exact, and no overflow for large |t|


def f1(t):
    """f′(t) for f(t) = −log(1 + e^−t)."""
    return sigmoid(-t)


@dataclass(frozen=True)
class Params:
    """The knobs a variant may read: R1's weight γ, WGAN-GP's weight λ, noise σ, clip c (the notebook's values)."""

    gamma: float = 0.3
    gp: float = 0.7
    sigma: float = 0.7
    clip: float = 1.0


Field = Callable[[np.ndarray, np.ndarray, Params], tuple[np.ndarray, np.ndarray]]


def _gan(th, ps, p):
    return -ps * f1(ps * th), th * f1(ps * th)


def _nsgan(th, ps, p):
    return -ps * f1(-ps * th), th * f1(ps * th)


def _wgan(th, ps, p):
    return -ps + 0.0 * th, th + 0.0 * ps


def _wgan_gp(th, ps, p):
    return -ps + 0.0 * th, th - p.gp * (np.abs(ps) - WGAN_GP_TARGET) * np.sign(ps)


_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(NOISE_NODES)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()  # E[g(ε)] = Σ w g(σ x) for ε ~ N(0, σ²)


def _instance_noise(th, ps, p):
    th, ps = np.broadcast_arrays(np.asarray(th, float), np.asarray(ps, float))
    eps = p.sigma * _NODES.reshape((-1,) + (1,) * th.ndim)
    w = _WEIGHTS.reshape(eps.shape)
    fake = th + eps  # G's sample, blurred
    v1 = (w * (-ps * f1(ps * fake))).sum(0)
    v2 = (w * (fake * f1(ps * fake) - eps * f1(-eps * ps))).sum(0)  # data at ε: D's term f(−ψε)
    return v1, v2


def _r1(th, ps, p):
    return -ps * f1(ps * th), th * f1(ps * th) - p.gamma * ps


def _damped(alpha: float, beta: float) -> np.ndarray:
    """Eigenvalues of [[0, −α], [α, −β]]: −β/2 ± √(β²/4 − α²)."""
    root = np.sqrt(complex(beta**2 / 4 - alpha**2))
    return np.array([-beta / 2 + root, -beta / 2 - root])


@dataclass(frozen=True)
class Variant:
    """One objective: its field, the eigenvalues of v′ in closed form, the knobs it reads, and the sentence the
    panel shows beside its picture. ``smooth``: v′ exists at the equilibrium; where it does not (WGAN-GP), the
    eigenvalues are v′'s just above ψ = 0 (``EIGEN_OFFSET``)."""

    name: str
    label: str
    field: Field
    eigenvalues: Callable[[Params], np.ndarray]
    uses: tuple[str, ...]
    caption: str
    formula: str  # the eigenvalues' closed form, as the panel prints it
    clip: bool = False  # ψ is projected to [−c, c] after each step
    smooth: bool = True

    @property
    def eigen_at(self) -> tuple[float, float]:
        return (0.0, 0.0) if self.smooth else (0.0, EIGEN_OFFSET)


VARIANTS: dict[str, Variant] = {v.name: v for v in (
    Variant("gan", "Standard GAN", _gan, lambda p: _damped(F1, 0.0), (),
            "Eigenvalues ±i/2: near the equilibrium the field only turns around it and never pulls towards it. "
            "Far out, D's sigmoid saturates where ψθ is large and the path stalls there.",
            "±i·f′(0) = ±i/2"),
    Variant("nsgan", "Non-saturating GAN", _nsgan, lambda p: _damped(F1, 0.0), (),
            "G's non-saturating loss changes the field away from the equilibrium, not at it: still ±i/2. Its "
            "extra terms pull a wide path in, so it settles on a cycle (simultaneous) or creeps in ever more "
            "slowly (alternating), never at a steady rate.",
            "±i·f′(0) = ±i/2"),
    Variant("wgan", "WGAN (weight clipping)", _wgan, lambda p: _damped(1.0, 0.0), ("clip",),
            "f(t) = t: eigenvalues ±i, the same rotation, undamped. Clipping keeps ψ in [−c, c] but damps "
            "nothing: the path rides along the walls and goes round for ever.",
            "±i·f′(0) = ±i", clip=True),
    Variant("wgan_gp", "WGAN-GP", _wgan_gp, lambda p: _damped(1.0, p.gp), ("gp",),
            "The penalty asks for |ψ| = 1, so at ψ = 0 it pushes D away (the field jumps by 2λ there): the "
            "equilibrium repels, and a path started next to it is thrown out to circle at a distance.",
            "−λ/2 ± √(λ²/4 − 1)", smooth=False),
    Variant("instance_noise", "Instance noise", _instance_noise, lambda p: _damped(F1, -2 * F2 * p.sigma**2),
            ("sigma",), "Noise of spread σ on both data and samples damps the rotation: real parts "
            "f″(0)σ² = −σ²/4 < 0, and the path spirals in.",
            "f″(0)σ² ± √(f″(0)²σ⁴ − f′(0)²)"),
    Variant("r1", "R1 gradient penalty", _r1, lambda p: _damped(F1, p.gamma), ("gamma",),
            "Penalising D's gradient on the real data (γ/2·ψ²) damps ψ: real parts −γ/2 < 0, the path spirals "
            "in (from γ = 1 on it no longer turns: critical damping).",
            "−γ/2 ± √(γ²/4 − f′(0)²)"),
)}


@dataclass(frozen=True)
class DiracSettings:
    """What the panel shows: a variant, an update rule, the step size and count, and the variants' knobs."""

    variant: str = setting("gan", group="game", label="Objective", choices=tuple(VARIANTS), control="radio",
                           help="The training objective (and regulariser) whose vector field is drawn.")
    rule: str = setting("simultaneous", group="game", label="Updates", choices=RULES, control="radio",
                        help="Simultaneous: both players step from the same point. Alternating: G steps, then D "
                             "answers G's new position.")
    h: float = setting(0.2, group="steps", label="Step size h", lo=0.01, hi=1.0, control="slider", step=0.01,
                       help="The learning rate of both players (the paper: 0.2).")
    n_steps: int = setting(500, group="steps", label="Steps", lo=10, hi=2000, control="slider", step=10,
                         help="How many updates the path shows (the paper: 500).")
    gamma: float = setting(0.3, group="knobs", label="R1 weight γ", lo=0.0, hi=4.0, control="slider", step=0.05,
                           help="Weight of the penalty γ/2·|∇D|² on real data (the paper: 0.3; critical damping "
                                "at γ = 1).")
    gp: float = setting(0.7, group="knobs", label="WGAN-GP weight λ", lo=0.0, hi=4.0, control="slider", step=0.05,
                        help="Weight of the penalty λ/2·(|∇D| − 1)² (the paper's notebook: 0.7).")
    sigma: float = setting(0.7, group="knobs", label="Noise σ (instance noise)", lo=0.0, hi=3.0, control="slider",
                           step=0.05, help="Standard deviation of the noise added to data and samples.")
    clip: float = setting(1.0, group="knobs", label="Clip c (WGAN)", lo=0.05, hi=3.0, control="slider", step=0.05,
                          help="WGAN keeps ψ in [−c, c] after every step.")

    def params(self) -> Params:
        return Params(gamma=self.gamma, gp=self.gp, sigma=self.sigma, clip=self.clip)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DiracSettings":
        """Checked settings (missing ones take their defaults); a bad value raises UserError naming it."""
        return cls(**{name: s.check(d[name]) for name, s in SETTINGS.items() if name in d})


SETTINGS: dict[str, Setting] = {f.name: Setting(name=f.name, **f.metadata["setting"]) for f in fields(DiracSettings)}


# ---- the dynamics --------------------------------------------------------------------------------------------


def vector_field(variant: str, theta, psi, params: Params = Params()) -> tuple[np.ndarray, np.ndarray]:
    """(θ's velocity, ψ's velocity) of ``variant`` at the points (θ, ψ) (arrays of one shape)."""
    return VARIANTS[variant].field(np.asarray(theta, float), np.asarray(psi, float), params)


def _project(variant: Variant, psi: float, params: Params) -> float:
    return float(np.clip(psi, -params.clip, params.clip)) if variant.clip else psi


def path(variant: str, rule: str, h: float, steps: int, params: Params = Params(), start=START) -> np.ndarray:
    """The players' positions (steps + 1, 2) from ``start``, following the field with step ``h``."""
    v = VARIANTS[variant]
    th, ps = float(start[0]), _project(v, float(start[1]), params)
    out = np.empty((steps + 1, 2))
    out[0] = th, ps
    for k in range(1, steps + 1):
        g, d = v.field(th, ps, params)
        if rule == "simultaneous":
            th, ps = th + h * float(g), ps + h * float(d)
        else:  # G moves first, then D answers G's new position
            th = th + h * float(g)
            ps = ps + h * float(v.field(th, ps, params)[1])
        ps = _project(v, ps, params)
        out[k] = th, ps
    return out


def jacobian(variant: str, params: Params = Params(), at=(0.0, 0.0), eps: float = 1e-6) -> np.ndarray:
    """v′ at ``at`` by central differences: rows (θ̇, ψ̇), columns (∂θ, ∂ψ)."""
    th, ps = at
    cols = []
    for dth, dps in ((eps, 0.0), (0.0, eps)):
        hi = np.array(vector_field(variant, th + dth, ps + dps, params), float)
        lo = np.array(vector_field(variant, th - dth, ps - dps, params), float)
        cols.append((hi - lo) / (2 * eps))
    return np.stack(cols, axis=1)


def step_matrix(jac: np.ndarray, rule: str, h: float) -> np.ndarray:
    """The linearised update (θ, ψ) ↦ M (θ, ψ) near the equilibrium for one step of ``rule``."""
    if rule == "simultaneous":
        return np.eye(2) + h * jac
    g_step = np.array([[1 + h * jac[0, 0], h * jac[0, 1]], [0.0, 1.0]])
    d_step = np.array([[1.0, 0.0], [h * jac[1, 0], 1 + h * jac[1, 1]]])
    return d_step @ g_step


def eigenvalues(variant: str, params: Params = Params()) -> np.ndarray:
    """The eigenvalues of v′ at the equilibrium (:attr:`Variant.eigen_at`), computed from the field, sorted by
    imaginary part, largest first."""
    return _sorted(np.linalg.eigvals(jacobian(variant, params, VARIANTS[variant].eigen_at)))


def closed_form(variant: str, params: Params = Params()) -> np.ndarray:
    """The same eigenvalues from the variant's formula (the module docstring's table)."""
    return _sorted(VARIANTS[variant].eigenvalues(params))


def _sorted(ev: np.ndarray) -> np.ndarray:
    return np.array(sorted(np.asarray(ev, complex), key=lambda z: (-z.imag, -z.real)))


@dataclass
class DiracRun:
    """Everything the panel shows for one setting: the path, its distance from (0, 0) per step, v′'s
    eigenvalues (from the field and from the formula) and the spectral radius of one linearised update (how
    much one step multiplies a small distance; None where v′ does not exist at the equilibrium)."""

    settings: DiracSettings
    path: np.ndarray
    distance: np.ndarray
    eigenvalues: np.ndarray
    closed_form: np.ndarray
    step_radius: float | None


def step_radius(variant: str, rule: str, h: float, params: Params = Params()) -> float:
    """The largest |eigenvalue| of one linearised update of ``rule`` at the equilibrium."""
    return float(np.abs(np.linalg.eigvals(step_matrix(jacobian(variant, params), rule, h))).max())


def run(settings: DiracSettings) -> DiracRun:
    s, p = settings, settings.params()
    xy = path(s.variant, s.rule, s.h, s.n_steps, p)
    radius = step_radius(s.variant, s.rule, s.h, p) if VARIANTS[s.variant].smooth else None
    return DiracRun(s, xy, np.hypot(xy[:, 0], xy[:, 1]), eigenvalues(s.variant, p), closed_form(s.variant, p),
                    radius)
