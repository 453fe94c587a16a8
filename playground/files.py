"""Weight files on disk: where they are, how they are downloaded, how they are verified.

Bundled weights live in :data:`PRETRAINED_DIR` (the repository's ``pretrained/``, with its
``manifest.json``); every downloaded one goes through :func:`download` and :func:`sha256_file` and lives
under :func:`cache_root` unless the user points somewhere else.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path
from typing import Callable

Progress = Callable[[int, "int | None"], None]
PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"


class DownloadError(OSError):
    """A download that arrived but cannot be kept (too large, cut short, wrong checksum)."""


def cache_root() -> Path:
    """``$PLAYGROUND_CACHE`` or ``~/.cache/gan-playground``."""
    return Path(os.environ.get("PLAYGROUND_CACHE") or Path.home() / ".cache" / "gan-playground")


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks (weights can be hundreds of MB)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def download(
    url: str,
    dest: Path,
    *,
    timeout: float = 30.0,
    max_bytes: int | None = None,
    expected_sha256: str | None = None,
    progress: Progress | None = None,
) -> tuple[int, str]:
    """Stream ``url`` to ``dest`` through a temporary file renamed into place only when complete.

    Returns (bytes, sha256). Raises :class:`DownloadError` for a body larger than ``max_bytes``,
    shorter than its Content-Length, or with the wrong sha256 (nothing is left at ``dest``); network
    failures propagate as the ``OSError`` urllib raises.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".part")
    h, done = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if progress:
                progress(0, total)
            while block := resp.read(1 << 20):
                done += len(block)
                if max_bytes is not None and done > max_bytes:
                    raise DownloadError(f"Refusing the download from {url}: larger than expected.")
                out.write(block)
                h.update(block)
                if progress:
                    progress(done, total)
        if total is not None and done != total:
            raise DownloadError(f"The download from {url} stopped after {done} of {total} bytes; try again.")
        digest = h.hexdigest()
        if expected_sha256 and digest != expected_sha256:
            raise DownloadError(
                f"The download from {url} has sha256 {digest[:16]}..., not the known {expected_sha256[:16]}...; "
                "it was discarded."
            )
        os.replace(tmp, dest)
        return done, digest
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
