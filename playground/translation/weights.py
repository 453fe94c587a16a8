"""Reading weights safely and fitting them to a network, with errors a student can act on.

* ``.pth`` / ``.pt``: ``torch.load(weights_only=True)`` - tensors only; a pickle that would run code
  is refused.
* ``.safetensors``: cannot hold code at all; our own checkpoints also carry their config there.

Before loading, a file's size, a safetensors header and a torch zip's declared member sizes are
checked (:mod:`playground.safe_weights`): at most :data:`MAX_WEIGHTS_BYTES` (the official ``unet_256``
generator is 218 MB). The official files may be in PyTorch's pre-1.6 format, which is accepted with
only its file size bounded.

:func:`fit_state_dict` applies the same fixes as the official ``BaseModel.load_networks``: it strips
the ``module.`` prefix of DataParallel checkpoints and drops the InstanceNorm running-statistics keys
that old PyTorch versions saved (the official loader patches them away), then loads with
``strict=True`` and reports missing, unexpected or mis-shaped keys by name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch
import torch.nn as nn

from playground.errors import UserError
from playground.safe_weights import read_weights, strip_module

MAX_WEIGHTS_BYTES = 512 * 2**20


def read(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """(tensors, safetensors metadata) of a .pth/.pt or .safetensors file, checked and read by
    :func:`playground.safe_weights.read_weights`; the official files' pre-1.6 format is accepted."""
    return read_weights(path, MAX_WEIGHTS_BYTES, "The weights file", "a translation model", allow_legacy=True)


def sub_dict(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The tensors under ``prefix.`` with the prefix removed (``G.model.0.weight`` -> ``model.0.weight``)."""
    p = prefix + "."
    return {k[len(p):]: v for k, v in tensors.items() if k.startswith(p)}


def _names(keys, n=3) -> str:
    keys = sorted(keys)
    more = f" (and {len(keys) - n} more)" if len(keys) > n else ""
    return ", ".join(keys[:n]) + more


def fit_state_dict(net: nn.Module, sd: dict[str, torch.Tensor], source: str = "the file",
                   hint: str = "") -> nn.Module:
    """Load ``sd`` into ``net`` strictly, after the official loader's two compatibility fixes."""
    net.load_state_dict(check_fit(net, sd, source, hint), strict=True)
    return net


def fit_new(make, sd: dict[str, torch.Tensor], source: str = "the file", hint: str = "") -> nn.Module:
    """``make()`` a network holding ``sd``: built on the meta device (no memory), checked against ``sd``,
    then given ``sd``'s tensors themselves (``assign=True``). A file that does not fit allocates nothing,
    and one that fits is in memory once (no randomly initialised copy)."""
    with torch.device("meta"):
        net = make()
    sd = check_fit(net, sd, source, hint)
    net.load_state_dict(sd, strict=True, assign=True)
    if any(t.is_meta for t in (*net.parameters(), *net.buffers())):  # a buffer the state_dict does not hold
        net = make()
        net.load_state_dict(sd, strict=True)
    return net


def check_fit(net: nn.Module, sd: dict[str, torch.Tensor], source: str = "the file",
              hint: str = "") -> dict[str, torch.Tensor]:
    """``sd`` after the official loader's two compatibility fixes, checked against ``net``'s keys and
    shapes (a UserError naming what does not fit); ``net`` may live on the meta device."""
    sd = strip_module(sd)
    modules = dict(net.named_modules())
    for key in list(sd):
        mod_name, _, attr = key.rpartition(".")
        mod = modules.get(mod_name)
        if isinstance(mod, nn.InstanceNorm2d) and attr in ("running_mean", "running_var", "num_batches_tracked") \
                and getattr(mod, attr, None) is None:
            del sd[key]  # saved by old PyTorch; our InstanceNorm (as the official) tracks no statistics
    expected = net.state_dict()
    for key in expected:
        # Files from PyTorch < 0.4 have no BatchNorm step counter; it only matters for momentum=None.
        if key.endswith("num_batches_tracked") and key not in sd and key.rsplit(".", 1)[0] + ".running_mean" in sd:
            sd[key] = torch.zeros((), dtype=torch.long)
    missing = set(expected) - set(sd)
    unexpected = set(sd) - set(expected)
    bad_shapes = [f"{k} {tuple(sd[k].shape)} (expected {tuple(expected[k].shape)})"
                  for k in expected if k in sd and sd[k].shape != expected[k].shape]
    if missing or unexpected or bad_shapes:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing keys, e.g. {_names(missing)}")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected keys, e.g. {_names(unexpected)}")
        if bad_shapes:
            parts.append(f"{len(bad_shapes)} tensors of the wrong shape, e.g. {'; '.join(bad_shapes[:3])}")
        guess = guess_architecture(sd)
        guess_txt = f" The file looks like {guess['arch']} (norm {guess['norm']}, ngf {guess['ngf']})." if guess else ""
        raise UserError(f"{source} does not fit this network: {'; '.join(parts)}.{guess_txt} {hint}".strip())
    return {k: v.to(expected[k].dtype) for k, v in sd.items()}


def guess_architecture(sd: dict[str, torch.Tensor]) -> dict | None:
    """Recognise an official generator state_dict: {'arch', 'norm', 'ngf', 'input_nc', 'output_nc'} or None."""
    sd = strip_module(sd)
    try:
        blocks = {int(m.group(1)) for k in sd if (m := re.match(r"model\.(\d+)\.conv_block\.", k))}
        if blocks:
            first = sd["model.1.weight"]
            norm = "batch" if "model.2.weight" in sd or "model.2.running_mean" in sd else "instance"
            last = max(int(k.split(".")[1]) for k in sd if re.match(r"model\.\d+\.weight$", k))
            return {"arch": f"resnet_{len(blocks)}blocks", "norm": norm, "ngf": first.shape[0],
                    "input_nc": first.shape[1], "output_nc": sd[f"model.{last}.weight"].shape[0]}
        if "model.model.0.weight" in sd:
            depth = max(k.count("model.3.") for k in sd if k.endswith("weight"))
            first = sd["model.model.0.weight"]
            norm = "batch" if any(k.endswith("running_mean") for k in sd) else "instance"
            downs = depth + 1
            arch = {6: "unet_64", 7: "unet_128", 8: "unet_256"}.get(downs, f"U-Net with {downs} downsamplings")
            return {"arch": arch, "norm": norm, "ngf": first.shape[0], "input_nc": first.shape[1],
                    "output_nc": sd["model.model.3.weight"].shape[1]}
    except (KeyError, IndexError, ValueError):
        return None
    return None


def safetensors_config(meta: dict[str, str]) -> dict:
    try:
        return json.loads(meta.get("config", "{}"))
    except json.JSONDecodeError:
        return {}
