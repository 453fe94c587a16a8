"""python -m playground.toy2d: one JSON object, seeds summary, presets list, clear errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from playground.errors import UserError
from playground.toy2d.__main__ import build_parser, main, mean_se, parse_seeds
from playground.toy2d.losses import OBJECTIVES
from playground.toy2d.presets import PRESETS

ROOT = Path(__file__).resolve().parents[2]


def test_json_output_in_a_subprocess():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "playground.toy2d", "--preset", "Mode collapse", "--iterations", "30", "--seed", "1", "--json"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert {"modes_covered", "modes_total", "high_quality", "reverse_kl", "iterations", "seconds"} <= set(r)
    assert r["iterations"] == 30 and r["modes_total"] == 8 and 0 <= r["high_quality"] <= 1


def test_seeds_summary_and_config_flags(capsys):
    assert main(["--dataset", "grid25", "--loss", "hinge", "--g-width", "16", "--d-width", "16", "--batch-size", "32",
                 "--iterations", "10", "--seeds", "0-2", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["seeds"] == [0, 1, 2] and r["modes_total"] == 25 and len(r["runs"]) == 3
    m, se = mean_se([run["modes_covered"] for run in r["runs"]])
    assert r["modes_covered"] == pytest.approx(m) and r["modes_covered_se"] == pytest.approx(se)


def test_every_objective_is_a_loss_choice(capsys):
    """The --loss flag offers the registry's objectives; the relativistic one trains from the command line."""
    loss_help = next(a.help for a in build_parser()._actions if "--loss" in a.option_strings)
    assert all(name in loss_help for name in OBJECTIVES)
    assert main(["--loss", "ragan", "--iterations", "5", "--batch-size", "16", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["iterations"] == 5


def test_human_output_and_list(capsys):
    assert main(["--list-presets"]) == 0
    text = capsys.readouterr().out
    assert all(name in text for name in PRESETS)
    assert main(["--iterations", "5", "--batch-size", "16", "--seeds", "0,1"]) == 0
    assert "modes covered" in capsys.readouterr().out


def test_errors_are_one_line(capsys):
    assert main(["--preset", "No such thing"]) == 2
    assert "Unknown preset" in capsys.readouterr().err
    assert main(["--loss", "magic", "--iterations", "1"]) == 2
    assert "loss must be one of" in capsys.readouterr().err


def test_parse_seeds_and_mean_se():
    assert parse_seeds("0-3") == [0, 1, 2, 3] and parse_seeds("1,5") == [1, 5]
    assert mean_se([1.0, 3.0]) == (2.0, 1.0)  # sd sqrt(2), se sqrt(2)/sqrt(2)
    assert mean_se([None]) == (None, None)


def _one_line_error(capsys, fragment):
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert fragment in err, err


def test_bad_numbers_are_one_line_errors_before_training(capsys):
    # A huge seed range is refused before it is expanded (it would be a list of 10^11 ints).
    assert main(["--seeds", "0-100000000000", "--iterations", "1"]) == 2
    _one_line_error(capsys, "seeds go from 0 to 2,147,483,647")
    assert main(["--seeds", "0-5000", "--iterations", "1"]) == 2
    _one_line_error(capsys, "more than 1000 runs")
    assert main(["--seeds", "9" * 20000]) == 2
    _one_line_error(capsys, "characters long")
    assert main(["--threads", "0"]) == 2
    _one_line_error(capsys, "--threads must be a whole number between 1 and")
    assert main(["--iterations", "-1"]) == 2
    _one_line_error(capsys, "--iterations must be a whole number between 0 and 10,000,000")
    assert main(["--seed", str(2**63)]) == 2
    _one_line_error(capsys, "--seed must be a whole number between 0 and 2,147,483,647")
    assert main(["--sigma", "nan", "--iterations", "1"]) == 2
    _one_line_error(capsys, "sigma must be a number")
    assert main(["--dataset", "custom", "--iterations", "1"]) == 2
    _one_line_error(capsys, "needs points")


def test_parse_seeds_limits():
    assert len(parse_seeds("0-999")) == 1000
    with pytest.raises(UserError, match="more than 1000 runs"):
        parse_seeds("0-999,1000")
    with pytest.raises(UserError, match="0-7 or 1,2,5"):
        parse_seeds("1-2-3")
