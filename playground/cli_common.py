"""What every command line of the project does with bad arguments: one line on stderr, exit code 2.

``python -m playground.dcgan``, ``python -m playground.translation`` and ``python -m playground.toy2d``
check their arguments before any work (:func:`resolve_device`, :func:`output_folder`), and run through
:func:`run`, which turns a :class:`~playground.errors.UserError` or an ``OSError`` (a disk full, a
permission denied) into ``error: ...`` and exit code 2 instead of a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

import torch

from playground.device import get_device
from playground.errors import UserError

EXIT_BAD_INPUT = 2


def resolve_device(name: str | None) -> torch.device:
    """``--device``: cpu, cuda, cuda:N or mps, checked to exist here; None picks the best available."""
    if not name:
        return get_device()
    try:
        dev = torch.device(name)
    except (RuntimeError, ValueError, TypeError):
        raise UserError(f"Unknown device {name!r}: use cpu, cuda, cuda:N or mps.") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError(f"--device {name}: no CUDA GPU is available on this machine; use --device cpu.")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise UserError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA GPU(s), "
                            f"numbered from 0.")
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise UserError(f"--device {name}: Apple MPS is not available on this machine; use --device cpu.")
    elif dev.type != "cpu":
        raise UserError(f"--device {name}: use cpu, cuda, cuda:N or mps.")
    return dev


def output_folder(path: str | os.PathLike, flag: str = "--out") -> Path:
    """Create ``path`` (and parents) and check that a file can be written in it, before any work."""
    p = Path(path)
    blocker = next((q for q in (p, *p.parents) if q.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise UserError(f"{flag} {p}: cannot write there ({blocker} is a file, not a folder).")
    try:
        p.mkdir(parents=True, exist_ok=True)
        probe = p / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"{flag} {p}: cannot write there ({exc.strerror or exc}).") from None
    return p


def output_file(path: str | os.PathLike, flag: str = "--out", suffixes: tuple[str, ...] = ()) -> Path:
    """Check that ``path`` can be written as a file (its folder is created), before any work."""
    p = Path(path)
    if suffixes and p.suffix.lower() not in suffixes:
        raise UserError(f"{flag} {p}: use a file name ending in {' or '.join(suffixes)}.")
    if p.is_dir():
        raise UserError(f"{flag} {p} is a folder; give a file name.")
    output_folder(p.parent if str(p.parent) else ".", flag)
    return p


def run(fn: Callable[[], int | None]) -> int:
    """Call ``fn``; bad input becomes ``error: ...`` on stderr and exit code 2."""
    try:
        rc = fn()
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0 if rc is None else rc


__all__ = ["resolve_device", "output_folder", "output_file", "run", "EXIT_BAD_INPUT"]
