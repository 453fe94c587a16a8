"""Checking values a visitor sends: numbers, free text and file payloads, before any work is done.

A public Space gets whatever a browser or ``gradio_client`` sends: a string for a slider, NaN for a seed,
half a megabyte for a text box. Handlers read their inputs through these functions, which accept the
ordinary values and turn everything else into a :class:`~playground.errors.UserError` with a short
sentence (the offending value quoted, truncated).

A setting's range is declared once as a :class:`Range`; the UI builds its slider from it and the handler
checks the value against it, so the two cannot drift apart.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.errors import UserError

QUOTE_CHARS = 60  # how much of a bad value an error message repeats


def quote(value: Any, limit: int = QUOTE_CHARS) -> str:
    """``repr`` of a value for an error message, cut to about ``limit`` characters."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + f"… ({len(value):,} characters)"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def cut(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` itself when short, else its start and an ellipsis (for names inside messages)."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # would break a Markdown line
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation: CommonMark escapes all


def markdown_text(text: Any, limit: int = QUOTE_CHARS) -> str:
    """A visitor's text inside Markdown, shown as those characters: cut short, on one line, every ASCII
    punctuation character backslash-escaped (so ``<a href=…>`` is no tag, ``*`` no emphasis)."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", _CONTROL.sub("\ufffd", cut(text, limit)))


def markdown_code(text: Any, limit: int = QUOTE_CHARS) -> str:
    """A visitor's text as a Markdown code span (a file name in a list): cut short, on one line, fenced
    by more backticks than any run inside it, so a backtick in the name cannot end the span. A code
    span's content is literal (no tags, no entities)."""
    body = _CONTROL.sub("\ufffd", cut(text, limit))
    fence = "`" * (max((len(r) for r in re.findall(r"`+", body)), default=0) + 1)
    if body.startswith("`") or body.endswith("`"):
        body = f" {body} "  # CommonMark strips one space each side
    return f"{fence}{body}{fence}"


def number(value: Any, what: str, lo: float, hi: float) -> float:
    """A finite float in [lo, hi] from a number or a numeric string; anything else is a UserError."""
    if isinstance(value, bool) or value is None:
        raise UserError(f"{what} must be a number between {lo:g} and {hi:g} (got {quote(value)}).")
    if isinstance(value, str) and len(value) > 40:
        raise UserError(f"{what} must be a number between {lo:g} and {hi:g} (got {quote(value)}).")
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise UserError(f"{what} must be a number between {lo:g} and {hi:g} (got {quote(value)}).") from None
    if not math.isfinite(v) or not lo <= v <= hi:
        raise UserError(f"{what} must be a number between {lo:g} and {hi:g} (got {quote(value)}).")
    return v


def integer(value: Any, what: str, lo: int, hi: int) -> int:
    """A whole number in [lo, hi] (``3``, ``3.0`` and ``"3"`` are accepted; ``3.5``, NaN, ``"x"`` are not)."""
    msg = f"{what} must be a whole number between {lo:,} and {hi:,} (got {quote(value)})."
    if isinstance(value, bool) or value is None:
        raise UserError(msg)
    if isinstance(value, int):
        v = value
    else:
        if isinstance(value, str):
            if len(value) > 40:
                raise UserError(msg)
            value = value.strip()
        try:
            f = float(value)
        except (TypeError, ValueError, OverflowError):
            raise UserError(msg) from None
        if not math.isfinite(f) or f != math.floor(f):
            raise UserError(msg)
        try:  # an integer string keeps its exact value (float would round 2**63 + 1)
            v = int(value) if isinstance(value, str) else int(f)
        except ValueError:
            v = int(f)
    if not lo <= v <= hi:
        raise UserError(msg)
    return v


def flag(value: Any, what: str) -> bool:
    """A checkbox value: True/False (or 0/1)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise UserError(f"{what} must be true or false (got {quote(value)}).")


def text(value: Any, what: str, max_chars: int) -> str:
    """A text box's content ('' for None), refused when longer than ``max_chars``."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UserError(f"{what} must be text (got {quote(value)}).")
    if len(value) > max_chars:
        raise UserError(f"{what} is {len(value):,} characters long; at most {max_chars:,} are accepted.")
    return value


def choice(value: Any, what: str, allowed) -> str:
    """One of ``allowed`` (a dropdown or radio value sent through the API)."""
    if not isinstance(value, str) or value not in allowed:
        raise UserError(f"{what} must be one of the listed options (got {quote(value)}).")
    return value


@dataclass(frozen=True)
class Range:
    """A numeric setting: bounds, default and slider step, declared once for the UI and the checks."""

    lo: float
    hi: float
    default: float
    step: float
    label: str
    whole: bool = False

    def check(self, value: Any) -> float | int:
        if self.whole:
            return integer(value, self.label, int(self.lo), int(self.hi))
        return number(value, self.label, self.lo, self.hi)


def upload_roots() -> list[str]:
    """The folders a web request's file may lie in: Gradio's upload and cache folder (``GRADIO_TEMP_DIR``
    or ``<tmp>/gradio``), and any listed in ``PLAYGROUND_UPLOAD_ROOTS`` (``os.pathsep``-separated; the
    tests add their temporary folders there)."""
    import tempfile

    roots = [os.environ.get("GRADIO_TEMP_DIR") or os.path.join(tempfile.gettempdir(), "gradio")]
    roots += [r for r in os.environ.get("PLAYGROUND_UPLOAD_ROOTS", "").split(os.pathsep) if r]
    return [os.path.realpath(r) for r in roots]


def web_file(payload: Any) -> str | None:
    """:func:`file_path` for a value a web page or an API client sent: the file must lie inside
    :func:`upload_roots`. Handlers that take raw values (``preprocess=False``) skip Gradio's own check, so
    without this a request naming ``{"path": "/root/secret.png"}`` would make the app read that file."""
    path = file_path(payload, check_root=False)
    if path is None:
        return None
    real = os.path.realpath(path)
    if not any(real == root or real.startswith(root + os.sep) for root in upload_roots()):
        raise UserError("That file was not uploaded to this app: upload it again.")
    if not os.path.exists(real):  # said here, without the server's path (playground.ui.session_uploads)
        raise UserError(f"{quote(os.path.basename(path))} is no longer on the server: uploads are deleted when "
                        "their page closes or sits idle, and after an hour. Upload it again.")
    return path


def file_path(payload: Any, check_root: bool = True) -> str | None:
    """The local path inside an upload payload: a path string, a Gradio ``FileData`` dict
    (``{"path": ...}``, what handlers get with ``preprocess=False``) or an object with ``.path``/``.name``.
    A ``FileData`` dict only ever comes from the web, so its path is checked as :func:`web_file` does."""
    if payload is None:
        return None
    if isinstance(payload, (str, os.PathLike)):
        return os.fspath(payload)
    if isinstance(payload, dict):
        path = payload.get("path")
        if isinstance(path, str) and path:
            return web_file(path) if check_root else path
        if isinstance(payload.get("url"), str):
            raise UserError("Send the picture as an uploaded file (the data: URL form is not accepted).")
        return None
    for attr in ("path", "name"):
        path = getattr(payload, attr, None)
        if isinstance(path, (str, Path)):
            return os.fspath(path)
    raise UserError(f"Expected an uploaded file (got {quote(type(payload).__name__)}).")


def file_size(path: str | os.PathLike, what: str, max_bytes: int) -> int:
    """The size of a file, refused when missing, empty or over ``max_bytes`` (checked before reading it)."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError:
        raise UserError(f"{what} ({p.name}) could not be found; upload it again.") from None
    if not p.is_file():
        raise UserError(f"{what} ({p.name}) is not a file.")
    if size == 0:
        raise UserError(f"{what} ({p.name}) is empty (0 bytes).")
    if size > max_bytes:
        raise UserError(f"{what} ({p.name}) is {megabytes(size)}; at most {megabytes(max_bytes)} are accepted.")
    return size


def megabytes(n: int) -> str:
    return f"{n / 2**20:,.1f} MB" if n >= 2**20 else f"{n / 2**10:,.0f} KB"


NPY_MAX_HEADER = 10_000  # numpy's own default cap on a .npy header's length


def npy_header(f) -> tuple[tuple[int, ...], "np.dtype"]:
    """Shape and dtype of the .npy array at file ``f``'s position, from its header alone (nothing of the
    data is read, so a file declaring gigabytes costs nothing); ValueError unless format 1.0 or 2.0."""
    import numpy as np

    version = np.lib.format.read_magic(f)
    if version not in ((1, 0), (2, 0)):
        raise ValueError(f"it uses .npy format {version}; expected 1.0 or 2.0")
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, _, dtype = read(f, max_header_size=NPY_MAX_HEADER)
    return tuple(shape), dtype


__all__ = ["quote", "cut", "markdown_text", "markdown_code", "number", "integer", "flag", "text", "choice", "Range",
           "file_path", "file_size", "megabytes",
           "npy_header"]
