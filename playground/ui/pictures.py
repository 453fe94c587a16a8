"""Pictures sent to the page as files written once, and a small cache of finished results.

Gradio sends a returned numpy image by encoding it and writing ``<cache>/<sha256>/image.<format>`` on
every call, overwriting the file when it exists. When a class gets the same picture at once (the same
preset, the same example), one request rewrites the file while the server is sending it to another
student, whose download arrives empty (seen at 30 sessions: a third of the DCGAN calls failed so).
:func:`picture_file` writes each distinct picture once, atomically, inside Gradio's cache folder;
Gradio then serves the path as it is, without encoding or copying it again.

:class:`ResultCache` keeps the finished outputs of deterministic handlers (a shared, read-only model
and the same inputs give the same pictures), so a class clicking the same preset costs one computation.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Hashable, TypeVar

import numpy as np
from PIL import Image

T = TypeVar("T")

FORMATS = {"jpeg": "JPEG", "png": "PNG"}


def cache_folder() -> Path:
    """The folder Gradio serves its own files from (``GRADIO_TEMP_DIR`` or ``<tmp>/gradio``)."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder()) / "playground"


def picture_file(image: np.ndarray, fmt: str = "jpeg") -> str:
    """Encode a uint8 picture as JPEG (photos: ~1 ms, a tenth of PNG) or PNG (line art, where JPEG rings)
    into a file named by its bytes (:func:`encoded_picture_file`)."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, FORMATS[fmt])
    return encoded_picture_file(buf.getvalue(), fmt)


def encoded_picture_file(data: bytes, fmt: str) -> str:
    """An encoded picture's bytes in a file named by their hash; an existing file is reused (and touched, so
    Gradio's age-based cleanup keeps it while it is handed out)."""
    folder = cache_folder()
    path = folder / f"{hashlib.sha256(data).hexdigest()[:40]}.{fmt}"
    if path.is_file():
        try:
            os.utime(path)
            return str(path)
        except OSError:  # deleted meanwhile: write it again
            pass
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # readers see the whole file or none
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return str(path)


def files_exist(value) -> bool:
    """True when every picture file named inside ``value`` (nested tuples, lists and dicts' values: handlers'
    outputs by name) still exists; each is touched, so Gradio's age-based cleanup keeps what is handed out
    again."""
    if isinstance(value, str):
        if not value.startswith(str(cache_folder())):
            return True
        try:
            os.utime(value)
            return True
        except OSError:
            return False
    if isinstance(value, dict):
        return all(files_exist(v) for v in value.values())
    if isinstance(value, (tuple, list)):
        return all(files_exist(v) for v in value)
    return True


class ResultCache:
    """A small LRU of finished handler outputs keyed by their exact inputs (thread-safe).

    Values that name picture files are dropped when a file has gone (Gradio's cache cleanup).
    Two requests that miss at once both compute; that costs time, never a wrong answer.
    """

    def __init__(self, max_items: int = 256):
        self.max_items = max_items
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
        if value is not None and files_exist(value):
            self.hits += 1
            return value  # type: ignore[return-value]
        self.misses += 1
        value = compute()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)


__all__ = ["picture_file", "encoded_picture_file", "cache_folder", "files_exist", "ResultCache"]


def cached_pictures(fn: Callable[..., T]) -> Callable[..., T]:
    """``functools.cache`` for a function whose result names picture files: computed again when a file has
    gone (Gradio deletes its cache files when a demo closes, and by age), never a link to a missing file."""
    results: dict = {}
    lock = threading.Lock()

    @functools.wraps(fn)
    def wrapper(*args):
        with lock:
            value = results.get(args)
        if value is None or not files_exist(value):
            value = fn(*args)
            with lock:
                results[args] = value
        return value

    wrapper.cache_clear = results.clear  # type: ignore[attr-defined]
    return wrapper
