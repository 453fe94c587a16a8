"""Share links: a tab and its settings in a URL query, and back, checked against a schema per tab.

A teacher's "Copy link" turns the state of one tab into ``?tab=toy2d&preset=Mode%20collapse&seed=3``;
opening that link restores exactly that state. Every value read back from a URL is checked against
the tab's :class:`Schema` (type, default, range or choices): a bad or stale value becomes a note in
plain words and the default, so a link never produces an error page.

A tab calls :func:`build_link` ``(base_url, tab, state, options)`` for its "Copy link" control; the
app calls :func:`parse_query` ``(query_params) -> (tab, state, options, notes)`` on page load (``tab``
is None when the URL carries no share link). The tabs' schemas are in :mod:`playground.share_tabs`.

``state`` is a flat dict of settings (str, int, float, bool, None, list of int or str) keyed by the
schema's field names (:func:`schema`). ``options`` (:data:`OPTION_DEFAULTS`) shape the page rather
than the run: ``hide`` (control groups to hide, :attr:`Schema.groups`), ``lock`` (lock the page to
the state's preset), ``big`` (projector: large type), ``autoplay`` and ``steps`` (2-D lab: start
training at once and stop after N iterations).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

TABS = ("toy2d", "dirac", "dcgan", "translation", "metrics")  # the ids of the app's tabs (playground/ui/app.py)

# Bounds on what a URL may make us read: anything longer is cut off with a note.
MAX_KEYS = 64  # query items read (well above any tab's full state: the 2-D lab's is the largest)
MAX_VALUE_CHARS = 200  # characters of one value
MAX_LIST_ITEMS = 32  # items of one list
MAX_NOTES = 12  # notes returned
MAX_STEPS = 100_000  # the 2-D lab's steps=N

OPTION_DEFAULTS: dict[str, Any] = {"hide": (), "lock": False, "big": False, "autoplay": False, "steps": None}
RESERVED = ("tab", *OPTION_DEFAULTS)  # query keys that are not state fields

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


def _to_number(text: str) -> float:
    """The text as a float (``inf`` and ``nan`` included); raises _Bad if it is not a number."""
    try:
        return float(text)
    except ValueError:
        raise _Bad("is not a number") from None


def _to_int(text: str) -> int:
    v = _to_number(text)
    if not math.isfinite(v) or v != int(v):
        raise _Bad("is not a whole number")
    return int(v)


def _in_range(f: Field, v: float) -> None:
    if (f.lo is not None and v < f.lo) or (f.hi is not None and v > f.hi):
        raise _Bad(f"is outside {f.lo:g} … {f.hi:g}")


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
    if f.kind == "int":
        v = _to_int(text)
        _in_range(f, v)
        return v
    if f.kind == "float":
        v = _to_number(text)
        if not math.isfinite(v):
            raise _Bad("is not a finite number")
        _in_range(f, v)
        return v
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
        items = [_to_int(t) for t in _split(text)]
        for v in items:
            _in_range(f, v)
        return items
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


def build_link(base_url: str, tab: str, state: Mapping[str, Any] | None = None,
               options: Mapping[str, Any] | None = None) -> str:
    """The URL that reopens ``tab`` with ``state`` and ``options``.

    ``base_url``: the page's address (its own query and fragment are replaced). ``state``: the tab's
    settings; fields left out are left out of the link (the page then uses the default). With a preset
    chosen in a compact tab (the 2-D lab), only settings that differ from the preset travel.
    Values are written as given; :func:`parse_query` checks them when the link is opened.
    """
    sch = schema(tab)
    state = dict(state or {})
    options = {**OPTION_DEFAULTS, **(options or {})}
    base = sch.base(state) if (sch.base and sch.compact and state.get("preset")) else None
    pairs: list[tuple[str, str]] = [("tab", tab)]
    for f in sch.fields:
        if f.name not in state:
            continue
        v = state[f.name]
        if v is None and f.default is None:
            continue  # a missing field reads back as its default, None
        if base is not None and f.name not in sch.always and f.name != "preset" and _same(v, base.get(f.name)):
            continue
        pairs.append((f.name, format_value(f, v)))
    if options["hide"]:
        pairs.append(("hide", ",".join(options["hide"])))
    for name in ("lock", "big", "autoplay"):
        if options[name]:
            pairs.append((name, "1"))
    if options["steps"] is not None:
        pairs.append(("steps", str(int(options["steps"]))))
    scheme, netloc, path, _, _ = urlsplit(base_url)
    return urlunsplit((scheme, netloc, path, urlencode(pairs, quote_via=quote, safe=",:"), ""))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and float(a) == float(b)
    return _copy(a) == _copy(b)


def parse_query(query_params: Mapping[str, Any] | str | None) -> tuple[str | None, dict, dict, list[str]]:
    """Read a share link: ``(tab, state, options, notes)``; never raises.

    ``query_params``: ``request.query_params`` (a mapping, possibly with repeated keys), a plain dict
    (values str or list of str) or the raw query string. ``tab`` is None when the URL carries no share
    link, or names no known tab (then ``notes`` says so). ``state`` holds every field of the tab's
    schema: the link's value where it was valid, else the default (or the preset's value), with one
    note per value that was dropped. ``options`` has every key of :data:`OPTION_DEFAULTS`.
    """
    notes: list[str] = []
    items = _items(query_params, notes)
    options = dict(OPTION_DEFAULTS)
    if not items:
        return None, {}, options, notes
    seen: dict[str, str] = {}
    for key, value in items:
        if key in seen:
            if seen[key] != value:
                notes.append(f"The link repeats {_quote(key)}; the first value is used.")
            continue
        seen[key] = value
    tab = seen.pop("tab", None)
    tab = tab.strip().lower() if tab is not None else None
    if tab is None or tab not in TABS:
        if tab is None and not any(k in seen for k in RESERVED):
            return None, {}, options, notes[:MAX_NOTES]  # not a share link (e.g. Spaces' own parameters)
        what = "names no tab" if tab is None else f"names an unknown tab {_quote(tab)}"
        notes.append(f"The link {what}; tabs are {', '.join(TABS)}. Opened with the defaults.")
        return None, {}, options, notes[:MAX_NOTES]
    sch = schema(tab)
    state, state_notes = _read_state(sch, seen)
    notes += state_notes
    opt_notes = _read_options(sch, state, seen, options)
    notes += opt_notes
    unknown = [k for k in seen if k not in RESERVED and all(f.name != k for f in sch.fields)]
    if unknown:
        shown = ", ".join(_quote(k, 24) for k in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        notes.append(f"The link has setting(s) this tab does not know ({shown}); they were ignored.")
    if len(notes) > MAX_NOTES:
        notes = notes[: MAX_NOTES - 1] + [f"… and {len(notes) - MAX_NOTES + 1} more problem(s) with the link."]
    return tab, state, options, notes


def _items(query_params, notes: list[str]) -> list[tuple[str, str]]:
    """(key, value) pairs in order, bounded in number and length."""
    try:
        if query_params is None:
            return []
        if isinstance(query_params, str):
            raw = parse_qsl(query_params.lstrip("?"), keep_blank_values=True, max_num_fields=10 * MAX_KEYS)
        elif hasattr(query_params, "multi_items"):  # starlette's QueryParams (Gradio's request)
            raw = list(query_params.multi_items())
        else:
            raw = []
            for k, v in query_params.items():
                for one in (v if isinstance(v, (list, tuple)) else [v]):
                    raw.append((k, one))
    except (ValueError, TypeError, AttributeError) as e:
        notes.append(f"The link's query could not be read ({_quote(e, 60)}); opened with the defaults.")
        return []
    if len(raw) > MAX_KEYS:
        notes.append(f"The link has {len(raw)} parameters; only the first {MAX_KEYS} were read.")
        raw = raw[:MAX_KEYS]
    out = []
    for k, v in raw:
        k, v = str(k)[:64], "" if v is None else str(v)
        out.append((k, v[: 4 * MAX_VALUE_CHARS + 1]))  # longer values fail their field's length check
    return out


def _read_state(sch: Schema, seen: Mapping[str, str]) -> tuple[dict, list[str]]:
    notes: list[str] = []
    state = sch.defaults()
    chosen: dict[str, Any] = {}
    for f in sch.fields:  # the preset (if any) first: it sets the other fields' fallbacks
        if f.name not in seen:
            continue
        try:
            chosen[f.name] = parse_value(f, seen[f.name])
        except _Bad as e:
            notes.append(f"{f.name} = {_quote(seen[f.name])} {e}; expected {f.describe()}. Using the default.")
    state.update({k: v for k, v in chosen.items() if k == "preset"})
    if sch.base is not None:
        state.update(sch.base(state))
    state.update(chosen)
    if sch.check is not None:
        state, more = sch.check(state)
        notes += more
    return state, notes


def _read_options(sch: Schema, state: dict, seen: Mapping[str, str], options: dict) -> list[str]:
    notes: list[str] = []
    for name in OPTION_DEFAULTS:
        if name not in seen:
            continue
        if name not in sch.options:
            notes.append(f"The option {name} does not apply to this tab; ignored.")
            continue
        text = seen[name].strip()
        if name == "hide":
            asked = list(dict.fromkeys(t.strip().lower() for t in text[:MAX_VALUE_CHARS].split(",") if t.strip()))
            unknown = [g for g in asked if g not in sch.groups]
            if unknown:
                notes.append(f"hide: no control group {_quote(unknown[0], 24)} here (groups: {', '.join(sch.groups)}).")
            options["hide"] = tuple(g for g in sch.groups if g in asked)  # the page's order
        elif name == "steps":
            try:
                steps = _to_int(text[:20])
                if not 1 <= steps <= MAX_STEPS:
                    raise _Bad(f"is outside 1 … {MAX_STEPS}")
                options["steps"] = steps
            except _Bad as e:
                notes.append(f"steps = {_quote(text)} {e}; the run is not stopped at a fixed step.")
        else:
            if text.lower() in _TRUE:
                options[name] = True
            elif text.lower() not in _FALSE:
                notes.append(f"{name} = {_quote(text)} is not 1 or 0; ignored.")
    if options["lock"] and not state.get("preset"):
        notes.append("lock=1 needs a preset; the page is not locked.")
        options["lock"] = False
    return notes


def schema(tab: str) -> Schema:
    """The schema of one tab (``TABS``); built once, from the modules that declare the settings."""
    if tab not in _BUILDERS:
        raise KeyError(f"unknown tab {tab!r}; tabs are {', '.join(TABS)}")
    return _BUILDERS[tab]()


# The tabs' own schemas (imported last: they build on the classes above).
from playground.share_tabs import (  # noqa: E402,F401 - part of this module's API
    _BUILDERS, DIRAC_GROUPS, TOY2D_GROUPS, dcgan_schema, metrics_schema, toy2d_config, toy2d_presets,
    toy2d_state, translation_schema,
)
