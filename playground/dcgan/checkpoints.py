"""Load DCGAN generators from files: pytorch-examples ``netG`` state_dicts (.pt/.pth) or safetensors.

Only tensors are read: ``torch.load(..., weights_only=True)`` refuses pickles that would run code, and
safetensors cannot hold code at all. Every failure becomes a :class:`UserError` that says what to fix.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from playground.dcgan.models import Generator, infer_generator_config
from playground.errors import UserError

# Wrappers that training scripts commonly put around the generator's state_dict.
_WRAPPER_KEYS = ("netG_state_dict", "netG", "generator", "state_dict", "model")


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors from a .safetensors file or a torch.save'd state_dict, without executing code."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"The file {path.name} does not exist.")
    if path.suffix.lower() == ".safetensors":
        try:
            return load_file(str(path), device="cpu")
        except (SafetensorError, OSError, ValueError) as exc:
            raise UserError(f"{path.name} is not a readable safetensors file ({exc}).") from exc
    if path.suffix.lower() not in (".pt", ".pth", ".tar", ".ckpt", ".bin"):
        raise UserError(
            f"{path.name}: expected a PyTorch state_dict (.pt/.pth) or a .safetensors file."
        )
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise UserError(
            f"{path.name} contains Python objects other than tensors, and loading it could run code, so it "
            "was refused. Save only the generator's weights: torch.save(netG.state_dict(), 'netG.pth')."
        ) from exc
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as exc:
        raise UserError(f"{path.name} is not a readable PyTorch file ({exc}).") from exc
    return unwrap_state_dict(obj, path.name)


def unwrap_state_dict(obj, name: str = "the file") -> dict[str, torch.Tensor]:
    """Accept a bare state_dict or one nested under a usual key ('netG_state_dict', 'state_dict', ...)."""
    if isinstance(obj, dict):
        for key in _WRAPPER_KEYS:
            if key in obj and isinstance(obj[key], dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise UserError(f"{name} does not hold a state_dict (a mapping from names to tensors).")
    # Checkpoints saved from nn.DataParallel prefix every key with 'module.'.
    if obj and all(k.startswith("module.") for k in obj):
        obj = {k[len("module."):]: v for k, v in obj.items()}
    return obj


def generator_from_state_dict(state_dict: dict[str, torch.Tensor], name: str = "the file") -> Generator:
    """Build a :class:`Generator` of the right size and load ``state_dict`` into it (eval mode, fp32)."""
    expected_any = ("main.0.weight", "main.12.weight")
    missing_core = [k for k in expected_any if k not in state_dict]
    if missing_core:
        sample = ", ".join(list(state_dict)[:6]) or "no keys"
        raise UserError(
            f"{name} is not a pytorch-examples DCGAN generator: it lacks {', '.join(missing_core)} "
            f"(it has {sample}{' ...' if len(state_dict) > 6 else ''}). "
            "Load the netG state_dict (keys main.0.weight ... main.12.weight), not netD or a whole model."
        )
    try:
        cfg = infer_generator_config(state_dict)
    except (IndexError, ValueError) as exc:
        raise UserError(f"{name}: main.0.weight / main.12.weight have unexpected shapes.") from exc
    if state_dict["main.0.weight"].dim() != 4 or state_dict["main.12.weight"].dim() != 4:
        raise UserError(f"{name}: main.0.weight and main.12.weight must be 4-D transposed-conv weights.")
    g = Generator(nz=cfg.nz, ngf=cfg.ngf, nc=cfg.nc)
    own = g.state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append("missing keys: " + _short(missing))
        if unexpected:
            parts.append("unexpected keys: " + _short(unexpected))
        raise UserError(
            f"{name} does not fit the DCGAN generator ({'; '.join(parts)}). "
            "Expected the module tree of pytorch/examples' DCGAN netG."
        )
    bad = [
        f"{k} {tuple(v.shape)} (expected {tuple(own[k].shape)})"
        for k, v in state_dict.items()
        if tuple(v.shape) != tuple(own[k].shape)
    ]
    if bad:
        raise UserError(f"{name}: tensor shapes do not fit a DCGAN generator: {_short(bad)}.")
    g.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in state_dict.items()})
    g.eval()
    for p in g.parameters():
        p.requires_grad_(False)
    return g


def load_generator(path: str | Path) -> Generator:
    """A generator from a user file (.pt/.pth state_dict or .safetensors), in eval mode on the CPU."""
    return generator_from_state_dict(read_state_dict(path), Path(path).name)


def save_generator(g: Generator, path: str | Path, metadata: dict[str, str] | None = None) -> None:
    """Write ``g``'s state_dict as safetensors (fp32), loadable by :func:`load_generator`."""
    sd = {k: v.detach().cpu().contiguous() for k, v in g.state_dict().items()}
    save_file(sd, str(path), metadata=metadata or {})


def _short(items: list[str], n: int = 5) -> str:
    more = f" and {len(items) - n} more" if len(items) > n else ""
    return ", ".join(items[:n]) + more


__all__ = [
    "read_state_dict",
    "unwrap_state_dict",
    "generator_from_state_dict",
    "load_generator",
    "save_generator",
]
