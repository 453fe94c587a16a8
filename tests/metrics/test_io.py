"""Safe reading of what users upload: zips, odd image modes, corrupt files, statistics files."""

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from playground.errors import UserError
from playground.metrics import io as mio


def png_bytes(a, mode=None):
    buf = io.BytesIO()
    (Image.fromarray(a, mode) if mode else Image.fromarray(a)).save(buf, format="PNG")
    return buf.getvalue()


def test_zip_bomb_is_refused(tmp_path):
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.png", b"\0" * (20 * 1024 * 1024))  # 20 MB of zeros -> ~20 KB
    with pytest.raises(UserError, match="zip bomb"):
        mio.load_image_set(z)


def test_zip_with_parent_path_is_refused(tmp_path):
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("ok.png", png_bytes(np.zeros((8, 8, 3), np.uint8)))
        zf.writestr("../../etc/evil.png", png_bytes(np.zeros((8, 8, 3), np.uint8)))
    with pytest.raises(UserError, match="unsafe path"):
        mio.load_image_set(z)


def test_zip_with_symlink_is_refused(tmp_path):
    z = tmp_path / "link.zip"
    with zipfile.ZipFile(z, "w") as zf:
        info = zipfile.ZipInfo("link.png")
        info.external_attr = 0o120777 << 16  # S_IFLNK
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(UserError, match="symbolic link"):
        mio.load_image_set(z)


def test_zip_too_many_entries_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(mio, "MAX_ZIP_ENTRIES", 3)
    z = tmp_path / "many.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for i in range(4):
            zf.writestr(f"{i}.png", b"x")
    with pytest.raises(UserError, match="entries"):
        mio.load_image_set(z)


def test_good_zip_lists_images_and_skips_the_rest(tmp_path):
    z = tmp_path / "set.zip"
    a = (np.arange(8 * 8 * 3) % 256).astype(np.uint8).reshape(8, 8, 3)
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("imgs/a.png", png_bytes(a))
        zf.writestr("imgs/notes.txt", "hello")
        zf.writestr("__MACOSX/imgs/._a.png", "junk")
        zf.writestr("imgs/broken.png", b"\x89PNG not really")
    s = mio.load_image_set(z)
    assert [r.name for r in s.images] == ["set.zip/imgs/a.png", "set.zip/imgs/broken.png"]
    assert s.skipped == [("set.zip/imgs/notes.txt", "not an image file type")]
    assert np.array_equal(mio.decode_rgb(s.images[0].read_bytes()), a)
    with pytest.raises(ValueError, match="could not be decoded"):
        mio.decode_rgb(s.images[1].read_bytes())
    s.close()


def test_empty_folder_and_missing_path(tmp_path):
    s = mio.load_image_set(tmp_path)
    assert s.images == [] and s.skipped == []
    with pytest.raises(UserError, match="does not exist"):
        mio.load_image_set(tmp_path / "nope")


def test_npz_only_as_reference(tmp_path):
    p = mio.write_stats(tmp_path / "s.npz", np.arange(3.0), np.eye(3))
    with pytest.raises(UserError, match="reference"):
        mio.load_image_set(p)
    s = mio.load_image_set(p, allow_stats=True)
    assert np.array_equal(s.stats[0], np.arange(3.0)) and np.array_equal(s.stats[1], np.eye(3))
    np.savez(tmp_path / "bad.npz", mean=np.zeros(3))
    with pytest.raises(UserError, match="'mu' and 'sigma'"):
        mio.read_stats(tmp_path / "bad.npz")
    np.savez(tmp_path / "bad2.npz", mu=np.zeros(3), sigma=np.eye(4))
    with pytest.raises(UserError, match="expected"):
        mio.read_stats(tmp_path / "bad2.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(UserError, match="not a readable"):
        mio.read_stats(tmp_path / "junk.npz")


# ------------------------------------------------------------------------------ image modes


def test_grayscale_palette_rgba_cmyk_become_rgb():
    g = np.array([[0, 100], [200, 255]], np.uint8)
    assert np.array_equal(mio.decode_rgb(png_bytes(g)), np.repeat(g[..., None], 3, 2))
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 10  # nearly transparent red: alpha is dropped, as the tools do
    assert mio.decode_rgb(png_bytes(rgba))[0, 0].tolist() == [200, 0, 0]
    pal = Image.fromarray(np.full((2, 2, 3), (10, 20, 30), np.uint8)).convert("P", palette=Image.ADAPTIVE)
    buf = io.BytesIO()
    pal.save(buf, format="PNG")
    assert mio.decode_rgb(buf.getvalue())[1, 1].tolist() == [10, 20, 30]
    cmyk = Image.new("CMYK", (2, 2), (0, 255, 255, 0))  # pure red in CMYK
    buf = io.BytesIO()
    cmyk.save(buf, format="JPEG", quality=100)
    r, g_, b = mio.decode_rgb(buf.getvalue())[0, 0].tolist()
    assert r > 240 and g_ < 15 and b < 15


def test_16bit_images_are_rescaled_not_clipped():
    a = np.array([[0, 257 * 100], [257 * 200, 65535]], np.uint16)
    out = mio.decode_rgb(png_bytes(a))
    assert out[..., 0].tolist() == [[0, 100], [200, 255]]


def test_oversized_images_are_refused():
    a = np.zeros((20, 30, 3), np.uint8)
    with pytest.raises(ValueError, match="too large"):
        mio.decode_rgb(png_bytes(a), max_pixels=500)
    assert mio.decode_rgb(png_bytes(a), max_pixels=600).shape == (20, 30, 3)


def test_mixed_sizes_and_non_images_in_a_folder(tmp_path):
    Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.zeros((33, 7), np.uint8)).save(tmp_path / "b.jpg")
    (tmp_path / "c.png").write_bytes(b"corrupt")
    (tmp_path / "d.csv").write_text("1,2")
    (tmp_path / ".hidden.png").write_bytes(b"x")
    s = mio.load_image_set(tmp_path)
    assert [r.name for r in s.images] == ["a.png", "b.jpg", "c.png"]
    assert s.skipped == [("d.csv", "not an image file type")]
