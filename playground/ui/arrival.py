"""What the tabs show on arrival, computed once and kept on disk, so that a restarted server serves its page
in seconds.

Every tab opens on real results (the 2-D lab's first frame and charts, the DCGAN grid and arithmetic and its
guidelines, the first translated example): computing them takes 1-2 s of a 2-core machine at start-up, and
the first one also pulls in torch's compiler package (~1 s, through ``torch.optim``). :func:`cached` keeps a
value as JSON under ``<cache root>/arrival/``, named by what it is, its arguments and a hash of everything it
depends on (:func:`code_version`: the package's source, the bundled weights, the library versions, the
device), so a changed program never shows a stale picture: it computes anew and replaces the file. A missing,
damaged or unreadable file is computed again, never shown broken. Picture files the value names (written by
:func:`playground.ui.pictures.picture_file` into Gradio's folder) are stored inside the JSON and written back
on load, under the same content-hash names.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Callable, TypeVar

from playground.files import PRETRAINED_DIR, cache_root

log = logging.getLogger("playground.ui.arrival")

T = TypeVar("T")
FORMAT_VERSION = 1
PACKAGE_DIR = Path(__file__).resolve().parent.parent  # playground/
LIBRARIES = ("torch", "numpy", "PIL", "gradio", "plotly", "scipy")


def folder() -> Path:
    return cache_root() / "arrival"


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of what arrival content depends on: every source file of the package, the bundled weights (the
    manifest and every file's bytes), the libraries' versions and the device. ~30 ms."""
    from playground.device import get_device

    h = hashlib.sha256(f"arrival-v{FORMAT_VERSION}".encode())
    files = sorted(PACKAGE_DIR.rglob("*.py")) + sorted(p for p in PRETRAINED_DIR.glob("*") if p.is_file())
    for p in files:
        try:
            data = p.read_bytes()
        except OSError:
            continue
        h.update(f"\0{p.relative_to(p.parents[1])}\0{len(data)}\0".encode())
        h.update(data)
    for name in LIBRARIES:
        h.update(f"\0{name}={getattr(sys.modules.get(name), '__version__', '?')}".encode())
    h.update(f"\0device={get_device().type}".encode())
    return h.hexdigest()[:20]


def _path(name: str, args: tuple) -> Path:
    """``<name>-<hash of args>-<code_version>.json``: one file per value, replaced when the program changes."""
    key = hashlib.sha256(repr(args).encode()).hexdigest()[:12]
    return folder() / f"{name}-{key}-{code_version()}.json"


# ---- values as JSON: tuples kept, picture files carried along ---------------------------------------------


def _encode(value, pictures: str):
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, pictures) for v in value]}
    if isinstance(value, list):
        return [_encode(v, pictures) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("arrival values' dicts need string keys")
        return {"__dict__": {k: _encode(v, pictures) for k, v in value.items()}}
    if isinstance(value, str) and value.startswith(pictures) and os.path.isfile(value):
        return {"__picture__": Path(value).suffix.lstrip("."), "data": base64.b64encode(Path(value).read_bytes()).decode()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"arrival values hold plain data and picture files, not {type(value).__name__}")


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if "__tuple__" in value:
            return tuple(_decode(v) for v in value["__tuple__"])
        if "__dict__" in value:
            return {k: _decode(v) for k, v in value["__dict__"].items()}
        if "__picture__" in value:
            from playground.ui.pictures import encoded_picture_file

            return encoded_picture_file(base64.b64decode(value["data"]), value["__picture__"])
        raise ValueError("unknown object in an arrival file")
    return value


# ---- the cache --------------------------------------------------------------------------------------------


def cached(name: str, args: tuple, compute: Callable[[], T]) -> T:
    """``compute()``'s value, read from disk when this program computed it before with these ``args``;
    else computed and stored (failures to store are logged: the value is still returned)."""
    from playground.ui.pictures import cache_folder

    path = _path(name, args)
    try:
        stored = json.loads(path.read_text())
        if stored.get("version") == FORMAT_VERSION:
            return _decode(stored["value"])
    except FileNotFoundError:
        pass
    except Exception:  # noqa: BLE001 - a damaged or foreign file: computed again and replaced
        log.warning("arrival cache %s unreadable; computing it again", path.name, exc_info=True)
    value = compute()
    try:
        text = json.dumps({"version": FORMAT_VERSION, "value": _encode(value, str(cache_folder()))})
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}-", suffix=".part")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
        stem = path.name[: -len(code_version()) - len(".json")]
        for old in path.parent.glob(f"{stem}*.json"):  # this value's files from other versions of the program
            if old != path:
                old.unlink(missing_ok=True)
    except Exception:  # noqa: BLE001 - a read-only or full disk: the page still gets its value
        log.warning("could not store arrival content %s", name, exc_info=True)
    return value


__all__ = ["cached", "code_version", "folder"]
