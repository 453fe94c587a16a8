"""The 2-D lab's charts as the page draws them: each chart's declaration and the rows of numbers it draws."""

import math

import pytest

from playground.toy2d import charts
from playground.toy2d.config import ToyConfig
from playground.toy2d.trainer import Trainer


def test_a_row_holds_the_logged_metrics_in_the_charts_columns():
    row = {"iteration": 300, "d_loss": 1.2862129211, "g_loss": 0.84021657, "modes_covered": 3, "modes_total": 8,
           "high_quality": 0.0028, "reverse_kl": None, "frechet": 0.7131282529, "jsd": 0.44184288, "v_star": -0.50260}
    got = dict(zip(charts.COLUMNS, charts.chart_row(row)))
    assert got["iteration"] == 300 and got["modes_covered"] == 3
    assert got["d_loss"] == 1.2862 and got["frechet"] == 0.71313  # 5 significant digits: the chart is 400 px wide
    assert got["jsd_line"] == pytest.approx(2 * 0.44184288 - math.log(4), abs=1e-4)  # the identity's right side
    nothing = dict(zip(charts.COLUMNS, charts.chart_row({"iteration": 100, "d_loss": float("nan")})))
    assert nothing["d_loss"] is None and nothing["v_star"] is None and nothing["jsd_line"] is None


def test_each_chart_declares_what_its_run_has():
    """log 4 marks the D loss at equilibrium only where D outputs a probability; modes only where the data has
    them; every series names a real column."""
    ring, wgan, moons = (Trainer(ToyConfig(**kw)) for kw in ({}, {"loss": "wgan"}, {"dataset": "swiss_roll"}))
    assert charts.chart_spec(ring)[0]["hline"]["y"] == pytest.approx(math.log(4))
    assert "hline" not in charts.chart_spec(wgan)[0]
    # RaGAN's D loss is log 4 too where its critic is constant (p_g = p_data); it is not −V there
    ragan = charts.chart_spec(Trainer(ToyConfig(loss="ragan")))[0]["hline"]
    assert ragan["y"] == pytest.approx(math.log(4)) and "V" not in ragan["text"]
    quality = {t: charts.chart_spec(t)[2] for t in (ring, moons)}
    assert [s["name"] for s in quality[ring]["series"]][-1] == "modes covered" and quality[ring]["y2"]["range"][1] == 8.5
    assert len(quality[moons]["series"]) == 1 and "y2" not in quality[moons]
    # the bars' two lines: an even share of 2,500 samples over 8 modes, and the quarter of it that covers a mode
    assert [line["y"] for line in charts.chart_spec(ring)[3]["lines"]] == [312.5, 78.125]
    assert "lines" not in charts.chart_spec(moons)[3]
    for chart in charts.chart_spec(ring):
        for s in chart.get("series", []):
            assert 0 < s["col"] < len(charts.COLUMNS)


def test_a_still_value_brings_every_row_and_the_bars():
    t = Trainer(ToyConfig(seed=1))
    t.step(300)
    data = charts.chart_data(t)
    assert [r[0] for r in data["rows"]] == [100, 200, 300]
    assert data["pm"] == [int(c) for c in t._last_metrics["per_mode"]] and len(data["pm"]) == 8
    assert charts.chart_data(t, rows_from=2)["rows"] == data["rows"][2:]
