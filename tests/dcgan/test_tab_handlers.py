"""The DCGAN tab's handlers called as plain functions: inputs by name in, only the outputs they change out."""

import pytest

from playground.errors import UserError
from playground.ui.dcgan import handlers as h

GROUPS = {"a": "2:17", "b": "", "c": "2:6", "noise": 0.25, "noise_seed": 0, "inverted": []}


def test_a_click_into_a_group_sends_that_group_and_the_result_only():
    out = h.place_clicked_sample({**GROUPS, "target": "A", "shown_seed": 2, "clicked": 22})
    assert out["a"] == "2:17, 2:22"
    assert set(out) == {"a", "strip_a", "equation", "neighbourhood", "arith_md"}  # B's and C's strips unchanged
    assert out["strip_a"] and out["equation"] is None and "group B" in out["arith_md"]
    again = h.place_clicked_sample({**GROUPS, "a": out["a"], "target": "A", "shown_seed": 2, "clicked": 22})
    assert again["a"] == "2:17"  # a second click takes it out


@pytest.mark.parametrize("target, box", [("Interpolation start", "start"), ("Interpolation end", "end"),
                                         ("Direction base", "base")])
def test_a_click_elsewhere_sets_that_box_alone(target, box):
    assert h.place_clicked_sample({**GROUPS, "target": target, "shown_seed": 7, "clicked": 3}) == {box: "7:3"}


def test_a_click_needs_a_grid_and_a_place_in_it():
    with pytest.raises(UserError, match="Show samples first"):
        h.place_clicked_sample({**GROUPS, "target": "A", "shown_seed": None, "clicked": 0})
    with pytest.raises(UserError, match="The clicked sample"):
        h.place_clicked_sample({**GROUPS, "target": "A", "shown_seed": 2, "clicked": h.GRID_SAMPLES})


def test_the_arithmetic_names_every_picture_and_clears_the_result_while_a_group_is_empty():
    partial = h.arithmetic(GROUPS, None, progress=None)
    assert set(partial) == set(h.FIGURE)
    assert partial["strip_a"] and partial["strip_b"] is None and partial["strip_c"]
    assert partial["equation"] is None and partial["neighbourhood"] is None and "group B" in partial["arith_md"]
    full = h.arithmetic({**GROUPS, "b": "2:14"}, None, progress=None)
    assert all(full[k] for k in h.FIGURE) and "Group sizes 1, 1, 1" in full["arith_md"]
    assert h.arithmetic({**GROUPS, "b": "2:14"}, None, progress=None) == full  # from the result cache, as sent


def test_adding_the_last_inversion_to_a_group():
    add_b = h.add_inverted("b")
    with pytest.raises(UserError, match="Run an inversion first"):
        add_b({"b": "2:1", "inverted": []})
    z = [0.0] * 100
    assert add_b({"b": "2:1", "inverted": [z, z]}) == {"b": "2:1, inv2"}
    assert add_b({"b": "2:1, inv2", "inverted": [z, z]}) == {"b": "2:1, inv2"}  # once only


def test_a_page_without_a_link_changes_nothing_and_a_preset_fills_its_groups():
    assert h.after_link({"link_opened": False}) == {}
    name = next(iter(h.PRESETS))
    p = h.PRESETS[name]
    assert h.load_preset({"preset": name}) == {"a": p["A"], "b": p["B"], "c": p["C"], "seed": p["seed"],
                                               "preset_note": p["note"]}
    with pytest.raises(UserError, match="The preset"):
        h.load_preset({"preset": "Nope"})
    # a page opened from a link with its own groups and no preset: Load preset asks for one, in words
    with pytest.raises(UserError, match="^Choose a preset in the list first"):
        h.load_preset({"preset": None})
