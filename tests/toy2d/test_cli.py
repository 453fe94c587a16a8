"""python -m playground.toy2d: one JSON object, seeds summary, presets list, clear errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from playground.toy2d.__main__ import main, mean_se, parse_seeds
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
