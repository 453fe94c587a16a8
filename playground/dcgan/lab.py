"""The computations behind the DCGAN tab, without any UI: references to samples, the arithmetic figure,
interpolation strips, attribute directions and latent walks.

A sample is referred to by text so it can live in a textbox and in a URL-free API call:

* ``"S:I"`` -- sample I of the grid drawn with seed S (:func:`playground.dcgan.latent.sample_z`);
* ``"invK"`` -- the K-th z found by inversion in this session (1-based), passed in as ``inverted``.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from playground import safe_input
from playground.dcgan import latent
from playground.dcgan.fast import fold_batchnorm
from playground.dcgan.figures import gif_bytes, strip
from playground.dcgan.models import Generator
from playground.errors import UserError
from playground.images import grid, tanh_to_uint8, upscale

_REF = re.compile(r"^(?:(\d{1,20}):(\d{1,20})|inv(\d{1,6}))$", re.IGNORECASE)
_SEPARATOR = re.compile(r"[,;\s]+")
MAX_GROUP = 12
# A group box holds at most MAX_GROUP references such as "4294967295:1048575": 1,000 characters leave
# room for any spacing; longer text is refused before it is parsed.
MAX_REF_CHARS = 1000


def split_refs(text: str) -> list[str]:
    """The tokens of a reference list, in one linear pass: ``"2 : 17, inv1"`` -> ``["2:17", "inv1"]``.

    Commas, semicolons and white space separate; a token that starts or ends with ':' is glued to its
    neighbour, so "2 : 17" and "2: 17" read as "2:17" (and "inv 1" as "inv1").
    """
    out: list[str] = []
    glue = False  # the previous token ended with ':' (or was one)
    for piece in _SEPARATOR.split(text):
        if not piece:
            continue
        if out and (glue or piece.startswith(":") or (out[-1].lower() == "inv" and piece.isdigit())):
            out[-1] += piece
        else:
            out.append(piece)
        glue = piece.endswith(":")
    return out


def parse_refs(text: str | None, what: str = "the group") -> list[str]:
    """``"2:17, 2:22 inv1"`` -> ``["2:17", "2:22", "inv1"]`` (commas, semicolons or spaces separate).

    The text is bounded (:data:`MAX_REF_CHARS`, :data:`MAX_GROUP` samples) and read in one linear pass,
    so no input can keep the server busy.
    """
    text = safe_input.text(text, what[:1].upper() + what[1:], MAX_REF_CHARS)
    refs = []
    for tok in split_refs(text):
        if len(refs) == MAX_GROUP:
            raise UserError(f"{what[:1].upper() + what[1:]} has more than {MAX_GROUP} samples; "
                            f"use at most {MAX_GROUP}.")
        m = _REF.match(tok)
        if not m:
            raise UserError(
                f"I cannot read {safe_input.quote(tok, 30)} in {what}: write samples as seed:index (e.g. 2:17) "
                "or invN for an inverted face, separated by commas."
            )
        if m.group(1) is not None:
            seed, index = int(m.group(1)), int(m.group(2))
            if seed > latent.MAX_SEED:
                raise UserError(f"Seed {seed} in {what} is too large: seeds go from 0 to {latent.MAX_SEED:,}.")
            if index >= latent.MAX_INDEX:
                raise UserError(f"Sample index {index} in {what} is too large (at most {latent.MAX_INDEX - 1:,}).")
            refs.append(f"{seed}:{index}")
        else:
            refs.append(f"inv{int(m.group(3))}")
    return refs


def ref_to_z(ref: str, inverted: list | None = None, nz: int = latent.NZ) -> torch.Tensor:
    """The latent vector behind one reference."""
    m = _REF.match(ref)
    if not m:
        raise UserError(f"{safe_input.quote(ref, 30)} is not a sample reference (seed:index or invN).")
    if m.group(1) is not None:
        seed, index = int(m.group(1)), int(m.group(2))
        if seed > latent.MAX_SEED or index >= latent.MAX_INDEX:
            raise UserError(f"Sample {ref} is out of range (seed <= {latent.MAX_SEED:,}, "
                            f"index < {latent.MAX_INDEX:,}).")
        return latent.sample_z(seed, index, nz)
    k = int(m.group(3))
    inverted = inverted or []
    if not 1 <= k <= len(inverted):
        raise UserError(
            f"There is no inverted face inv{k} in this session (there are {len(inverted)}); "
            "run an inversion first."
        )
    z = torch.tensor(inverted[k - 1], dtype=torch.float32)
    if z.numel() != nz:
        raise UserError(f"inv{k} has {z.numel()} numbers, the model expects {nz}.")
    return z


def refs_to_z(refs: list[str], inverted: list | None = None, nz: int = latent.NZ) -> torch.Tensor:
    if not refs:
        return torch.zeros(0, nz)
    return torch.stack([ref_to_z(r, inverted, nz) for r in refs])


class Renderer:
    """Turns z into uint8 images with one generator, fast on a CPU.

    All images one update needs go through the network in a single batch (a forward pass of 12
    images costs far less than 12 passes of one), under ``torch.inference_mode``; with ``fast`` the
    batch norms are folded into the convolutions (:mod:`playground.dcgan.fast`) and activations are
    channels-last. Images of referenced samples are cached, since clicking around re-uses them.
    ``self.g`` stays the unmodified generator (inversion differentiates through it).
    """

    def __init__(self, generator: Generator, fast: bool = True, channels_last: bool = True,
                 cache_size: int = 512):
        self.g = generator.eval()
        self.nz = generator.nz
        self.device = next(generator.parameters()).device
        self.channels_last = fast and channels_last and self.device.type == "cpu"
        if fast:
            self.net = fold_batchnorm(generator)
            if self.channels_last:
                self.net = self.net.to(memory_format=torch.channels_last)
        else:
            self.net = generator.main
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def render(self, z: torch.Tensor) -> np.ndarray:
        """(N, nz) -> uint8 (N, 64, 64, 3)."""
        if z.shape[0] == 0:
            return np.zeros((0, 64, 64, 3), dtype=np.uint8)
        with torch.inference_mode():
            x = z.reshape(-1, self.nz, 1, 1).to(self.device, torch.float32)
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            return tanh_to_uint8(self.net(x))  # a grayscale generator's images are shown in RGB

    def render_refs(self, refs: list[str], inverted: list | None = None) -> np.ndarray:
        """Images of referenced samples (seed:index ones cached; inverted ones always rendered)."""
        with self._lock:
            missing = [r for r in dict.fromkeys(refs) if r not in self._cache or r.startswith("inv")]
        if missing:
            imgs = self.render(refs_to_z(missing, inverted, self.nz))
            with self._lock:
                for r, im in zip(missing, imgs):
                    if r.startswith("inv"):
                        continue
                    self._cache[r] = im
                    self._cache.move_to_end(r)
                    while len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
            fresh = dict(zip(missing, imgs))
        else:
            fresh = {}
        with self._lock:
            out = [fresh[r] if r in fresh else self._cache[r] for r in refs]
        if not out:
            return np.zeros((0, 64, 64, 3), dtype=np.uint8)
        return np.stack(out)


def group_strip(renderer: Renderer, refs: list[str], inverted: list | None = None, scale: int = 2) -> np.ndarray:
    """One group's exemplars followed by the image of their mean z (the same picture whether or not
    the other groups are filled yet)."""
    if not refs:
        raise UserError("The group is empty.")
    mean = latent.group_mean(refs_to_z(refs, inverted, renderer.nz))
    return strip(renderer.render_refs(refs, inverted), renderer.render(mean[None])[0], scale=scale)


@dataclass
class ArithmeticResult:
    strips: dict[str, np.ndarray]  # "A", "B", "C": exemplars then their mean's image
    means: np.ndarray  # (3, 64, 64, 3) images of mean(A), mean(B), mean(C)
    neighbourhood: np.ndarray  # uint8 3x3 grid image; centre = mean(A) - mean(B) + mean(C)
    result: np.ndarray  # (64, 64, 3) the centre image
    equation: np.ndarray  # mean(A) - mean(B) + mean(C) = result, as one picture
    z: torch.Tensor  # (nz,) the result vector


def arithmetic_update(
    renderer: Renderer,
    a: list[str],
    b: list[str],
    c: list[str],
    inverted: list | None = None,
    noise_scale: float = 0.25,
    noise_seed: int = 0,
    scale: int = 2,
) -> ArithmeticResult:
    """Everything the arithmetic panel shows for groups A, B, C: one batched forward pass of
    3 group means + 9 neighbours (exemplar images come from the cache)."""
    for name, refs in (("A", a), ("B", b), ("C", c)):
        if not refs:
            raise UserError(
                f"Group {name} is empty: choose '{name}' above and click samples in the grid to add them."
            )
    nz = renderer.nz
    za, zb, zc = (refs_to_z(r, inverted, nz) for r in (a, b, c))
    means = torch.stack([latent.group_mean(za), latent.group_mean(zb), latent.group_mean(zc)])
    result = means[0] - means[1] + means[2]
    neigh = latent.neighbourhood(result, seed=noise_seed, scale=noise_scale)
    imgs = renderer.render(torch.cat([means, neigh]))
    mean_imgs, neigh_imgs = imgs[:3], imgs[3:]
    strips = {
        name: strip(renderer.render_refs(refs, inverted), mean_imgs[i], scale=scale)
        for i, (name, refs) in enumerate((("A", a), ("B", b), ("C", c)))
    }
    center = neigh_imgs[4]
    return ArithmeticResult(
        strips=strips,
        means=mean_imgs,
        neighbourhood=grid(neigh_imgs, ncols=3, pad=2, scale=scale),
        result=center,
        equation=equation_figure([mean_imgs[0], mean_imgs[1], mean_imgs[2], center], ["-", "+", "="], scale),
        z=result,
    )


@functools.lru_cache(maxsize=8)
def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def equation_figure(images: list[np.ndarray], ops: list[str], scale: int = 2,
                    labels: tuple[str, ...] = ("mean A", "mean B", "mean C", "result")) -> np.ndarray:
    """Images with operator signs between them and a caption under each: ``a − b + c = d``."""
    h, w = images[0].shape[:2]
    op_w, cap_h = 28, 16
    width = len(images) * w + len(ops) * op_w
    canvas = Image.new("RGB", (width, h + cap_h), "white")
    draw = ImageDraw.Draw(canvas)
    font, small = _font(22), _font(11)
    x = 0
    for i, im in enumerate(images):
        canvas.paste(Image.fromarray(im), (x, 0))
        if i < len(labels):
            tw = draw.textlength(labels[i], font=small)
            draw.text((x + (w - tw) / 2, h + 2), labels[i], fill=(90, 90, 90), font=small)
        x += w
        if i < len(ops):
            tw = draw.textlength(ops[i], font=font)
            draw.text((x + (op_w - tw) / 2, h / 2 - 14), ops[i], fill=(40, 40, 40), font=font)
            x += op_w
    return upscale(np.asarray(canvas), scale)


@dataclass
class Interpolation:
    lerp_strip: np.ndarray
    slerp_strip: np.ndarray
    lerp_norms: list[float]
    slerp_norms: list[float]


def interpolation_strips(renderer: Renderer, z0: torch.Tensor, z1: torch.Tensor, steps: int = 8,
                         scale: int = 2) -> Interpolation:
    """lerp and slerp paths from z0 to z1, rendered in one batch, with the norm of each step."""
    if not 2 <= steps <= 16:
        raise UserError("Use between 2 and 16 interpolation steps.")
    zl = latent.interpolate(z0, z1, steps, "lerp")
    zs = latent.interpolate(z0, z1, steps, "slerp")
    imgs = renderer.render(torch.cat([zl, zs]))
    return Interpolation(
        lerp_strip=grid(imgs[:steps], ncols=steps, scale=scale),
        slerp_strip=grid(imgs[steps:], ncols=steps, scale=scale),
        lerp_norms=[round(float(v), 2) for v in latent.norms(zl)],
        slerp_norms=[round(float(v), 2) for v in latent.norms(zs)],
    )


def walk_gif(renderer: Renderer, z: torch.Tensor, direction: torch.Tensor, frames: int = 16,
             extent: float = 1.5, fps: float = 10.0) -> bytes:
    """An animated GIF of z + s * direction for s in [-extent, extent] and back."""
    if direction.norm() < 1e-6:
        raise UserError("The direction is zero (the two groups have the same mean); pick different samples.")
    zs = latent.walk(z, direction, frames=frames, extent=extent)
    return gif_bytes(renderer.render(zs), fps=fps, scale=2)


# ---------------------------------------------------------------- the tab's numbers, declared once
# Range, default, step and label of every numeric control: the UI builds its sliders from these and the
# handlers check what they receive against them (the API accepts any JSON, not only slider positions).
NOISE = safe_input.Range(0, 1, 0.25, 0.05, "Neighbourhood noise (±)")
INTERP_STEPS = safe_input.Range(3, 12, 8, 1, "Steps", whole=True)
SCALE = safe_input.Range(-3, 3, 1.0, 0.1, "Scale: z + scale · d")
EXTENT = safe_input.Range(0.5, 4, 2.0, 0.25, "Walk extent (±)")
# 400 by default: a face the model generated comes back closely (pixel MSE 0.0015-0.006 on three test faces,
# ~6 s on 2 cores); at 120 steps it was a look-alike (0.008-0.023)
INVERT_STEPS = safe_input.Range(20, 400, 400, 10, "Optimisation steps", whole=True)
PRIOR = safe_input.Range(0, 0.05, 0.001, 0.001, "Prior weight (keeps z typical)")
MAX_INVERTED = 100  # inverted faces kept per session (invN names)


def check_seed(value, what: str = "The seed") -> int:
    """A seed from a number box or the API: a whole number 0 .. MAX_SEED (empty means 0)."""
    if value is None or value == "":
        return 0
    return safe_input.integer(value, what, 0, latent.MAX_SEED)


# Presets: exemplars chosen by looking at the bundled model's samples (see the tab's help text).
PRESETS: dict[str, dict] = {
    "Glasses: (with glasses) − (without) + bearded man": {
        "A": "2:17, 2:22, 2:28",
        "B": "2:14, 2:20, 2:3",
        "C": "2:6",
        "seed": 2,
        "note": "Three faces with glasses minus three without, plus a bearded man without glasses: "
        "the result is the bearded man wearing glasses.",
    },
    "Glasses: (with glasses) − (without) + smiling woman": {
        "A": "2:17, 2:22, 2:28",
        "B": "2:14, 2:20, 2:24",
        "C": "0:0",
        "seed": 2,
        "note": "The same glasses direction added to a woman from another grid: she gets glasses, and also "
        "some of the pose and lighting the glasses group happens to share -- averaging 3 exemplars only "
        "partly cancels those.",
    },
    "Moustache: (with moustache) − (without) + another face": {
        "A": "3:5, 3:24, 3:32",
        "B": "3:7, 3:22, 3:23",
        "C": "0:0",
        "seed": 3,
        "note": "Moustached faces minus clean-shaven ones, plus a smiling woman: a moustache appears, but "
        "so do a darker skin and a more masculine face. The A faces share those too, and three exemplars "
        "are not enough to average them out -- an example of where the arithmetic fails.",
    },
}


__all__ = [
    "MAX_GROUP",
    "MAX_REF_CHARS",
    "split_refs",
    "check_seed",
    "NOISE",
    "INTERP_STEPS",
    "SCALE",
    "EXTENT",
    "INVERT_STEPS",
    "PRIOR",
    "parse_refs",
    "ref_to_z",
    "refs_to_z",
    "Renderer",
    "ArithmeticResult",
    "arithmetic_update",
    "group_strip",
    "equation_figure",
    "Interpolation",
    "interpolation_strips",
    "walk_gif",
    "PRESETS",
]
