"""The DCGAN guidelines panel: the bundled generator's real layers, Radford et al.'s rules checked
against the module tree, and the checkerboard artefact of transposed convolutions.

The tab calls:

* :func:`layer_table` ``(generator)`` -> one row per weight layer (dicts keyed by :data:`COLUMNS`), with
  :func:`table_rows` for a ``gr.Dataframe``;
* :func:`check_rules` ``(generator, discriminator)`` -> one row per guideline: ``rule``, ``network``,
  ``ok`` (True / False / None when not checkable) and ``why``; pass ``models.Discriminator()`` (the D
  this project trains with) since the bundled weights hold G only;
* :func:`overlap_demo` ``()`` -> the toy pictures of how a transposed convolution's kernel footprints
  overlap (k=4, s=2 like DCGAN; k=3, s=2; resize then convolve), as 2-D float arrays;
* :func:`generator_checkerboard` ``(generator)`` -> the same measurement on the generator's own first
  upsampling layers: the period-``stride`` pattern each produces from a constant input.

Radford, Metz and Chintala (2016), "Unsupervised representation learning with deep convolutional GANs",
Section 3; the checkerboard is Odena, Dumoulin and Olah (2016), "Deconvolution and checkerboard
artifacts" (Distill).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

COLUMNS = ("layer", "type", "in_channels", "out_channels", "kernel", "stride", "padding", "output_shape",
           "batch_norm", "activation", "parameters")

_WEIGHT_LAYERS = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)
_POOLING = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.LPPool2d,
            nn.FractionalMaxPool2d)
_RESAMPLING = (nn.Upsample, nn.UpsamplingNearest2d, nn.UpsamplingBilinear2d, nn.PixelShuffle)
_NORMS = (nn.BatchNorm2d, nn.BatchNorm1d)
_ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.ELU, nn.GELU, nn.SiLU, nn.PReLU)


# ---- the layer table ---------------------------------------------------------------------------------


def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _show(v):
    """(4, 4) -> 4 for the table; non-square stays a tuple."""
    a, b = _pair(v)
    return a if a == b else (a, b)


def output_size(module: nn.Module, shape: tuple[int, ...] | None) -> tuple[int, ...] | None:
    """The output shape (C, H, W) (or (F,)) of one layer from its input shape, by the layers' arithmetic.

    Transposed convolution: H_out = (H - 1) s - 2p + d (k - 1) + output_padding + 1; convolution and
    pooling: H_out = floor((H + 2p - d (k - 1) - 1) / s) + 1. Norms, activations and dropout keep the
    shape. None when the shape is unknown (an input of None, or a layer type this table does not know).
    """
    if shape is None:
        return None
    if isinstance(module, (*_NORMS, *_ACTIVATIONS, nn.Dropout, nn.Dropout2d, nn.Identity)):
        return shape
    if isinstance(module, nn.Linear):
        return (module.out_features,)
    if isinstance(module, nn.Flatten):
        return (math.prod(shape),)
    if isinstance(module, nn.Unflatten):
        return tuple(module.unflattened_size)
    if len(shape) != 3:
        return None
    c, h, w = shape
    if isinstance(module, nn.ConvTranspose2d):
        (kh, kw), (sh, sw), (ph, pw) = module.kernel_size, module.stride, module.padding
        (dh, dw), (oh, ow) = module.dilation, module.output_padding
        return (module.out_channels, (h - 1) * sh - 2 * ph + dh * (kh - 1) + oh + 1,
                (w - 1) * sw - 2 * pw + dw * (kw - 1) + ow + 1)
    if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
        (kh, kw), (ph, pw) = _pair(module.kernel_size), _pair(module.padding)
        (sh, sw) = _pair(module.stride if module.stride is not None else module.kernel_size)
        (dh, dw) = _pair(getattr(module, "dilation", 1))
        out_c = module.out_channels if isinstance(module, nn.Conv2d) else c
        return (out_c, (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1)
    if isinstance(module, (nn.Upsample, nn.UpsamplingNearest2d, nn.UpsamplingBilinear2d)) and module.scale_factor:
        fh, fw = (module.scale_factor, module.scale_factor) if not isinstance(module.scale_factor, tuple) else module.scale_factor
        return (c, int(h * fh), int(w * fw))
    return None


def _leaves(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Leaf modules in registration order (the forward order of a DCGAN's ``nn.Sequential``)."""
    return [(n, m) for n, m in model.named_modules() if not list(m.children())]


def _activation_name(m: nn.Module) -> str:
    if isinstance(m, nn.LeakyReLU):
        return f"LeakyReLU({m.negative_slope:g})"
    return type(m).__name__


def layer_table(model: nn.Module, input_shape: tuple[int, ...] = (100, 1, 1)) -> list[dict]:
    """One row per weight layer (and per pooling / resampling layer, should a model have any).

    ``input_shape``: one sample's shape without the batch (a DCGAN generator's z is (nz, 1, 1)). Each
    row holds the layer's type and hyper-parameters, its output shape, whether a batch norm follows it,
    the activation after it, and its parameter count including that batch norm.
    """
    rows: list[dict] = []
    shape: tuple[int, ...] | None = tuple(input_shape)
    for name, m in _leaves(model):
        shape = output_size(m, shape)
        if isinstance(m, _WEIGHT_LAYERS + _POOLING + _RESAMPLING):
            conv = isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))
            rows.append({
                "layer": name,
                "type": type(m).__name__,
                "in_channels": m.in_channels if conv else (m.in_features if isinstance(m, nn.Linear) else None),
                "out_channels": m.out_channels if conv else (m.out_features if isinstance(m, nn.Linear) else None),
                "kernel": _show(m.kernel_size) if hasattr(m, "kernel_size") else None,
                "stride": _show(m.stride) if getattr(m, "stride", None) is not None else None,
                "padding": _show(m.padding) if hasattr(m, "padding") else None,
                "output_shape": shape,
                "batch_norm": False,
                "activation": "",
                "parameters": sum(p.numel() for p in m.parameters()),
            })
        elif rows and isinstance(m, _NORMS):
            rows[-1]["batch_norm"] = True
            rows[-1]["parameters"] += sum(p.numel() for p in m.parameters())
            rows[-1]["output_shape"] = shape
        elif rows and isinstance(m, _ACTIVATIONS) and not rows[-1]["activation"]:
            rows[-1]["activation"] = _activation_name(m)
            rows[-1]["output_shape"] = shape
    return rows


def table_rows(rows: list[dict]) -> list[list]:
    """Rows as lists in :data:`COLUMNS` order, shapes written "512×4×4", for a ``gr.Dataframe``."""
    out = []
    for r in rows:
        cells = []
        for c in COLUMNS:
            v = r[c]
            if c == "output_shape":
                v = "×".join(map(str, v)) if v else "?"
            elif c == "batch_norm":
                v = "yes" if v else "no"
            elif v is None or v == "":
                v = "—"
            cells.append(v)
        out.append(cells)
    return out


# ---- Radford et al.'s guidelines -------------------------------------------------------------------------

RULES = (
    "Replace pooling with strided convolutions (D) and fractional-strided, i.e. transposed, convolutions (G)",
    "Use batch norm in G and D (but not on G's output layer nor on D's input layer)",
    "Remove fully connected hidden layers",
    "Use ReLU in G for every layer except the output, which uses tanh",
    "Use LeakyReLU in D for every layer",
)


def _pooling_rule(net: nn.Module, who: str, transposed: bool) -> tuple[bool, str]:
    bad = [f"{n} ({type(m).__name__})" for n, m in _leaves(net) if isinstance(m, _POOLING + _RESAMPLING)]
    if bad:
        return False, f"{who} resizes with {', '.join(bad)}."
    kind = nn.ConvTranspose2d if transposed else nn.Conv2d
    convs = [m for _, m in _leaves(net) if isinstance(m, kind)]
    strided = [m for m in convs if max(_pair(m.stride)) > 1]
    word = "transposed convolutions" if transposed else "convolutions"
    if not strided:
        return False, f"{who} has no strided {word}."
    return True, f"{who}: no pooling or upsampling layers; {len(strided)} of {len(convs)} {word} have stride 2."


def _batchnorm_rule(rows: list[dict], who: str, skip_first: bool) -> tuple[bool, str]:
    if not rows:
        return False, f"{who} has no weight layers."
    # G: every layer but the output has BN, the output has none. D: the input layer has none, the
    # layers after it have BN (D's final 1-unit output is a classifier, not a feature layer).
    if skip_first:
        need, without = rows[1:-1], [rows[0]]
    else:
        need, without = rows[:-1], [rows[-1]]
    missing = [r["layer"] for r in need if not r["batch_norm"]]
    extra = [r["layer"] for r in without if r["batch_norm"]]
    if missing or extra:
        parts = ([f"no batch norm after {', '.join(missing)}"] if missing else []) + (
            [f"batch norm on {', '.join(extra)} (the paper leaves it out there)"] if extra else [])
        return False, f"{who}: " + "; ".join(parts) + "."
    where = "its input layer" if skip_first else "its output layer"
    return True, f"{who}: batch norm after {len(need)} of {len(rows)} layers, none on {where}."


def _activation_rule(rows: list[dict], who: str, hidden: str, output: str | None) -> tuple[bool, str]:
    hidden_rows = rows[:-1]
    wrong = [f"{r['layer']} ({r['activation'] or 'none'})" for r in hidden_rows if not r["activation"].startswith(hidden)]
    last = rows[-1]["activation"] if rows else ""
    problems = [f"hidden layers {', '.join(wrong)} are not {hidden}"] if wrong else []
    if output is not None and last != output:
        problems.append(f"the output is {last or 'linear'}, not {output}")
    if problems:
        return False, f"{who}: " + "; ".join(problems) + "."
    tail = f", {output} at the output" if output else f"; the output is {last or 'linear'}"
    return True, f"{who}: {hidden} after all {len(hidden_rows)} hidden layers{tail}."


def _weight_rows(rows: list[dict]) -> list[dict]:
    """The rows of layers with weights (pooling and resampling rows are the pooling rule's business)."""
    return [r for r in rows if r["type"] in ("Conv2d", "ConvTranspose2d", "Linear")]


def check_rules(generator: nn.Module, discriminator: nn.Module | None = None,
                g_input: tuple[int, ...] = (100, 1, 1), d_input: tuple[int, ...] = (3, 64, 64)) -> list[dict]:
    """Each of :data:`RULES` checked against the real module trees.

    Returns rows ``{"rule", "network", "ok", "why"}``; ``ok`` is None for D's rules when no
    discriminator is given. A rule about both networks is one row per network.
    """
    g_rows = _weight_rows(layer_table(generator, g_input))
    d_rows = _weight_rows(layer_table(discriminator, d_input)) if discriminator is not None else None
    out: list[dict] = []

    def add(rule: int, network: str, result: tuple[bool, str] | None) -> None:
        if result is None:
            ok, why = None, "No discriminator was given (the bundled weights hold only G); not checked."
        else:
            ok, why = result
        out.append({"rule": RULES[rule], "network": network, "ok": ok, "why": why})

    add(0, "G", _pooling_rule(generator, "G", transposed=True))
    add(0, "D", None if discriminator is None else _pooling_rule(discriminator, "D", transposed=False))
    add(1, "G", _batchnorm_rule(g_rows, "G", skip_first=False))
    add(1, "D", None if d_rows is None else _batchnorm_rule(d_rows, "D", skip_first=True))
    for network, net in (("G", generator), ("D", discriminator)):
        if net is None:
            add(2, network, None)
            continue
        linear = [n for n, m in _leaves(net) if isinstance(m, nn.Linear)]
        if linear:
            add(2, network, (False, f"{network} has fully connected layers: {', '.join(linear)}."))
        else:
            first = "; its first layer, a transposed convolution on the 1×1 z, is the paper's 'project and reshape'" if network == "G" else ""
            add(2, network, (True, f"{network} has no nn.Linear layer{first}."))
    add(3, "G", _activation_rule(g_rows, "G", "ReLU", "Tanh"))
    add(4, "D", None if d_rows is None else _activation_rule(d_rows, "D", "LeakyReLU", None))
    return out


# ---- the checkerboard artefact ---------------------------------------------------------------------------


def overlap_pattern(kernel: int, stride: int, size: int = 6, padding: int = 0) -> np.ndarray:
    """How many kernel footprints land on each output pixel of a transposed convolution.

    A ``ConvTranspose2d(1, 1, kernel, stride, padding)`` with every weight 1 and no bias, fed a
    ``size`` x ``size`` map of ones: each output pixel is the number of (input pixel, kernel tap) pairs
    that write to it. Uneven counts (kernel not a multiple of stride) are the checkerboard.
    """
    conv = nn.ConvTranspose2d(1, 1, kernel, stride, padding, bias=False)
    with torch.no_grad():
        conv.weight.fill_(1.0)
        return conv(torch.ones(1, 1, size, size))[0, 0].numpy()


def resize_conv_pattern(kernel: int = 3, scale: int = 2, size: int = 6) -> np.ndarray:
    """The alternative Odena et al. recommend: nearest-neighbour upsampling, then a ``kernel`` x ``kernel``
    convolution (all-ones weights, 'same' zero padding). Every interior pixel gets the same count."""
    up = nn.Upsample(scale_factor=scale, mode="nearest")
    conv = nn.Conv2d(1, 1, kernel, 1, kernel // 2, bias=False)
    with torch.no_grad():
        conv.weight.fill_(1.0)
        return conv(up(torch.ones(1, 1, size, size)))[0, 0].numpy()


def overlap_demo(size: int = 6) -> dict[str, np.ndarray]:
    """The three toy pictures, name -> 2-D map of overlap counts."""
    return {
        "transposed conv k=4, s=2 (DCGAN): even overlap": overlap_pattern(4, 2, size, padding=1),
        "transposed conv k=3, s=2: uneven overlap (checkerboard)": overlap_pattern(3, 2, size),
        "nearest resize ×2, then conv k=3: even": resize_conv_pattern(3, 2, size),
    }


def phase_means(maps: np.ndarray, stride: int) -> np.ndarray:
    """(C, H, W) maps -> (C, stride, stride): the mean of each channel over each position mod stride."""
    c = maps.shape[0]
    return np.stack([[[maps[i, a::stride, b::stride].mean() for b in range(stride)] for a in range(stride)]
                     for i in range(c)])


def periodic_strength(maps: np.ndarray, stride: int) -> float:
    """The share of the maps' energy in their period-``stride`` pattern: sqrt(sum of squared deviations
    of each phase mean from the channel's mean / sum of squares), in [0, 1]. H and W must be multiples
    of ``stride`` so every phase has the same number of pixels; 0 for a map with no periodic pattern."""
    m = phase_means(maps, stride)
    periodic = ((m - m.mean(axis=(1, 2), keepdims=True)) ** 2).sum()
    total = (maps.astype(np.float64) ** 2).mean(axis=(1, 2)).sum() * stride * stride
    return float(math.sqrt(periodic / total)) if total > 0 else 0.0


def generator_checkerboard(generator: nn.Module, layers: int = 2, size: int = 8) -> list[dict]:
    """The checkerboard of the generator's own first ``layers`` strided transposed convolutions.

    Each layer gets a constant input (every channel all ones, ``size`` x ``size``) so any pattern in its
    output comes from the layer alone: with a constant input a transposed convolution paints each output
    phase (position mod stride) with a different subset of its kernel taps, so unless those subsets
    sum alike the output repeats with period ``stride``. The border (where fewer taps reach) is cut off.

    Returns per layer: ``layer``, ``kernel``, ``stride``, ``strength`` (:func:`periodic_strength` over all
    channels), ``channel`` (the channel with the strongest pattern), ``map`` (that channel's output,
    interior, float) and ``phases`` (its stride x stride phase means).
    """
    out = []
    convs = [(n, m) for n, m in _leaves(generator) if isinstance(m, nn.ConvTranspose2d) and max(_pair(m.stride)) > 1]
    for name, conv in convs[:layers]:
        s = _pair(conv.stride)[0]
        k = _pair(conv.kernel_size)[0]
        with torch.no_grad():
            y = conv(torch.ones(1, conv.in_channels, size, size, dtype=conv.weight.dtype,
                                device=conv.weight.device))[0].float().cpu().numpy()
        cut = s * math.ceil(k / s)  # a multiple of the stride keeps the phases aligned
        inner = y[:, cut:-cut, cut:-cut].astype(np.float64)
        m = phase_means(inner, s)
        per_channel = ((m - m.mean(axis=(1, 2), keepdims=True)) ** 2).mean(axis=(1, 2)) / np.maximum((inner**2).mean(axis=(1, 2)), 1e-30)
        best = int(per_channel.argmax())
        out.append({
            "layer": name,
            "kernel": k,
            "stride": s,
            "strength": periodic_strength(inner, s),
            "channel": best,
            "map": inner[best],
            "phases": m[best],
        })
    return out


__all__ = [
    "COLUMNS", "RULES", "output_size", "layer_table", "table_rows", "check_rules", "overlap_pattern",
    "resize_conv_pattern", "overlap_demo", "phase_means", "periodic_strength", "generator_checkerboard",
]
