"""One-click stories for the 2-D GAN lab, each tuned (and tested across seeds) to show what it claims.

Every preset is a dict: ``description`` (what to watch, in one or two sentences), ``config`` (a
:class:`ToyConfig`), ``iterations`` (how long the story takes), ``freeze_d`` / ``freeze_g``, and for
comparisons ``compare`` (a second config to train side by side on the same data and seed).

What the tests check (tests/toy2d/test_presets.py, across seeds 0-7): "Mode collapse" ends with its samples on
at most 3 of 8 modes, each "Cure" with samples on at least 7 of 8 (the papers' count, a mode hit by one sample
within 3 sigma: ``modes_hit``), and "Optimal D" within 0.05 mean
absolute error of D* = p_data / (p_data + p_g) wherever either density is not negligible. The conditional
cure's claims (modes and label accuracy) are checked in tests/toy2d/test_conditional.py.
"""

from __future__ import annotations

from playground.toy2d.config import ToyConfig
from playground.toy2d.trainer import Trainer

# The collapse recipe: a vanilla (non-saturating) GAN whose discriminator is much stronger than its
# generator (5 D updates per G update, 10x G's learning rate). Each time D sharpens, the one spot it
# rates most "real" pulls all of G's samples at once, so G piles onto one or two modes. Measured at 1,500
# iterations on 16 seeds the tests never use, under AVX-512 and AVX2 kernels: at most 3 modes on 16 of 16
# (5x G's rate collapsed on 13 of 16: too close to the edge for a class).
COLLAPSE = dict(dataset="ring8", loss="nonsaturating", d_steps=5, lr_d=1e-2, lr_g=1e-3)

# The two first-order cures start from the same recipe with D's rate halved: a WGAN-GP critic trained at
# 1e-2 is too noisy to cure anything (2-5 modes on half the seeds), and PacGAN's D at 1e-2 loses modes
# again late in the run. Halving the rate alone is no cure: that GAN still collapses on 13 of 16 seeds.
CURE_BASE = {**COLLAPSE, "lr_d": 5e-3}

# The unrolled-GAN paper's own setting (Metz et al. 2017, appendix: D lr 1e-4, G lr 1e-3): with one
# D update per G update the slow D lets G collapse; unrolling is the cure the paper demonstrates on it.
# (Against the very strong D of COLLAPSE a 5-step look-ahead changes too little to help: measured.)
# Both rates 1.5x the paper's (the ratio kept), and 3,000 iterations, measured on 16 unseen seeds (100-115) under
# AVX-512 and AVX2 kernels: unrolled, 7+ modes on 15 of 16 under each family (6 on seed 114 under both); without
# unrolling the same run herds into a clump on 15 (AVX-512) and 16 (AVX2) of 16. Shorter is too soon for the
# cure (2,000 iterations: 16 and 14; 2,500: 14 and 14), and the rates the table in the README was run on, twice
# the paper's, let the plain G spread over the ring on 1-2 seeds in 16 by 2,000 iterations (14 and 15 herded).
# The paper's own rates herd surely (see CONDITIONAL_BASE) but the cure takes longer still.
METZ = dict(dataset="ring8", loss="nonsaturating", lr_g=1.5e-3, lr_d=1.5e-4)

# A conditional GAN (Mirza & Osindero 2014) on Metz et al.'s own rates (D lr 1e-4, G lr 1e-3, one D step per G step),
# where a plain G herds its samples into one clump: at 1,500 iterations it hits at most 1 mode, its samples
# under 1 from their centroid, on 16 of 16 unseen seeds (100-115) under AVX-512 and under AVX2 kernels. With one
# label per mode fed to G and D (conditional=True, nothing else changed) the same runs hit 7+ of 8 modes on 16 of 16
# under each family (all 8 on 16 and 15) with label accuracy 1.0 on all 32. At twice the paper's rates
# (2e-3 / 2e-4) the labels find their modes as surely (label accuracy 1.0 on 32 of 32) but each label's samples
# wobble round their mode, often farther than 3 sigma: 7+ modes on 15 (AVX-512) and 16 (AVX2) of 16 at 1,500
# iterations, 13 and 14 at 2,000. On the "Mode collapse" settings themselves (COLLAPSE) label accuracy is 1.0 on
# 32 of 32 too, but the fast, strong D keeps each label's samples jittering round their mode: 7+ modes within
# 3 sigma on only 8 of 16 under each family at 1,500 iterations.
CONDITIONAL_BASE = dict(dataset="ring8", loss="nonsaturating", lr_g=1e-3, lr_d=1e-4)
CONDITIONAL = dict(CONDITIONAL_BASE, conditional=True)
CONDITIONAL_CUT = 600  # iterations of the default test run's version (seeds 0-7): 7+ modes on 8 of 8 under each family
HERDED_UNSEEN = {"default": 16, "avx2": 16}  # of 16: the plain G herds at 1,500 iterations (the slow test checks these)

# Plain SGD and a D that wins early (10 fast D steps per G step). With Adam the comparison says little:
# Adam divides each step by the gradient's recent size, so the minimax G's tiny gradients still give
# full-size steps; SGD's step is proportional to the gradient, which is how the saturation argument goes.
# D at twice the rate and G at half the rate of the first version (lr_d 0.1, lr_g 0.02, whose minimax G escaped
# on 3 of 16 unseen seeds): the minimax G moves at most 0.03 on all 16, under both kernel families, while the
# non-saturating one moves 1.5-2.3.
SATURATING = dict(dataset="ring8", optimizer="sgd", lr_g=0.01, lr_d=0.2, d_steps=10)

PRESETS: dict[str, dict] = {
    "Mode collapse": dict(
        description=(
            "A vanilla GAN on 8 Gaussians in a ring with a strong D (5 fast D steps per G step): G's samples "
            "pile onto one to three modes instead of spreading over all 8 (16 of 16 seeds we tried). "
            "Watch 'modes covered' and the bars per mode."
        ),
        config=ToyConfig(**COLLAPSE),
        iterations=1500,
        freeze_d=False,
        freeze_g=False,
    ),
    "Cure: WGAN-GP": dict(
        description=(
            "The collapsing GAN, D at half the rate, as a Wasserstein critic kept smooth by a gradient penalty. Its "
            "slope points every fake toward real mass: the samples spread round the ring and reach 7+ of 8 modes (15+ "
            "of 16 seeds). By the end about half hold a fair share ('covered'): sharpening takes longer."
        ),
        config=ToyConfig(**{**CURE_BASE, "loss": "wgan_gp"}),
        iterations=1500,
        freeze_d=False,
        freeze_g=False,
    ),
    "Cure: unrolled": dict(
        description=(
            "Metz et al.'s rate ratio: D learns 10x slower than G, and a plain G herds into one drifting clump "
            "(unroll steps 0: 15-16 of 16 seeds). Unrolled, G is scored by D as it will be 5 updates later, so "
            "crowding no longer pays: samples reach 7+ modes (15 of 16 seeds), a fair share on about half."
        ),
        config=ToyConfig(**METZ, unroll_steps=5),
        iterations=3000,
        freeze_d=False,
        freeze_g=False,
    ),
    "Cure: PacGAN": dict(
        description=(
            "The collapsing GAN, D at half the rate, judging 4 samples at once (PacGAN): a pack of look-alikes is easy "
            "to spot as fake, so the samples spread round the ring and reach 7+ of 8 modes (15 of 16 seeds). By the "
            "end about half hold a fair share ('covered')."
        ),
        config=ToyConfig(**CURE_BASE, pack=4),
        iterations=1500,
        freeze_d=False,
        freeze_g=False,
    ),
    "Cure: conditional labels": dict(
        description=(
            "Metz et al.'s rates (D 10x slower than G), where a plain G herds into one clump (16 of 16 seeds), now "
            "conditional: each mode has a label, G(z, y) is asked for one, D judges (point, label) pairs. Every label "
            "finds its own mode: 7+ of 8 modes, label accuracy 100% (16 of 16)."
        ),
        config=ToyConfig(**CONDITIONAL),
        iterations=1500,
        freeze_d=False,
        freeze_g=False,
    ),
    "Optimal D": dict(
        description=(
            "G is frozen and only D trains. For a fixed G the best D is D*(x) = p_data / (p_data + p_g): watch "
            "the learned D (left) converge to D* (right), 1 on the data, 0 on the fakes, 1/2 where they overlap."
        ),
        # a wide one-layer tanh G makes a blob that overlaps the (widened) data, so D* has some shape
        config=ToyConfig(dataset="two_gaussians", sigma=0.5, g_depth=1, activation="tanh", loss="nonsaturating", lr_d=1e-3),
        iterations=1500,
        freeze_d=False,
        freeze_g=True,
    ),
    "Saturating vs non-saturating G loss": dict(
        description=(
            "Plain SGD, and D wins early: D(G(z)) is near 0, where the minimax loss log(1 - D(G(z))) is flat. "
            "G barely moves (tiny arrows; 16 of 16 seeds we tried). Under Compare, the non-saturating "
            "-log D(G(z)) beside it moves."
        ),
        # exactly the comparison's run A (and B): test_compare_presets.py checks its story on 8 + 16 seeds
        config=ToyConfig(**SATURATING, loss="minimax"),
        compare=ToyConfig(**SATURATING, loss="nonsaturating"),
        iterations=300,
        freeze_d=False,
        freeze_g=False,
    ),
}


def make_trainer(name: str, seed: int | None = None, log_every: int = 100, compare: bool = False, **overrides) -> tuple[Trainer, int]:
    """A fresh trainer for preset ``name`` (optionally another seed / settings) and its iteration count.

    ``compare=True`` builds the preset's second configuration (only presets with a ``compare`` entry).
    """
    p = PRESETS[name]
    base = p["compare"] if compare else p["config"]
    changes = dict(overrides)
    if seed is not None:
        changes["seed"] = seed
    cfg = base.replace(**changes) if changes else base
    t = Trainer(cfg, log_every=log_every)
    t.freeze_d, t.freeze_g = p["freeze_d"], p["freeze_g"]
    return t, p["iterations"]


# ---- compare presets: two runs side by side, each pair changing one thing to make one point -----------
#
# Same fields as PRESETS, plus ``compare`` (run B), ``labels`` (A's and B's captions) and ``watch`` (the
# curve that tells the story). Measured at full length on the 16 unseen seeds 100-115 under AVX-512 and AVX2
# kernels (tests/toy2d/test_compare_presets.py, -m slow): collapse vs cure (A's samples on <= 3 of 8 modes, B's on >= 7)
# on at least 15 of 16 under each; saturating vs non-saturating (A's samples move < 0.2 from where they
# started, B's > 1) on 16 of 16 under each; k = 1 vs k = 5 (A <= 2 modes, B >= 6) at 1,250 iterations on 16 of
# 16 under AVX-512 and 15 under AVX2. At 1,000 it was 15 and 14 (the k = 5 critic not yet round the ring on
# 1-2 seeds); at 1,500, 14 and 16 (on one seed the k = 1 G had found 6 modes by then). Plain vs conditional (A hits
# at most 1 mode, B 7+): 16 of 16 under each; at the 600-iteration cut (CONDITIONAL_CUT, seeds 0-7) 8 of 8 on an
# AMD CPU's AVX2 kernels, where at 300 some labels had not reached their modes yet (6 of 8).

COMPARE_PRESETS: dict[str, dict] = {
    "Compare: collapse vs cure (WGAN-GP, 5 critic steps)": dict(
        description=(
            "Left, the collapsing GAN; right, the same run with a WGAN-GP critic (5 steps per G step as the cure "
            "needs, at half the rate). Left piles onto 1-3 modes; right spreads round the ring and reaches 7-8 "
            "('hit'). Watch the modes and the bars."
        ),
        config=ToyConfig(**COLLAPSE),
        compare=ToyConfig(**{**CURE_BASE, "loss": "wgan_gp"}),
        labels=("non-saturating GAN", "WGAN-GP, 5 critic steps"),
        watch="modes_covered",
        iterations=1000,
        freeze_d=False,
        freeze_g=False,
    ),
    "Compare: saturating vs non-saturating G loss (SGD)": dict(
        description=(
            "D wins early, so D(G(z)) is near 0. The minimax loss log(1 - D(G(z))) is flat there: with plain SGD "
            "the left fakes stay where they started (16 of 16 seeds). The non-saturating -log D(G(z)) moves the "
            "right ones."
        ),
        config=ToyConfig(**SATURATING, loss="minimax"),
        compare=ToyConfig(**SATURATING, loss="nonsaturating"),
        labels=("minimax (saturating) G loss", "non-saturating G loss"),
        watch="frechet",
        iterations=300,
        freeze_d=False,
        freeze_g=False,
    ),
    "Compare: k = 1 vs k = 5 critic steps (WGAN-GP)": dict(
        description=(
            "Both sides are WGAN-GP. The critic must be near its optimum for its slope to point at the data: with "
            "k = 1 critic step per G step (left) G finds almost no mode; with k = 5 (right) it covers the ring "
            "(15-16 of 16 seeds)."
        ),
        config=ToyConfig(dataset="ring8", loss="wgan_gp", d_steps=1),
        compare=ToyConfig(dataset="ring8", loss="wgan_gp", d_steps=5),
        labels=("k = 1 critic step", "k = 5 critic steps"),
        watch="modes_covered",
        iterations=1250,
        freeze_d=False,
        freeze_g=False,
    ),
    "Compare: plain vs conditional G (labels)": dict(
        description=(
            "Metz et al.'s rates on both sides. Left, a plain G herds its samples into one clump; right, the same "
            "run with a label per mode, fed to G and D: each label finds its own mode and the samples reach 7+ of "
            "8 (16 of 16 seeds)."
        ),
        config=ToyConfig(**CONDITIONAL_BASE),
        compare=ToyConfig(**CONDITIONAL),
        labels=("plain G(z)", "conditional G(z, y)"),
        watch="modes_covered",
        iterations=1500,
        freeze_d=False,
        freeze_g=False,
    ),
}


def make_compare_trainers(name: str, seed: int | None = None, log_every: int = 100, **overrides) -> tuple[Trainer, Trainer, int]:
    """Fresh trainers A and B for compare preset ``name`` (same seed and overrides for both) and its
    iteration count. Step them in lock-step: ``a.step(n); b.step(n)``."""
    p = COMPARE_PRESETS[name]
    changes = dict(overrides)
    if seed is not None:
        changes["seed"] = seed
    trainers = []
    for base in (p["config"], p["compare"]):
        t = Trainer(base.replace(**changes) if changes else base, log_every=log_every)
        t.freeze_d, t.freeze_g = p["freeze_d"], p["freeze_g"]
        trainers.append(t)
    return trainers[0], trainers[1], p["iterations"]
