"""The bundled models beat trivial baselines on held-out faces made fresh here.

The faces come from the DCGAN with seeds no training set used (training: 1001-1003), the pairs from the
known transforms; all errors are mean absolute differences in [0, 1] pixel units.
"""

import numpy as np
import pytest

from playground.translation import evaluate, inference

SEED = 2024_1126  # not a training seed, and not the seed of the manifest's metrics either


@pytest.fixture(scope="module", autouse=True)
def _bundled_present():
    missing = {"edges2face", "gray2color", "face2sketch", "sketch2face"} - set(inference.bundled_entries())
    assert not missing, f"bundled models missing from pretrained/manifest.json: {missing}"


def test_edges2face_beats_the_mean_face():
    r = evaluate.evaluate_paired("edges2face", n=48, seed=SEED)
    assert r["l1"] < 0.9 * r["baseline_l1"], r


def test_gray2color_beats_the_gray_input():
    r = evaluate.evaluate_paired("gray2color", n=48, seed=SEED)
    assert r["l1"] < 0.85 * r["baseline_l1"], r


def test_cyclegan_cycles_and_beats_identity_and_the_mean_face():
    r = evaluate.evaluate_cycle(n=48, seed=SEED)
    assert r["face2sketch_l1"] < 0.3 * r["face2sketch_identity_l1"], r
    assert r["sketch2face_l1"] < 0.5 * r["sketch2face_identity_l1"], r
    # Trained without pairs, sketch -> face still lands far closer to the true face than the best
    # constant image (the mean face) does.
    assert r["sketch2face_l1"] < 0.75 * r["mean_face_l1"], r
    # The way back keeps the content: far closer to each input than the best constant face is.
    assert r["cycle_face_l1"] < 0.6 * r["mean_face_l1"], r
    assert r["cycle_sketch_l1"] < 0.1, r


def test_manifest_metrics_are_the_ones_measured():
    # The numbers in pretrained/manifest.json are re-measured here (same seed and n): no stale figures.
    e = inference.bundled_entries()["gray2color"]["metrics"]
    r = evaluate.evaluate_paired("gray2color", n=e["n"], seed=e["seed"])
    assert r["l1"] == pytest.approx(e["l1"], abs=2e-3) and r["baseline_l1"] == pytest.approx(e["baseline_l1"], abs=1e-6)


def test_dropout_noise_is_small_compared_to_the_output():
    # pix2pix's observation: dropout at test time changes the output only a little.
    m = inference.load_model("gray2color")
    x = np.random.default_rng(0).random((64, 64, 3))
    a = inference.translate(m, x, dropout=True, seed=1)["output"]
    b = inference.translate(m, x, dropout=True, seed=2)["output"]
    c = inference.translate(m, x, dropout=False)["output"]
    assert 0 < np.abs(a - b).mean() < 0.1
    assert np.array_equal(c, inference.translate(m, x, dropout=False)["output"])
