"""One value of a share link: the :class:`Field` that declares it, a tab's :class:`Schema` of them, and how
one value is read from a URL (:func:`parse_value`, which refuses with a reason) and written back
(:func:`format_value`). :mod:`playground.share_tabs` declares each tab's schema with these, and
:mod:`playground.share` reads and writes whole links.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from playground import safe_input
from playground.errors import UserError

MAX_VALUE_CHARS = 200  # characters of one value
MAX_LIST_ITEMS = 32  # items of one list

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Field:
    """One setting a link can carry.

    ``kind``: ``int``, ``float``, ``bool``, ``str`` (free text, at most ``max_chars``), ``choice``
    (one of ``choices``), ``choices`` (a list, each one of ``choices``), ``int_list`` or ``refs``
    (DCGAN sample references ``seed:index``). ``lo``/``hi`` bound numbers (and the items of an
    ``int_list``); ``nullable``: an empty value means None (e.g. "the data set's own default").
    """

    name: str
    kind: str
    default: Any
    lo: float | None = None
    hi: float | None = None
    choices: tuple = ()
    nullable: bool = False
    max_chars: int = MAX_VALUE_CHARS
    help: str = ""

    def describe(self) -> str:
        """The allowed values in words (used in notes)."""
        if self.kind in ("choice", "choices"):
            shown = ", ".join(map(str, self.choices[:12])) + (", …" if len(self.choices) > 12 else "")
            return ("one of " if self.kind == "choice" else "a comma list of ") + shown
        if self.kind == "bool":
            return "1 or 0"
        if self.kind == "refs":
            return "samples written seed:index, separated by commas"
        kind = {"int": "a whole number", "float": "a number", "int_list": "a comma list of whole numbers",
                "str": f"text of at most {self.max_chars} characters"}[self.kind]
        if self.lo is not None and self.hi is not None:
            kind += f" between {self.lo:g} and {self.hi:g}"
        return kind


@dataclass(frozen=True)
class Schema:
    """A tab's settings (``fields``, in link order), its control ``groups`` for ``hide=``, the
    ``options`` it honours, and optionally:

    * ``base(state) -> dict``: the values missing fields take (e.g. the chosen preset's settings);
    * ``check(state) -> (state, notes)``: cross-field checks after each field is valid on its own;
    * ``compact``: with a preset chosen, links carry only what differs from it (plus ``always``).
    """

    tab: str
    fields: tuple[Field, ...]
    groups: tuple[str, ...]
    options: tuple[str, ...] = ("hide", "big")
    base: Callable[[dict], dict] | None = None
    check: Callable[[dict], tuple[dict, list[str]]] | None = None
    compact: bool = False
    always: tuple[str, ...] = ()

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def defaults(self) -> dict[str, Any]:
        return {f.name: _copy(f.default) for f in self.fields}


# ---- reading one value ------------------------------------------------------------------------------


class _Bad(ValueError):
    """A value that does not fit its field; the message is the note's reason."""


def _quote(value: Any, limit: int = 40) -> str:
    """A value as shown in a note: printable characters only, cut to ``limit``, quoted."""
    s = "".join(ch for ch in str(value) if ch.isprintable())
    return repr(s[:limit] + ("…" if len(s) > limit else ""))


def _number(f: Field, text: str, whole: bool) -> float | int:
    """A number within the field's bounds, read by the app's one number check (:mod:`playground.safe_input`:
    what counts as a whole number, NaN, the bounds); the note says what was expected."""
    lo = -math.inf if f.lo is None else f.lo
    hi = math.inf if f.hi is None else f.hi
    try:
        return safe_input.integer(text, f.name, lo, hi) if whole else safe_input.number(text, f.name, lo, hi)
    except UserError:
        raise _Bad("is not accepted") from None


def _split(text: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if len(items) > MAX_LIST_ITEMS:
        raise _Bad(f"has more than {MAX_LIST_ITEMS} items")
    return items


def parse_value(f: Field, text: str) -> Any:
    """A query string value -> the field's value; raises _Bad (a ValueError) with the reason."""
    if len(text) > f.max_chars:
        raise _Bad(f"is longer than {f.max_chars} characters")
    text = text.strip()
    if f.nullable and text in ("", "none", "None", "default"):
        return None
    if f.kind in ("int", "float"):
        return _number(f, text, whole=f.kind == "int")
    if f.kind == "bool":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise _Bad("is not 1 or 0")
    if f.kind == "str":
        if not text.isprintable():
            raise _Bad("contains control characters")
        return text
    if f.kind == "choice":
        if text not in f.choices:
            raise _Bad("is not an option here")
        return text
    if f.kind == "choices":
        items = list(dict.fromkeys(_split(text)))
        unknown = [t for t in items if t not in f.choices]
        if unknown:
            raise _Bad(f"contains {_quote(unknown[0])}, which is not an option here")
        return items
    if f.kind == "int_list":
        return [_number(f, t, whole=True) for t in _split(text)]
    if f.kind == "refs":
        from playground.dcgan.lab import parse_refs  # the DCGAN tab's own reading of references
        from playground.errors import UserError

        try:
            refs = parse_refs(text, f.name)
        except UserError as e:
            raise _Bad(f"cannot be read ({e})") from None
        if any(r.startswith("inv") for r in refs):
            raise _Bad("refers to inverted faces (invN), which exist only in the session that made them")
        return refs
    raise ValueError(f"unknown field kind {f.kind!r}")


def format_value(f: Field, value: Any) -> str:
    """A field's value -> its query string text (the inverse of :func:`parse_value`)."""
    if value is None:
        return ""
    if f.kind == "bool":
        return "1" if value else "0"
    if f.kind == "float":
        return repr(float(value))  # the shortest text that reads back as the same float
    if f.kind == "int":
        return str(int(value))
    if f.kind in ("choices", "int_list", "refs"):
        return ",".join(str(v) for v in value)
    return str(value)


def _copy(v: Any) -> Any:
    return list(v) if isinstance(v, (list, tuple)) else v


# ---- links ------------------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and float(a) == float(b)
    return _copy(a) == _copy(b)
