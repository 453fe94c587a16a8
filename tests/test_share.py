"""Share links: state -> URL -> state per tab, checked values, bounded and safe parsing."""

import dataclasses
import math
import random
from urllib.parse import parse_qs, urlsplit

import pytest

from playground import share
from playground.errors import UserError
from playground.toy2d.config import ToyConfig


def query(url):
    return urlsplit(url).query


def round_trip(tab, state, options=None):
    url = share.build_link("https://example.org/app/?old=1#frag", tab, state, options)
    return url, share.parse_query(query(url))


# ---- the 2-D lab's schema comes from the config's own declaration ---------------------------------------


def test_toy2d_schema_follows_toy_config():
    sch = share.schema("toy2d")
    names = [f.name for f in sch.fields]
    assert names == ["preset"] + [f.name for f in dataclasses.fields(ToyConfig)]
    default = ToyConfig()
    for f in sch.fields[1:]:
        assert f.default == getattr(default, f.name), f.name
        if f.kind == "choice":
            for c in f.choices:  # every choice is accepted by the config...
                ToyConfig(**{f.name: c})
            with pytest.raises(UserError):  # ...and nothing else
                ToyConfig(**{f.name: "not-a-choice"})
            continue
        if f.kind == "bool":
            for v in (True, False):
                ToyConfig(**{f.name: v, "dataset": "ring8"})
            with pytest.raises(UserError):
                ToyConfig(**{f.name: "maybe"})
            continue
        step = 1 if f.kind == "int" else max(abs(f.hi), 1.0) * 1e-6
        ToyConfig(**{f.name: f.lo})
        ToyConfig(**{f.name: f.hi})
        with pytest.raises(UserError):
            ToyConfig(**{f.name: f.hi + step})
        if f.lo - step >= 0 or f.kind == "float":
            with pytest.raises(UserError):
                ToyConfig(**{f.name: f.lo - step})


def test_toy2d_groups_hold_every_setting_once():
    from playground.toy2d.config import GROUPS, SETTINGS

    assert set(GROUPS) <= set(share.TOY2D_GROUPS)
    assert {s.group for s in SETTINGS.values()} == set(GROUPS)  # every setting sits in a hideable group


# ---- round trips ------------------------------------------------------------------------------------


def test_toy2d_round_trip_every_setting():
    cfg = ToyConfig(dataset="grid25", n_modes=16, sigma=0.031, g_depth=3, g_width=48, d_depth=4, d_width=100,
                    activation="tanh", z_dim=5, z_dist="uniform", loss="wgan_gp", unroll_steps=2, pack=3,
                    gp_weight=0.1 + 0.2, clip_value=0.013, optimizer="rmsprop", lr_g=1 / 3 * 1e-3, lr_d=2.5e-4,
                    beta1=0.0, beta2=0.9, batch_size=300, d_steps=5, g_steps=2, seed=123456789, conditional=True)
    options = {"hide": ("objective", "networks", "optimisation"), "big": True, "autoplay": True, "steps": 2500}
    url, (tab, state, opts, notes) = round_trip("toy2d", share.toy2d_state(cfg), options)
    assert notes == [] and tab == "toy2d"
    assert share.toy2d_config(state) == cfg  # floats exactly, not approximately
    assert state["preset"] is None
    assert opts == {**share.OPTION_DEFAULTS, **options}
    assert "old=1" not in url and "#frag" not in url and url.startswith("https://example.org/app/?tab=toy2d&")


def test_toy2d_preset_link_is_short_and_exact():
    from playground.toy2d.presets import PRESETS

    cfg = PRESETS["Cure: PacGAN"]["config"].replace(seed=5, pack=3)
    url, (tab, state, opts, notes) = round_trip("toy2d", share.toy2d_state(cfg, "Cure: PacGAN"), {"lock": True})
    assert parse_qs(query(url)) == {"tab": ["toy2d"], "preset": ["Cure: PacGAN"], "pack": ["3"], "seed": ["5"],
                                    "lock": ["1"]}
    assert notes == [] and state["preset"] == "Cure: PacGAN" and opts["lock"] is True
    assert share.toy2d_config(state) == cfg


def test_every_objective_travels_in_a_link():
    from playground.toy2d.losses import OBJECTIVES

    for loss in OBJECTIVES:
        cfg = ToyConfig(loss=loss, seed=2)
        url, (_, state, _, notes) = round_trip("toy2d", share.toy2d_state(cfg))
        assert notes == [] and share.toy2d_config(state) == cfg and f"loss={loss}" in url


def test_same_link_same_run():
    cfg = ToyConfig(loss="lsgan", seed=11, g_width=32, d_width=32)
    _, (_, state, _, _) = round_trip("toy2d", share.toy2d_state(cfg))
    from playground.toy2d.trainer import Trainer

    a, b = Trainer(share.toy2d_config(state), log_every=0), Trainer(cfg, log_every=0)
    a.step(40)
    b.step(40)
    assert a.metrics() == b.metrics()


def test_dcgan_round_trip():
    state = {"seed": 17, "preset": None, "a": ["2:17", "3:4"], "b": ["0:0"], "c": []}
    _, (tab, got, opts, notes) = round_trip("dcgan", state, {"hide": ("inversion", "own_model")})
    assert (tab, got, notes) == ("dcgan", state, [])
    assert opts["hide"] == ("inversion", "own_model")


def test_dcgan_preset_fills_the_groups():
    from playground.dcgan.lab import PRESETS, parse_refs

    name = list(PRESETS)[0]
    url, (tab, got, opts, notes) = round_trip("dcgan", {"preset": name}, {"lock": True})
    p = PRESETS[name]
    assert notes == [] and opts["lock"] is True
    assert got == {"seed": p["seed"], "preset": name, "a": parse_refs(p["A"]), "b": parse_refs(p["B"]),
                   "c": parse_refs(p["C"])}


def test_translation_round_trip():
    models = share.schema("translation").field("model").choices
    assert "edges2face" in models and "horse2zebra" in models  # bundled and official models
    state = {"model": "sketch2face", "example": 5}
    _, (tab, got, _, notes) = round_trip("translation", state)
    assert (tab, got, notes) == ("translation", state, [])


def test_metrics_round_trip():
    state = {"example": "blurred", "mode": "legacy_tensorflow", "metrics": ["is", "fid"]}
    _, (tab, got, _, notes) = round_trip("metrics", state)
    assert (tab, got, notes) == ("metrics", state, [])
    _, (_, got, _, _) = round_trip("metrics", {"metrics": []})
    assert got["metrics"] == []  # "no metrics" survives (an empty value, not a missing one)


def test_schemas_accept_choices_as_parameters():
    sch = share.metrics_schema(["x1", "x2"], ["m"], ["fid", "kid"], default_mode="m", default_metrics=["kid"])
    assert sch.defaults() == {"example": None, "mode": "m", "metrics": ["kid"]}
    sch = share.translation_schema(["a", "b"], n_examples=3)
    assert sch.field("example").hi == 2 and sch.defaults() == {"model": "a", "example": None}


# ---- bad and stale values -------------------------------------------------------------------------


def test_bad_values_get_notes_and_defaults():
    tab, state, _, notes = share.parse_query(
        "tab=toy2d&lr_g=abc&g_depth=99&dataset=mnist&z_dim=2.5&beta1=nan&seed=-4&unroll_steps=3")
    d = ToyConfig()
    assert tab == "toy2d" and state["unroll_steps"] == 3  # the good value is kept
    for name in ("lr_g", "g_depth", "dataset", "z_dim", "beta1", "seed"):
        assert state[name] == getattr(d, name)
        assert sum(n.startswith(name + " = ") for n in notes) == 1, (name, notes)
    assert len(notes) == 6


def test_bad_values_fall_back_to_the_presets_settings():
    from playground.toy2d.presets import PRESETS

    _, state, _, notes = share.parse_query("tab=toy2d&preset=Mode%20collapse&lr_d=-1&seed=2")
    want = PRESETS["Mode collapse"]["config"].replace(seed=2)
    assert share.toy2d_config(state) == want and len(notes) == 1 and "lr_d" in notes[0]


def test_stale_preset_and_cross_setting_problems():
    _, state, _, notes = share.parse_query("tab=toy2d&preset=Old%20story&batch_size=2&pack=4")
    assert state["preset"] is None and state["batch_size"] == 256 and state["pack"] == 4
    assert any("preset" in n for n in notes) and any("pack" in n and "batch_size" in n for n in notes)
    _, state, _, notes = share.parse_query("tab=toy2d&dataset=grid25&n_modes=10")
    assert state["n_modes"] is None and any("square" in n for n in notes)
    _, state, _, notes = share.parse_query("tab=toy2d&dataset=custom")
    assert state["dataset"] == "ring8" and any("points" in n for n in notes)
    ToyConfig(**{k: v for k, v in state.items() if k != "preset"})


def test_dcgan_bad_refs():
    _, state, _, notes = share.parse_query("tab=dcgan&a=2:17,inv1&b=banana&c=1:2&seed=x")
    assert state["a"] == [] and state["b"] == [] and state["c"] == ["1:2"] and state["seed"] == 2
    assert [n.split(" ")[0] for n in notes] == ["seed", "a", "b"]


def test_unknown_tab_and_not_a_link():
    assert share.parse_query({}) == (None, {}, share.OPTION_DEFAULTS, [])
    assert share.parse_query({"__theme": "dark"}) == (None, {}, share.OPTION_DEFAULTS, [])
    tab, state, _, notes = share.parse_query({"tab": "gallery", "seed": "3"})
    assert tab is None and state == {} and len(notes) == 1 and "gallery" in notes[0]


# ---- options ---------------------------------------------------------------------------------------


def test_hide_list():
    _, _, opts, notes = share.parse_query("tab=toy2d&hide=Optimisation,objective,,bogus,objective,networks")
    assert opts["hide"] == ("objective", "networks", "optimisation")  # the page's order, no repeats
    assert len(notes) == 1 and "bogus" in notes[0]


def test_options_per_tab():
    _, _, opts, notes = share.parse_query("tab=metrics&autoplay=1&steps=10&big=yes&lock=1")
    assert opts == {**share.OPTION_DEFAULTS, "big": True}
    assert len(notes) == 3  # autoplay, steps and lock do not apply to the metrics tab
    _, _, opts, notes = share.parse_query("tab=toy2d&lock=1&steps=0&autoplay=maybe")
    assert opts == share.OPTION_DEFAULTS and len(notes) == 3  # lock without a preset; steps < 1; not 1/0


# ---- hostile input ----------------------------------------------------------------------------------


def test_long_unicode_and_repeated_values_are_bounded():
    huge = "9" * 100_000
    q = {"tab": ["toy2d", "dcgan"], "seed": [huge], "dataset": ["rïng8 \u202e\x00" * 500], "lr_g": ["1e-3", "5"],
         "hide": ["data," * 5000], "\U0001F600" * 300: ["x"]}
    tab, state, opts, notes = share.parse_query(q)
    assert tab == "toy2d" and state["seed"] == 0 and state["dataset"] == "ring8" and state["lr_g"] == 1e-3
    assert opts["hide"] == ("data",)
    assert 1 <= len(notes) <= share.MAX_NOTES and all(len(n) < 400 for n in notes)
    assert all("\x00" not in n and "\u202e" not in n for n in notes)


def test_many_parameters_and_broken_encoding():
    qs = "tab=toy2d&" + "&".join(f"k{i}=%zz{i}" for i in range(5000))
    tab, state, opts, notes = share.parse_query(qs)
    assert tab is None and len(notes) == 1  # too many fields: nothing read, one note
    tab, state, _, notes = share.parse_query("tab=toy2d&seed=%FF%FE&lr_g=%25")
    assert tab == "toy2d" and state["seed"] == 0 and state["lr_g"] == 1e-3 and len(notes) == 2


def test_random_values_never_raise_and_give_valid_states():
    rnd = random.Random(0)
    alphabet = "0123456789-.,:eE+ abcXYZ%&=\u00e9\u4e2d\U0001F600\n"
    for tab in share.TABS:
        sch = share.schema(tab)
        for _ in range(40):
            q = {"tab": tab}
            for f in sch.fields:
                if rnd.random() < 0.6:
                    q[f.name] = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12)))
            got_tab, state, _, notes = share.parse_query(q)
            assert got_tab == tab and set(state) == {f.name for f in sch.fields}
            if tab == "toy2d":
                ToyConfig(**{k: v for k, v in state.items() if k != "preset"})  # always a valid run
            for f in sch.fields:  # every value reads back as itself
                if state[f.name] is not None:
                    assert share.parse_value(f, share.format_value(f, state[f.name])) == state[f.name]


def test_starlette_query_params():
    from starlette.datastructures import QueryParams

    tab, state, _, notes = share.parse_query(QueryParams("tab=toy2d&seed=4&seed=5"))
    assert tab == "toy2d" and state["seed"] == 4 and len(notes) == 1 and "repeats" in notes[0]


def test_float_text_reads_back_exactly():
    f = share.schema("toy2d").field("lr_g")
    for v in (1e-3, 0.1 + 0.2, 1 / 3, 2.5e-7, 9.999999999999999):
        assert share.parse_value(f, share.format_value(f, v)) == v
    assert math.isnan(float("nan"))  # nan is refused, never stored
    with pytest.raises(ValueError):
        share.parse_value(f, "nan")
