"""python -m playground.toy2d reproduce: the papers' tables, ours beside theirs (playground/toy2d/reproduce.py)."""

import re

import pytest

from playground.toy2d import reproduce
from playground.toy2d.__main__ import main


def test_quick_row_keeps_the_papers_direction(capsys):
    """--quick on the ring: the cure covers more modes than the plain GAN (the direction of the paper's row)."""
    assert main(["reproduce", "pacgan-table1", "--quick", "--data", "ring", "--quiet"]) == 0
    text = capsys.readouterr().out
    modes = {cells[1]: float(cells[2].split("±")[0]) for cells in _rows(text, "2-D ring")}
    assert modes["PacGAN2"] > modes["GAN"], text


def _rows(text: str, data: str) -> list[list[str]]:
    """The printed table's lines for one data set, split into cells (columns are 2+ spaces apart)."""
    return [re.split(r"\s{2,}", ln) for ln in text.splitlines() if ln.startswith(data)]


def test_table_shows_the_published_numbers_and_the_differences():
    fake = {"runs": 3, "iterations": 10, "modes": (5.0, 0.5), "hq": (80.0, 2.0), "per_run": [], "seconds": 1.0}
    text = reproduce.format_table("veegan-table1", {("ring", "GAN"): fake, ("ring", "unrolled GAN (5 steps)"): fake,
                                                    ("grid", "GAN"): fake, ("grid", "unrolled GAN (5 steps)"): fake})
    for published in ("99.3", "35.6", "52.9", "7.6", "3.3", "0.5", "23.6", "24.6", "40"):
        assert published in text
    assert "not implemented here" in text  # VEEGAN: the published numbers only, never a faked row
    assert "+4.0" in text and "-19.3" in text  # ours - paper: 5 - 1 modes, 80 - 99.3 % HQ
    assert "25,000" in text and "not checked here" in text
    text = reproduce.format_table("pacgan-table1", {("ring", "GAN"): fake, ("ring", "PacGAN2"): fake})
    assert "6.3 ± 0.5" in text and "7.9 ± 0.1" in text and "grid" not in text.split("Settings")[0]
    assert "400,000" in text and "maxout" in text


def test_configs_use_the_papers_settings():
    t = reproduce.TABLES["pacgan-table1"]
    gan, pac = (reproduce.config_for(t, m, seed=3) for m in t.methods)
    assert (gan.g_depth, gan.g_width, gan.d_depth, gan.d_width, gan.lr_g, gan.beta1) == (4, 400, 3, 200, 1e-3, 0.8)
    assert (gan.batch_size, pac.batch_size, pac.pack, pac.seed) == (100, 200, 2, 3)  # 100 packs of 2 samples
    ring, grid = (b.make() for b in reproduce.BENCHMARKS.values())
    assert ring.sigma == 0.01 and abs(ring.centers).max() == pytest.approx(1.0) and len(ring.centers) == 8
    assert grid.sigma == 0.05 and abs(grid.centers).max() == pytest.approx(4.0) and len(grid.centers) == 25


def _one_line_error(capsys, fragment):
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert fragment in err, err


@pytest.mark.parametrize("argv, fragment", [
    (["reproduce", "nope-table"], "Unknown table"),
    (["reproduce"], "The following arguments are required: table"),
    (["reproduce", "pacgan-table1", "--runs", "0"], "--runs must be a whole number between 1 and 100"),
    (["reproduce", "pacgan-table1", "--runs", "x"], "--runs must be a whole number"),
    (["reproduce", "pacgan-table1", "--data", "moon"], "--data must be one of ring, grid"),
    (["reproduce", "pacgan-table1", "--bogus"], "Unrecognized arguments: --bogus"),
    (["reproduce", "pacgan-table1", "--threads", "0"], "--threads must be a whole number"),
])
def test_bad_arguments_are_one_line_errors(capsys, argv, fragment):
    assert main(argv) == 2
    _one_line_error(capsys, fragment)
