"""Checking a weights file from its headers before loading it: what a file may make us allocate is
known (and bounded) before a tensor is read.

* ``.safetensors``: the JSON header at the start of the file lists every tensor's dtype, shape and
  byte range; :func:`safetensors_header` reads and checks it without touching the data, so callers can
  compare the shapes with the network they expect first.
* ``torch.save`` files: since PyTorch 1.6 a zip whose members are the tensors' storages and a small
  pickle; ``torch.load`` allocates each storage at its member's declared size, so :func:`check_torch_file`
  bounds the member count and declared sizes first (the directory checks of
  :class:`playground.archive.SafeZip`). The older format allocates storages at sizes read from inside the
  pickle and cannot be checked beforehand: callers decide whether to accept it (``allow_legacy``; then
  only the file size bounds it).

:func:`read_weights` is the one reader every model family uses (DCGAN generators, translation models,
the IS network): those checks, then tensors only (``torch.load(weights_only=True)``, or safetensors),
every failure a :class:`UserError` that says what to do.
"""

from __future__ import annotations

import json
import pickle
import struct
import zipfile
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open

from playground.archive import SafeZip, ZipLimits, shown
from playground.errors import UserError
from playground.safe_input import file_size, megabytes, quote

DTYPE_BYTES = {"F16": 2, "BF16": 2, "F32": 4, "F64": 8, "I64": 8, "I32": 4, "U8": 1, "BOOL": 1}
MAX_HEADER_BYTES = 16 << 20
MAX_PICKLE_BYTES = 16 << 20
MAX_ZIP_ENTRIES = 4096
ZIP_MAGIC = b"PK\x03\x04"
TORCH_SUFFIXES = (".pt", ".pth", ".tar", ".ckpt", ".bin")
# Keys training scripts commonly wrap a state_dict in (pytorch-examples' DCGAN tutorial: netG_state_dict).
WRAPPER_KEYS = ("netG_state_dict", "netG", "generator", "state_dict", "model_state_dict", "G", "model")


def safetensors_header(path: str | Path, max_header_bytes: int = MAX_HEADER_BYTES) -> dict[str, dict]:
    """The tensor entries of a .safetensors file's JSON header (``{name: {dtype, shape, data_offsets}}``),
    checked (dtypes known, byte ranges inside the file and matching the shapes) without reading any
    tensor data."""
    path = Path(path)
    size = path.stat().st_size
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise UserError(f"{path.name} is not a safetensors file (it is only {size} bytes).")
            (n,) = struct.unpack("<Q", head)
            if not 2 <= n <= min(max_header_bytes, size - 8):
                raise UserError(f"{path.name} is not a readable safetensors file (header of {n:,} bytes).")
            header = json.loads(f.read(n))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise UserError(f"{path.name} is not a readable safetensors file (its header is not JSON).") from None
    if not isinstance(header, dict):
        raise UserError(f"{path.name} is not a readable safetensors file (its header is not a JSON object).")
    header.pop("__metadata__", None)
    data_bytes = size - 8 - n
    for key, entry in header.items():
        ok = (isinstance(entry, dict) and entry.get("dtype") in DTYPE_BYTES
              and isinstance(entry.get("shape"), list)
              and all(isinstance(d, int) and 0 <= d < 2**40 for d in entry["shape"])
              and isinstance(entry.get("data_offsets"), list) and len(entry["data_offsets"]) == 2)
        if not ok:
            raise UserError(f"{path.name}: tensor {quote(key, 40)} has an unsupported or malformed header "
                            f"entry (dtypes read: {', '.join(DTYPE_BYTES)}).")
        count = 1
        for d in entry["shape"]:
            count *= d
        begin, end = entry["data_offsets"]
        if not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end <= data_bytes
                and end - begin == count * DTYPE_BYTES[entry["dtype"]]):
            raise UserError(f"{path.name}: tensor {quote(key, 40)} does not fit in the file (truncated or damaged).")
    return header


def check_torch_file(path: str | Path, max_bytes: int, allow_legacy: bool, what: str = "a weights file",
                     max_entries: int = MAX_ZIP_ENTRIES, max_pickle_bytes: int = MAX_PICKLE_BYTES) -> str:
    """Bound what ``torch.load`` may allocate for a torch.save file; returns "zip" or "legacy".

    A zip's declared member sizes must add up to at most ``max_bytes`` and its pickle to at most
    ``max_pickle_bytes``; the pre-1.6 format is refused unless ``allow_legacy``.
    """
    path = Path(path)
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != ZIP_MAGIC:
        if magic[:1] == b"\x80":
            if allow_legacy:
                return "legacy"
            raise UserError(
                f"{path.name} is in PyTorch's old (pre-1.6) format, which cannot be checked before loading. "
                "Re-save it with a current PyTorch: torch.save(model.state_dict(), 'weights.pth')."
            )
        raise UserError(f"{path.name} is not a readable PyTorch file (neither a zip archive nor a pickle).")
    # Only the directory is checked, not the members' bytes: torch.load reads each member into a buffer of
    # its declared size and its zip reader (miniz) stops there, so a member that inflates past its
    # declaration costs no more than that (tests/test_archive.py checks it). No ratio limit: torch.save
    # stores its members uncompressed.
    with SafeZip(path, ZipLimits(entries=max_entries, total_bytes=max_bytes, what=what)) as z:
        for i in z.files:
            if i.filename.endswith(".pkl") and i.file_size > max_pickle_bytes:
                raise UserError(f"{z.name}: its pickle ({shown(i.filename)}) is {megabytes(i.file_size)}; "
                                "a state_dict's is a few KB.")
    return "zip"


def read_weights(path: str | Path, max_bytes: int, label: str = "The weights file", kind: str = "a weights file",
                 allow_legacy: bool = False, max_header_bytes: int = MAX_HEADER_BYTES
                 ) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """(tensors, safetensors metadata) of a ``.safetensors`` or ``torch.save`` file, on the CPU.

    Checked before anything is allocated: the file's size (``label`` names it), a safetensors header, a
    torch zip's declared sizes (``kind`` says what it should be; :func:`check_torch_file`). Then only
    tensors are read: a pickle holding code is refused. A state_dict wrapped in a usual key
    (:data:`WRAPPER_KEYS`) is unwrapped, and DataParallel's ``module.`` prefix removed.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"The file {path.name} does not exist.")
    suffix = path.suffix.lower()
    if suffix not in (*TORCH_SUFFIXES, ".safetensors"):
        raise UserError(f"{path.name}: expected a PyTorch state_dict (.pt/.pth) or a .safetensors file.")
    file_size(path, label, max_bytes)
    if suffix == ".safetensors":
        safetensors_header(path, max_header_bytes)
        try:
            with safe_open(str(path), framework="pt", device="cpu") as f:
                return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata() or {})
        except (SafetensorError, OSError, ValueError) as exc:
            raise UserError(f"{path.name} is not a readable safetensors file ({str(exc)[:100]}).") from None
    check_torch_file(path, max_bytes, allow_legacy, kind)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise UserError(
            f"{path.name} contains Python objects other than tensors (code or custom classes), and loading it "
            "could run code, so it was refused. Save only the weights: torch.save(model.state_dict(), 'w.pth')."
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError, MemoryError) as exc:
        raise UserError(f"{path.name} is not a readable PyTorch file ({str(exc).splitlines()[0][:100]}).") from None
    return unwrap_state_dict(obj, path.name), {}


def unwrap_state_dict(obj, name: str = "the file") -> dict[str, torch.Tensor]:
    """A bare state_dict, or one nested under a usual key (:data:`WRAPPER_KEYS`), without DataParallel's
    ``module.`` prefix; a UserError for anything else."""
    if isinstance(obj, dict) and not all(isinstance(v, torch.Tensor) for v in obj.values()):
        obj = next((obj[k] for k in WRAPPER_KEYS if isinstance(obj.get(k), dict)), obj)
    if not isinstance(obj, dict) or not obj or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                                       for k, v in obj.items()):
        raise UserError(f"{name} does not hold a state_dict (a mapping from names to tensors).")
    return strip_module(obj)


def strip_module(d: dict) -> dict:
    """Checkpoints saved from ``nn.DataParallel`` prefix every key with ``module.``: drop it."""
    if d and all(k.startswith("module.") for k in d):
        return {k[len("module."):]: v for k, v in d.items()}
    return dict(d)


__all__ = ["safetensors_header", "check_torch_file", "read_weights", "unwrap_state_dict", "strip_module", "DTYPE_BYTES",
           "TORCH_SUFFIXES"]
