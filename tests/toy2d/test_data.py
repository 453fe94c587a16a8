"""Data sets: their centres, spreads and densities, and the user-points CSV parser."""

import numpy as np
import pytest
import torch

from playground.errors import UserError
from playground.toy2d import data
from playground.toy2d.config import DATASETS, ToyConfig


def draw(ds, n=20000, seed=0):
    return ds.sample(n, torch.Generator().manual_seed(seed)).numpy().astype(np.float64)


def test_ring_centres_and_spread():
    ds = data.make_dataset(ToyConfig(dataset="ring8"))
    assert ds.centers.shape == (8, 2)
    np.testing.assert_allclose(np.hypot(*ds.centers.T), 2.0)
    np.testing.assert_allclose(ds.centers[2], [0.0, 2.0], atol=1e-12)  # 90 degrees
    x = draw(ds)
    idx = ((x[:, None] - ds.centers[None]) ** 2).sum(-1).argmin(1)
    resid = x - ds.centers[idx]
    assert resid.std(0) == pytest.approx([0.02, 0.02], rel=0.03)
    assert np.bincount(idx, minlength=8) / len(x) == pytest.approx(np.full(8, 1 / 8), abs=0.01)
    assert np.abs(x.mean(0)).max() < 0.05


def test_grid_centres_and_spread():
    ds = data.make_dataset(ToyConfig(dataset="grid25"))
    assert sorted(set(ds.centers[:, 0])) == [-2, -1, 0, 1, 2]
    assert len({tuple(c) for c in ds.centers}) == 25
    x = draw(ds)
    idx = ((x[:, None] - ds.centers[None]) ** 2).sum(-1).argmin(1)
    assert (x - ds.centers[idx]).std(0) == pytest.approx([0.025, 0.025], rel=0.03)
    assert x.var(0) == pytest.approx([2.0 + 0.025**2] * 2, rel=0.05)  # variance of {-2..2} is 2


def test_mode_count_and_sigma_are_adjustable():
    ds = data.make_dataset(ToyConfig(dataset="ring8", n_modes=5, sigma=0.1))
    assert ds.centers.shape == (5, 2) and ds.sigma == 0.1
    assert data.make_dataset(ToyConfig(dataset="grid25", n_modes=9)).centers.shape == (9, 2)
    with pytest.raises(UserError, match="square number"):
        data.make_dataset(ToyConfig(dataset="grid25", n_modes=10))


def test_two_gaussians_moments():
    x = draw(data.make_dataset(ToyConfig(dataset="two_gaussians")))
    left, right = x[x[:, 0] < 0], x[x[:, 0] >= 0]
    assert left.mean(0) == pytest.approx([-1.0, -0.5], abs=0.02)
    assert right.std(0) == pytest.approx([0.3, 0.3], rel=0.05)


def test_continuous_ring_radius():
    r = np.hypot(*draw(data.make_dataset(ToyConfig(dataset="ring"))).T)
    assert r.mean() == pytest.approx(1.5, abs=0.01)
    assert r.std() == pytest.approx(0.08, rel=0.05)


@pytest.mark.parametrize("name", [d for d in DATASETS if d != "custom"])
def test_density_integrates_to_one_and_matches_samples(name):
    ds = data.make_dataset(ToyConfig(dataset=name))
    xmin, xmax, ymin, ymax = ds.extent
    n = 160
    gx, gy = np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n)
    xx, yy = np.meshgrid(gx, gy)
    p = ds.density(np.stack([xx.ravel(), yy.ravel()], 1))
    cell = (gx[1] - gx[0]) * (gy[1] - gy[0])
    assert p.sum() * cell == pytest.approx(1.0, abs=0.02)
    # samples fall where the density is: the fraction inside a coarse window matches its integral
    x = draw(ds)
    inside = (x[:, 0] > 0) & (x[:, 1] > 0)
    mass = p[(xx.ravel() > 0) & (yy.ravel() > 0)].sum() * cell
    assert inside.mean() == pytest.approx(mass, abs=0.02)


def test_extent_contains_the_data():
    for name in [d for d in DATASETS if d != "custom"]:
        ds = data.make_dataset(ToyConfig(dataset=name))
        x = draw(ds, 2000)
        xmin, xmax, ymin, ymax = ds.extent
        assert (x[:, 0] > xmin).all() and (x[:, 0] < xmax).all() and (x[:, 1] > ymin).all() and (x[:, 1] < ymax).all()


def test_custom_points_are_gaussian_blobs():
    ds = data.make_dataset(ToyConfig(dataset="custom", sigma=0.1), points=[[0, 0], [1, 1]])
    assert ds.centers is None and ds.sigma == 0.1
    assert ds.density(np.array([[0.0, 0.0]]))[0] == pytest.approx(0.5 / (2 * np.pi * 0.01), rel=1e-6)
    with pytest.raises(UserError, match="needs points"):
        data.make_dataset(ToyConfig(dataset="custom"))


def test_seeded_sampling_is_reproducible():
    ds = data.make_dataset(ToyConfig())
    np.testing.assert_array_equal(draw(ds, 100, 3), draw(ds, 100, 3))


# ---- CSV ----


def test_csv_with_header_and_blank_lines():
    pts = data.parse_points_csv("x,y\n0,1\n\n 2.5 , -3\n")
    np.testing.assert_array_equal(pts, [[0, 1], [2.5, -3]])


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("   \n\n", "empty"),
        ("x,y\n", "no x,y rows"),
        ("0,1\n1,abc\n", "line 2.*not two numbers"),
        ("0,1,2\n", "expected 2 columns"),
        ("0\n", "expected 2 columns"),
        ("0,1\nnan,2\n", r"line 2: the point \(nan, 2\) is not finite \(NaN or infinity\)"),
        ("x,y\n0,1\n-inf,2\n", r"line 3: the point \(-inf, 2\) is not finite"),
        ("0,1\n1e308,1e308\n", r"^CSV line 2: the point \(1e\+308, 1e\+308\) is too large: coordinates must lie "
                                 r"within ±1e\+12"),
    ],
)
def test_csv_errors(text, message):
    with pytest.raises(UserError, match=message):
        data.parse_points_csv(text)


def test_huge_finite_points_are_called_too_large_not_infinite():
    for points in ([[0.0, 1.0], [1e308, 1e308]], [[0.0, 1.0], [-2e12, 0.0]]):
        with pytest.raises(UserError) as e:
            data.fit_to_view(np.array(points))
        assert str(e.value).startswith("Point 2 (") and "is too large" in str(e.value)
        assert "finite" not in str(e.value)
    with pytest.raises(UserError, match=r"^Point 1 \(nan, 0\) is not finite"):
        data.check_points([[float("nan"), 0.0]])
    v = data.fit_to_view(np.array([[1e12, -1e12], [-1e12, 1e12]]))  # the largest allowed still fit the view
    np.testing.assert_allclose(v, [[2, -2], [-2, 2]])


def test_csv_too_many_rows():
    text = "\n".join("1,2" for _ in range(data.MAX_CUSTOM_POINTS + 1))
    with pytest.raises(UserError, match="at most"):
        data.parse_points_csv(text)


def test_csv_file_and_fit_to_view(tmp_path):
    f = tmp_path / "pts.csv"
    f.write_text("10,100\n20,100\n30,120\n")
    pts = data.load_points_csv(f)
    v = data.fit_to_view(pts)
    assert np.abs(v).max() == pytest.approx(2.0)
    np.testing.assert_allclose((v.max(0) + v.min(0)) / 2, 0, atol=1e-12)
    with pytest.raises(UserError, match="Could not read"):
        data.load_points_csv(tmp_path / "missing.csv")


def test_check_points_shapes():
    with pytest.raises(UserError, match="no points"):
        data.check_points([])
    with pytest.raises(UserError, match="pairs"):
        data.check_points([[1, 2, 3]])


# ---- hostile input: sizes checked before reading (issue: an 80 MB CSV cost 20 s and +2.6 GB before
# "at most 20,000 rows")


def test_csv_over_the_size_cap_is_refused_before_reading(tmp_path, monkeypatch):
    f = tmp_path / "big.csv"
    with open(f, "wb") as fh:  # sparse: 80 MB on paper, nothing on disk
        fh.truncate(80 * 2**20)
    monkeypatch.setattr(data, "parse_points_csv", lambda *a: pytest.fail("the file was read"))
    with pytest.raises(UserError, match=r"80.0 MB; at most 2.0 MB \(20,000 x,y rows\)"):
        data.load_points_csv(f)


def test_csv_reading_stops_after_the_row_cap():
    consumed = 0

    def endless():
        nonlocal consumed
        yield "x,y\n"
        while True:
            consumed += 1
            yield "0.5,-1.25\n"

    with pytest.raises(UserError, match="more than 20,000 rows"):
        data.parse_points_csv(endless())
    assert consumed == data.MAX_CUSTOM_POINTS + 1  # read one row past the cap, then stopped


def test_csv_largest_accepted_file_loads(tmp_path):
    f = tmp_path / "max.csv"
    rows = np.random.default_rng(0).normal(size=(data.MAX_CUSTOM_POINTS, 2))
    f.write_text("x,y\n" + "".join(f"{float(x)!r},{float(y)!r}\n" for x, y in rows))  # full precision: ~0.8 MB
    assert f.stat().st_size < data.MAX_CSV_BYTES
    np.testing.assert_array_equal(data.load_points_csv(f), rows)


def test_csv_long_lines_are_refused_and_never_quoted_whole(tmp_path):
    line = "1," + "9" * 10_000_000
    with pytest.raises(UserError) as e:
        data.parse_points_csv("0,1\n" + line + "\n")
    assert "CSV line 2 is longer than 200 characters" in str(e.value) and len(str(e.value)) < 300
    f = tmp_path / "one_line.csv"
    f.write_text("0,0\n" + "7" * 1_500_000)  # under the size cap, one endless line
    with pytest.raises(UserError, match="CSV line 2 is longer than 200 characters") as e:
        data.load_points_csv(f)  # read in bounded pieces: the line is never read whole
    bad = "0,1\n" + "a" * 150 + ",b\n"
    with pytest.raises(UserError, match="CSV line 2: .* is not two numbers") as e:
        data.parse_points_csv(bad)
    assert len(str(e.value)) < 150


def test_csv_odd_bytes_get_sentences():
    with pytest.raises(UserError, match="CSV line 65537: field larger than field limit"):
        data.parse_points_csv('0,"' + "1\n" * 70_000)  # one quoted field over many short lines
    np.testing.assert_array_equal(data.parse_points_csv("\ufeffx,y\n1,2\n".encode("utf-8")), [[1, 2]])


def test_mode_counts_are_checked():
    for bad in (float("nan"), "abc", 2.5, 0, 101):
        with pytest.raises(UserError, match="The number of modes must be a whole number between 1 and 100"):
            data.ring_of_gaussians(bad)
    assert data.check_n_modes(8.0) == 8
    with pytest.raises(UserError, match="number of modes"):
        data.three_blobs(float("inf"))


def test_drawing_points_are_bounded(tmp_path):
    from tests.bad_files import png_header_only

    canvas = np.zeros((50, 60, 4), np.uint8)
    canvas[10:20, 5:8] = (0, 0, 0, 255)  # 30 ink pixels
    pts = data.points_from_drawing(canvas)
    assert pts.shape == (30, 2) and set(pts[:, 0]) == {5, 6, 7} and set(-pts[:, 1]) == set(range(10, 20))
    with pytest.raises(UserError, match="canvas is empty"):
        data.points_from_drawing(np.zeros((50, 60, 4), np.uint8))
    with pytest.raises(UserError, match="the limit is 4 megapixels"):
        data.points_from_drawing(png_header_only(tmp_path / "huge.png", 5000, 5000))
    with pytest.raises(UserError, match="Too many points"):
        data.check_points([[0, 0]] * (data.MAX_CUSTOM_POINTS + 1))
