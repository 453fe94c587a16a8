"""The lab's quality curves: JSD and V(D*, G) seen through one lens, and the 2-D Fréchet distance."""

import math

import numpy as np
import pytest

from playground.toy2d.config import ToyConfig
from playground.toy2d.trainer import HISTORY_FIELDS, Trainer


@pytest.fixture(scope="module")
def ring():
    return Trainer(ToyConfig(seed=0))


def test_a_generator_that_is_the_data_scores_the_floor(ring):
    x = ring.dataset.sample(2500).numpy()  # "G" = the data itself
    q = ring.quality(x)
    assert q["jsd"] < 0.01
    assert q["v_star"] == pytest.approx(-math.log(4), abs=0.02)
    assert q["frechet"] < 0.02


def test_a_generator_on_one_mode_of_eight(ring):
    """p = 1/8 on each of 8 separated blobs, q = all on one: JSD = 0.5 KL(p||m) + 0.5 KL(q||m) with
    m = (p + q)/2, worked by hand: 0.5 (1/8 log(2/9) + 7/8 log 2) + 0.5 log(16/9) = 0.4968."""
    x = ring.dataset.sample(8000).numpy()
    centres = ring.dataset.centers
    nearest = np.argmin(((x[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    one = x[nearest == 0][:2500]
    q = ring.quality(one)
    hand = 0.5 * (1 / 8 * math.log(2 / 9) + 7 / 8 * math.log(2)) + 0.5 * math.log(16 / 9)
    assert q["jsd"] == pytest.approx(hand, abs=0.02)
    assert q["v_star"] == pytest.approx(2 * hand - math.log(4), abs=0.04)


def test_history_rows_carry_the_identity_and_the_csv_has_the_columns():
    t = Trainer(ToyConfig(seed=1, g_width=16, d_width=16))
    t.step(300)
    for row in t.history:
        assert row["v_star"] == pytest.approx(2 * row["jsd"] - math.log(4), abs=1e-9)  # V(D*, G) = 2 JSD - log 4
    header = t.history_csv().splitlines()[0].split(",")
    assert header == list(HISTORY_FIELDS) and {"jsd", "v_star", "frechet"} <= set(header)
