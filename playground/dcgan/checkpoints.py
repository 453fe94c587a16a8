"""Load DCGAN generators from files: pytorch-examples ``netG`` state_dicts (.pt/.pth) or safetensors.

Only tensors are read: ``torch.load(..., weights_only=True)`` refuses pickles that would run code, and
safetensors cannot hold code at all. A visitor's file is checked before anything is allocated for it:

* its size on disk (at most what the largest accepted generator needs, :data:`MAX_FILE_BYTES`);
* a safetensors file's JSON header (names, dtypes, shapes) against the generator's module tree, with
  nz, ngf and nc bounded (:data:`MAX_NZ`, :data:`MAX_NGF`, nc 1 or 3), before a tensor is read;
* a torch zip's member count and declared sizes before ``torch.load``; PyTorch's pre-1.6 format, whose
  storages are allocated from sizes inside the pickle, is refused;
* the loaded tensors' shapes against the same expectation before the network is built, and their values:
  floating point (an int8 file is refused by name) and finite (NaN or infinity is refused, naming the tensor).

Every failure becomes a :class:`UserError` that says what to fix.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import save_file

from playground import safe_input
from playground.dcgan.models import DCGANConfig, Generator
from playground.errors import UserError
from playground.safe_weights import read_weights, safetensors_header, strip_module

MAX_NZ = 512  # pytorch/examples: 100
MAX_NGF = 128  # pytorch/examples: 64; ngf=128 is ~78 MB of fp32 weights, the largest a visitor may load
CHANNELS = (1, 3)  # grayscale (MNIST-style) or RGB
MAX_HEADER_BYTES = 1 << 20  # a generator's safetensors header is ~2 KB


def generator_shapes(nz: int, ngf: int, nc: int) -> dict[str, tuple[int, ...]]:
    """The state_dict shapes of ``Generator(nz, ngf, nc)``, computed without building it."""
    widths = [nz, ngf * 8, ngf * 4, ngf * 2, ngf, nc]
    shapes: dict[str, tuple[int, ...]] = {}
    for i in range(5):
        shapes[f"main.{3 * i}.weight"] = (widths[i], widths[i + 1], 4, 4)
        if i < 4:  # batch norm after every transposed conv but the last
            for name in ("weight", "bias", "running_mean", "running_var"):
                shapes[f"main.{3 * i + 1}.{name}"] = (widths[i + 1],)
            shapes[f"main.{3 * i + 1}.num_batches_tracked"] = ()
    return shapes


def generator_bytes(nz: int, ngf: int, nc: int, bytes_per_value: int = 4) -> int:
    """Bytes of a generator's state_dict at ``bytes_per_value`` (fp32: 4)."""
    n = 0
    for shape in generator_shapes(nz, ngf, nc).values():
        k = 1
        for d in shape:
            k *= d
        n += k
    return n * bytes_per_value


# The largest file a visitor may hand in: the largest accepted generator in fp32, plus room for headers.
MAX_FILE_BYTES = generator_bytes(MAX_NZ, MAX_NGF, 3) + (2 << 20)


def check_generator_shapes(shapes: dict[str, tuple[int, ...]], name: str = "the file") -> DCGANConfig:
    """nz, ngf and nc of a generator state_dict given only its tensor shapes; a UserError when the keys,
    the shapes or the sizes do not make an accepted pytorch-examples DCGAN generator."""
    missing_core = [k for k in ("main.0.weight", "main.12.weight") if k not in shapes]
    if missing_core:
        sample = ", ".join(safe_input.cut(k, 40) for k in list(shapes)[:6]) or "no keys"
        raise UserError(
            f"{name} is not a pytorch-examples DCGAN generator: it lacks {', '.join(missing_core)} "
            f"(it has {sample}{' ...' if len(shapes) > 6 else ''}). "
            "Load the netG state_dict (keys main.0.weight ... main.12.weight), not netD or a whole model."
        )
    first, last = tuple(shapes["main.0.weight"]), tuple(shapes["main.12.weight"])
    if len(first) != 4 or len(last) != 4:
        raise UserError(f"{name}: main.0.weight and main.12.weight must be 4-D transposed-conv weights.")
    nz, ngf, nc = int(first[0]), int(last[0]), int(last[1])
    if not 1 <= nz <= MAX_NZ:
        raise UserError(f"{name}: nz = {nz} (the length of z); this app accepts 1 to {MAX_NZ}.")
    if not 1 <= ngf <= MAX_NGF:
        raise UserError(f"{name}: ngf = {ngf} (the generator's width); this app accepts 1 to {MAX_NGF} "
                        "(pytorch/examples uses 64).")
    if nc not in CHANNELS:
        raise UserError(f"{name}: the generator makes images with {nc} channels; this app shows 1 (grayscale) "
                        "or 3 (RGB).")
    expected = generator_shapes(nz, ngf, nc)
    missing = [k for k in expected if k not in shapes]
    unexpected = [safe_input.cut(k, 40) for k in shapes if k not in expected]
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
    bad = [f"{k} {tuple(v)} (expected {expected[k]})" for k, v in shapes.items() if tuple(v) != expected[k]]
    if bad:
        raise UserError(f"{name}: tensor shapes do not fit a DCGAN generator: {_short(bad)}.")
    return DCGANConfig(nz=nz, ngf=ngf, nc=nc)


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors from a .safetensors file or a torch.save'd state_dict, without executing code, after the
    size checks above (:func:`playground.safe_weights.read_weights`)."""
    return read_weights(path, MAX_FILE_BYTES, "The generator file", "a generator this app accepts",
                        max_header_bytes=MAX_HEADER_BYTES)[0]


def check_generator_values(state_dict: dict[str, torch.Tensor], name: str = "the file") -> None:
    """A UserError naming the file and the tensor when a weight is not floating point (an int8 file, say)
    or holds NaN or infinity (a diverged run's generator draws black pictures and inverts to "MSE nan")."""
    for key, v in state_dict.items():
        if key.endswith("num_batches_tracked"):
            continue  # batch norm's step counter: an integer by design, never used in eval mode
        if not v.is_floating_point():
            dtype = str(v.dtype).removeprefix("torch.")
            raise UserError(f"{name} holds {dtype} weights ({safe_input.cut(key, 40)}); a generator's weights are "
                            "floating point (float32, float16 or bfloat16). Save the trained netG's state_dict "
                            "without quantising it.")
        bad = int((~torch.isfinite(v)).sum())
        if bad:
            raise UserError(f"{name}: {safe_input.cut(key, 40)} holds {bad:,} NaN or infinite value"
                            f"{'s' if bad > 1 else ''}, so the generator would draw blank pictures; the run that "
                            "saved it diverged. Load the weights of an earlier, healthy checkpoint.")


def generator_from_state_dict(state_dict: dict[str, torch.Tensor], name: str = "the file") -> Generator:
    """Build a :class:`Generator` of the right size and load ``state_dict`` into it (eval mode, fp32);
    keys, shapes, sizes and values are checked first, so a bad file allocates nothing."""
    cfg = check_generator_shapes({k: tuple(v.shape) for k, v in state_dict.items()}, name)
    check_generator_values(state_dict, name)
    # Built on the meta device and given the file's tensors themselves (assign=True): the weights are in
    # memory once, not twice (a randomly initialised copy and the file's).
    with torch.device("meta"):
        g = Generator(nz=cfg.nz, ngf=cfg.ngf, nc=cfg.nc)
    g.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in state_dict.items()}, assign=True)
    g.eval()
    for p in g.parameters():
        p.requires_grad_(False)
    return g


def load_generator(path: str | Path) -> Generator:
    """A generator from a user file (.pt/.pth state_dict or .safetensors), in eval mode on the CPU.

    A safetensors file's header is checked against the generator before its tensors are read."""
    path = Path(path)
    if path.suffix.lower() == ".safetensors" and path.is_file():
        safe_input.file_size(path, "The generator file", MAX_FILE_BYTES)
        header = safetensors_header(path, MAX_HEADER_BYTES)
        check_generator_shapes(strip_module({k: tuple(e["shape"]) for k, e in header.items()}), path.name)
    return generator_from_state_dict(read_state_dict(path), path.name)


def save_generator(g: Generator, path: str | Path, metadata: dict[str, str] | None = None) -> None:
    """Write ``g``'s state_dict as safetensors (fp32), loadable by :func:`load_generator`."""
    sd = {k: v.detach().cpu().contiguous() for k, v in g.state_dict().items()}
    save_file(sd, str(path), metadata=metadata or {})


def _short(items: list[str], n: int = 5) -> str:
    more = f" and {len(items) - n} more" if len(items) > n else ""
    return ", ".join(items[:n]) + more


__all__ = [
    "MAX_NZ",
    "MAX_NGF",
    "MAX_FILE_BYTES",
    "generator_shapes",
    "generator_bytes",
    "check_generator_shapes",
    "check_generator_values",
    "read_state_dict",
    "generator_from_state_dict",
    "load_generator",
    "save_generator",
]
