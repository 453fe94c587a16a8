"""playground.images: pictures are decoded only after their file size and header passed the checks."""

import numpy as np
import pytest
from PIL import Image

from playground import images
from playground.errors import UserError
from tests.bad_files import bad_uploads, png_header_only


def test_a_normal_picture_decodes_to_the_same_pixels(tmp_path):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 255, (40, 50, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "a.png")
    assert np.array_equal(images.read_image(tmp_path / "a.png"), rgb)
    assert np.array_equal(images.read_image({"path": str(tmp_path / "a.png")}), rgb)  # a Gradio payload
    rgba = np.dstack([rgb, np.full((40, 50), 7, np.uint8)])
    Image.fromarray(rgba).save(tmp_path / "b.png")
    assert np.array_equal(images.read_image(tmp_path / "b.png", mode="RGBA"), rgba)  # transparency kept
    assert np.array_equal(images.read_image(tmp_path / "b.png"), rgb)
    g16 = np.full((16, 16), 65535, np.uint16)
    Image.fromarray(g16).save(tmp_path / "c.png")
    assert (images.read_image(tmp_path / "c.png") == 255).all()  # 16-bit white stays white


@pytest.mark.parametrize("kind, message", [
    ("empty", "is empty"),
    ("text", "not a picture I can read"),
    ("truncated", "damaged or truncated"),
    ("huge", "megapixels"),
])
def test_bad_uploads_get_a_sentence(tmp_path, kind, message):
    path = bad_uploads(tmp_path)[kind]
    with pytest.raises(UserError, match=message) as e:
        images.read_image(path, "The face")
    assert str(e.value).startswith("The face") and len(str(e.value)) < 300


def test_pixel_count_is_checked_from_the_header_before_decoding(tmp_path, monkeypatch):
    # 5000 x 5000 (25 MP) is under Pillow's own bomb threshold (89 MP) but over ours (16 MP); the file
    # holds almost no data, so the refusal can only come from the header.
    path = png_header_only(tmp_path / "big.png", 5000, 5000)
    loads = []
    monkeypatch.setattr(Image.Image, "load", lambda self: loads.append(1))
    with pytest.raises(UserError, match=r"5,000×5,000 pixels; the limit is 16 megapixels"):
        images.read_image(path)
    assert loads == []


def test_file_size_is_checked_before_reading(tmp_path):
    path = tmp_path / "big.png"
    with open(path, "wb") as f:  # sparse: 40 MB on paper, nothing on disk
        f.truncate(40 * 2**20)
    with pytest.raises(UserError, match=r"40.0 MB; at most 32.0 MB"):
        images.read_image(path)


def test_jpeg_is_decoded_at_a_reduced_scale_but_never_below_the_target(tmp_path):
    Image.new("RGB", (2000, 1600), (200, 30, 30)).save(tmp_path / "p.jpg", quality=90)
    small = images.read_image(tmp_path / "p.jpg", shrink_to=256)
    assert small.shape == (400, 500, 3)  # JPEG draft: 1/4 scale, still >= 256 on the short side
    assert abs(int(small[200, 250, 0]) - 200) <= 3


def test_arrays_are_bounded_and_normalised():
    assert images.read_image(np.ones((10, 12), np.float32)).shape == (10, 12, 3)
    assert images.read_image(np.ones((10, 12), np.float32)).max() == 255
    with pytest.raises(UserError, match="too small"):
        images.read_image(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(UserError, match="NaN"):
        images.read_image(np.full((10, 10, 3), np.nan, np.float32))
    with pytest.raises(UserError, match="shape"):
        images.read_image(np.zeros((10, 10, 5), np.uint8))
    with pytest.raises(UserError, match="missing"):
        images.read_image(None)


@pytest.mark.parametrize("n, ncols, pad, channels", [(36, 6, 2, 3), (9, 3, 2, 3), (7, 3, 2, 3), (5, 8, 0, 3),
                                                     (4, 1, 3, 3), (6, 4, 2, 1), (1, 3, 2, 3), (0, 3, 2, 3)])
def test_grid_is_torchvisions_make_grid_without_importing_it(n, ncols, pad, channels):
    torch = pytest.importorskip("torch")
    make_grid = pytest.importorskip("torchvision.utils").make_grid
    rng = np.random.default_rng(n)
    pics = rng.integers(0, 256, (n, 10, 12, channels), dtype=np.uint8)
    out = images.grid(pics, ncols=ncols, pad=pad, bg=255)
    if n > 1:
        t = torch.from_numpy(pics).permute(0, 3, 1, 2)
        want = make_grid(t, nrow=ncols, padding=pad, pad_value=255).permute(1, 2, 0).numpy()
    else:  # make_grid drops a lone image's border: grid keeps it (and gives a blank cell for none)
        cell = pics[0] if n else np.full((10, 12, channels), 255, np.uint8)
        want = np.pad(cell, ((pad, pad), (pad, pad), (0, 0)), constant_values=255)
    assert out.dtype == np.uint8 and np.array_equal(out, want)
    assert images.grid(pics, ncols=ncols, pad=pad, scale=2).shape[:2] == (2 * want.shape[0], 2 * want.shape[1])
