"""Share links: a tab and its settings in a URL query, and back, checked against a schema per tab.

A teacher's "Copy link" turns the state of one tab into ``?tab=toy2d&preset=Mode%20collapse&seed=3``;
opening that link restores exactly that state. Every value read back from a URL is checked against
the tab's :class:`Schema` (type, default, range or choices): a bad or stale value becomes a note in
plain words and the default, so a link never produces an error page.

A tab calls :func:`build_link` ``(base_url, tab, state, options)`` for its "Copy link" control; the
app calls :func:`parse_query` ``(query_params) -> (tab, state, options, notes)`` on page load (``tab``
is None when the URL carries no share link). The tabs' schemas are in :mod:`playground.share_tabs`, one
value's field and reading in :mod:`playground.share_fields`.

``state`` is a flat dict of settings (str, int, float, bool, None, list of int or str) keyed by the
schema's field names (:func:`schema`). ``options`` (:data:`OPTION_DEFAULTS`) shape the page rather
than the run: ``hide`` (control groups to hide, :attr:`Schema.groups`), ``lock`` (lock the page to
the state's preset), ``big`` (projector: large type), ``autoplay`` and ``steps`` (2-D lab: start
training at once and stop after N iterations).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from playground import safe_input
from playground.errors import UserError
from playground.share_fields import (  # noqa: F401 - Field, Schema, parse_value and format_value are this API's too
    _FALSE, _TRUE, MAX_VALUE_CHARS, Field, Schema, _Bad, _quote, _same, format_value, parse_value,
)
from playground.share_tabs import (  # noqa: F401 - part of this module's API
    _BUILDERS, DIRAC_GROUPS, TOY2D_GROUPS, dcgan_schema, metrics_schema, toy2d_config, toy2d_presets,
    toy2d_state, translation_schema,
)

TABS = ("toy2d", "dirac", "dcgan", "translation", "metrics")  # the ids of the app's tabs (playground/ui/app.py)

# Bounds on what a URL may make us read: anything longer is cut off with a note.
MAX_KEYS = 64  # query items read (well above any tab's full state: the 2-D lab's is the largest)
MAX_NOTES = 12  # notes returned
MAX_STEPS = 100_000  # the 2-D lab's steps=N

OPTION_DEFAULTS: dict[str, Any] = {"hide": (), "lock": False, "big": False, "autoplay": False, "steps": None}
RESERVED = ("tab", *OPTION_DEFAULTS)  # query keys that are not state fields



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
                options["steps"] = safe_input.integer(text[:20], "steps", 1, MAX_STEPS)
            except UserError:
                notes.append(f"steps = {_quote(text)} is not a whole number between 1 and {MAX_STEPS:,}; "
                             "the run is not stopped at a fixed step.")
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
