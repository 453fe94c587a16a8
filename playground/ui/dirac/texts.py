"""The Dirac-GAN tab's words: its lead line, the introduction and what the picture means (Mescheder et al., 2018)."""

LEAD = ("<b>Why GAN training oscillates</b>, in the smallest GAN there is. Pick an objective and an update rule: the "
        "picture and the eigenvalues follow; what they mean is explained under the picture.")
# the projector view (?big=1): the picture and its eigenvalues on the first screen (1280x720, 1024x768)
TAB_CSS = "body.gp-big #dirac-lead { display: none !important; }"
INTRO = """
**The smallest GAN.** The data is a single point at 0; the generator puts its single point at θ; the
discriminator is a line, D(x) = ψ·x. The pair (θ, ψ) = (0, 0) is the game's Nash equilibrium: G sits on the
data and D, now flat, cannot tell them apart. The arrows show where gradient training moves the two players
from every point of the plane; the purple line is their path from (1, 1).
"""

ABOUT = """
**Why the path turns instead of arriving.** When G is right of the data (θ > 0), D tilts its line to tell
the right side apart (ψ grows); that tilt pushes G left, past the data; then D tilts the other way, which
pushes G right again, and so on. Near (0, 0) the field is a pure rotation: the eigenvalues of its Jacobian are ±i/2, with no real
part to pull the players in. This is the lecture's "because D and G oscillate, we never reach the Nash
equilibrium", in two numbers.

**Simultaneous vs alternating.** A simultaneous step moves both players along the tangent of the circle
they are on, and a tangent always leads outside the circle: near the equilibrium each step multiplies the
distance by √(1 + h²/4) > 1, so the path spirals out. An alternating step lets D answer G's new position; the two
errors cancel (the step's determinant is exactly 1) and the path circles for ever, never closer.

**What converges.** A penalty on D's gradient at the real data (R1: γ/2·ψ²) or noise on both data and
samples adds a real part −γ/2 (or −σ²/4) to the eigenvalues: each turn is a little smaller, and the path spirals
into the equilibrium at the rate the dashed line predicts. WGAN's clipping and WGAN-GP do not give that real
part, so they still circle. None of this tells you *when* to stop: the losses oscillate too, which is why
there is no golden rule and the lecture watches sample quality instead.

Source: L. Mescheder, A. Geiger, S. Nowozin, *Which Training Methods for GANs do actually Converge?*, ICML 2018
(its notebook `DiracGAN.ipynb`: h = 0.2, 500 steps from (1, 1); WGAN c = 1, WGAN-GP λ = 0.7, instance noise
σ = 0.7, R1 γ = 0.3).
"""
