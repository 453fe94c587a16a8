"""The schema of each tab's share links: which settings a link carries, their ranges, and the groups a
link may hide. Read by :mod:`playground.share` (``schema(tab)``); the 2-D lab's settings come from their
one declaration in :mod:`playground.toy2d.config`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from playground.share_fields import Field, Schema, _same, format_value


# The 2-D lab's control groups a link may hide, in page order: the settings' groups (config.GROUPS) and
# the rest of the page.
TOY2D_GROUPS = ("presets", "data", "objective", "networks", "optimisation", "training", "compare", "pictures",
                "export")


def toy2d_presets() -> dict[str, dict]:
    """Every 2-D lab preset a link may name: the one-click stories and the compare pairs."""
    from playground.toy2d import presets

    return {**presets.PRESETS, **getattr(presets, "COMPARE_PRESETS", {})}


@functools.cache
def _toy2d() -> Schema:
    from playground.toy2d.config import SETTINGS

    presets = toy2d_presets()
    fields = [Field("preset", "choice", None, choices=tuple(presets), nullable=True,
                    help="A one-click story; the settings below start from it.")]
    for s in SETTINGS.values():  # each setting's one declaration: kind, range or choices, default, help
        fields.append(Field(s.name, s.kind, s.default, lo=s.lo, hi=s.hi, choices=s.choices, nullable=s.nullable,
                            help=s.help))
    return Schema("toy2d", tuple(fields), tuple(TOY2D_GROUPS),
                  options=("hide", "lock", "big", "autoplay", "steps"),
                  base=_toy2d_base, check=_toy2d_check, compact=True, always=("seed",))


def _config_part(state: Mapping[str, Any]) -> dict[str, Any]:
    from playground.toy2d.config import ToyConfig

    return {f.name: state[f.name] for f in dataclasses.fields(ToyConfig) if f.name in state}


def _toy2d_base(state: Mapping[str, Any]) -> dict[str, Any]:
    """Missing settings come from the chosen preset's configuration (else the config's defaults)."""
    name = state.get("preset")
    if not name:
        return {}
    cfg = toy2d_presets()[name]["config"].to_dict()
    cfg.pop("seed")  # a preset's story holds for any seed; the link's own seed (or 0) is used
    return cfg


def _toy2d_check(state: dict) -> tuple[dict, list[str]]:
    """Checks across settings, by the lab's own code: ToyConfig.validate and the data set's builder."""
    from playground.errors import UserError
    from playground.toy2d.config import ToyConfig
    from playground.toy2d.data import make_dataset

    notes: list[str] = []
    if state.get("dataset") == "custom":
        fallback = _toy2d_base(state).get("dataset") or ToyConfig().dataset
        notes.append(f"Drawn or uploaded points cannot travel in a link; the data set is {fallback} instead.")
        state["dataset"] = fallback if fallback != "custom" else ToyConfig().dataset

    def problem(s: dict) -> str | None:
        try:
            make_dataset(ToyConfig(**_config_part(s)))
        except UserError as e:
            return str(e)
        return None

    why = problem(state)
    if why is None:
        return state, notes
    fallback = {**{f.name: f.default for f in _toy2d().fields}, **_toy2d_base(state)}
    # reset one setting at a time, the most specific first (n_modes before dataset, seed first)
    for name in reversed([f.name for f in _toy2d().fields if f.name != "preset"]):
        if _same(state[name], fallback[name]):
            continue
        trial = {**state, name: fallback[name]}
        if problem(trial) is None:
            notes.append(f"{why} {name} was set back to {format_value(_toy2d().field(name), fallback[name]) or 'its default'}.")
            return trial, notes
    notes.append(f"{why} Every setting was set back to its default.")
    return {**state, **fallback}, notes


def toy2d_config(state: Mapping[str, Any]):
    """The :class:`~playground.toy2d.config.ToyConfig` of a parsed 2-D lab state (``parse_query``'s)."""
    from playground.toy2d.config import ToyConfig

    return ToyConfig(**_config_part(state))


def toy2d_state(cfg, preset: str | None = None) -> dict[str, Any]:
    """A 2-D lab state for :func:`build_link` from a config (and the preset it started from)."""
    return {"preset": preset, **cfg.to_dict()}


# The Dirac-GAN panel's groups a link may hide: its settings' groups (dirac.SETTINGS) and the explanations.
DIRAC_GROUPS = ("game", "steps", "knobs", "notes")


@functools.cache
def _dirac() -> Schema:
    """Dirac-GAN panel: every setting, from its one declaration in :mod:`playground.toy2d.dirac`."""
    from playground.toy2d.dirac import SETTINGS

    fields = tuple(Field(s.name, s.kind, s.default, lo=s.lo, hi=s.hi, choices=s.choices, help=s.help)
                   for s in SETTINGS.values())
    return Schema("dirac", fields, DIRAC_GROUPS)


@functools.cache
def _dcgan() -> Schema:
    from playground.dcgan.lab import PRESETS

    return dcgan_schema(PRESETS)


def dcgan_schema(presets: Mapping[str, Mapping[str, Any]], grid_seed_default: int = 2) -> Schema:
    """DCGAN tab: the grid's seed, groups A/B/C (sample references) and the arithmetic preset.

    ``presets``: the lab's presets (``playground.dcgan.lab.PRESETS``: name -> {"A", "B", "C", "seed"});
    a link naming one gets its groups and seed unless it gives its own. The grid seed's default is the
    tab's (2).
    """
    presets = dict(presets)

    def base(state: Mapping[str, Any]) -> dict[str, Any]:
        from playground.dcgan.lab import parse_refs

        p = presets.get(state.get("preset") or "")
        if p is None:
            return {}
        out = {k.lower(): parse_refs(p[k]) for k in ("A", "B", "C") if k in p}
        if "seed" in p:
            out["seed"] = int(p["seed"])
        return out

    fields = (
        Field("seed", "int", grid_seed_default, lo=0, hi=2**31 - 1, help="Seed of the grid of samples."),
        Field("preset", "choice", None, choices=tuple(presets), nullable=True),
        Field("a", "refs", []), Field("b", "refs", []), Field("c", "refs", []),
    )
    return Schema("dcgan", fields, ("grid", "arithmetic", "interpolation", "direction", "inversion",
                                    "own_model", "guidelines"), options=("hide", "lock", "big"),
                  base=base, compact=True)


@functools.cache
def _translation() -> Schema:
    from playground.translation import inference, zoo

    return translation_schema((*inference.bundled_entries(), *zoo.MODELS))


def translation_schema(models: Iterable[str], n_examples: int = 8) -> Schema:
    """Translation tab: the model (its first entry is the default) and an example input (its index)."""
    models = tuple(models)
    fields = (
        Field("model", "choice", models[0] if models else None, choices=models, nullable=not models),
        Field("example", "int", None, lo=0, hi=n_examples - 1, nullable=True,
              help="Which of the example inputs to translate (bundled models)."),
    )
    return Schema("translation", fields, ("model", "input", "output"))


@functools.cache
def _metrics() -> Schema:
    from playground.metrics import ALL_METRICS, MODES
    from playground.metrics.examples import EXAMPLES

    return metrics_schema(tuple(EXAMPLES), tuple(MODES), tuple(ALL_METRICS))


def metrics_schema(examples: Iterable[str], modes: Iterable[str], metric_names: Iterable[str],
                   default_mode: str = "clean", default_metrics: Iterable[str] = ("fid", "kid", "pr")) -> Schema:
    """Metrics tab: a bundled example set (or none), the resize convention and the metrics to compute."""
    fields = (
        Field("example", "choice", None, choices=tuple(examples), nullable=True),
        Field("mode", "choice", default_mode, choices=tuple(modes)),
        Field("metrics", "choices", list(default_metrics), choices=tuple(metric_names)),
    )
    return Schema("metrics", fields, ("inputs", "settings", "examples", "results", "analysis", "help"))


_BUILDERS: dict[str, Callable[[], Schema]] = {
    "toy2d": _toy2d, "dirac": _dirac, "dcgan": _dcgan, "translation": _translation, "metrics": _metrics,
}
