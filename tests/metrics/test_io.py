"""Safe reading of what users upload: zips, odd image modes, corrupt files, statistics files."""

import dataclasses
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
    monkeypatch.setattr(mio, "IMAGE_ZIP", dataclasses.replace(mio.IMAGE_ZIP, entries=3))
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


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 16 16\n0 0 moveto 16 16 lineto stroke\nshowpage\n%%EOF\n"


def test_the_reader_opens_only_its_listed_formats(tmp_path, monkeypatch):
    """An EPS file named .png would reach Pillow's EPS reader, which runs Ghostscript; only the listed
    formats (playground.images.FORMATS) are tried."""
    from PIL import EpsImagePlugin

    assert Image.open(io.BytesIO(EPS)).format == "EPS"  # what Pillow alone would do with it
    opened = []
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", lambda self: opened.append(self))
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "page.png").write_bytes(EPS)
    s = mio.load_image_set(tmp_path / "set")
    with pytest.raises(ValueError, match=r"could not be decoded: it is damaged, or not in a format this app reads "
                                         r"\(PNG, JPEG, WEBP, GIF, BMP, TIFF, PPM\)"):
        mio.decode_rgb(s.images[0].read_bytes())
    assert opened == []


@pytest.mark.parametrize("fmt, readable", [("PNG", True), ("JPEG", True), ("WEBP", True), ("GIF", True),
                                           ("BMP", True), ("TIFF", True), ("PPM", True),
                                           ("TGA", False), ("PCX", False), ("ICO", False)])
def test_the_upload_help_names_the_formats_the_reader_opens(fmt, readable):
    """The page's help under the upload box lists what the reader decodes, and nothing it refuses (it once said
    "any format Pillow reads")."""
    from playground.ui.metrics.texts import FAKE_FILES_HELP

    buf = io.BytesIO()
    Image.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(buf, format=fmt)
    assert Image.open(io.BytesIO(buf.getvalue())).format == fmt  # Pillow alone reads all ten
    named = fmt in FAKE_FILES_HELP.replace(",", " ").split()
    assert named is readable and "any format" not in FAKE_FILES_HELP
    if readable:
        assert mio.decode_rgb(buf.getvalue()).shape == (16, 16, 3)
    else:
        with pytest.raises(ValueError, match="not in a format this app reads"):
            mio.decode_rgb(buf.getvalue())


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


# ------------------------------------------------------------------- .npz checked before reading


def npy_bytes(a):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(a))
    return buf.getvalue()


def zero_sigma_npz(path, d, mu_d=None):
    """An honest .npz of mu = 0 (mu_d) and sigma = 0 (d×d float64), streamed: d×d×8 bytes never exist."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("mu.npy", npy_bytes(np.zeros(mu_d or d)))
        with zf.open("sigma.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False, "shape": (d, d)})
            left = d * d * 8
            block = bytes(1 << 20)
            while left:
                f.write(block[: min(left, len(block))])
                left -= min(left, len(block))
    return path


def peak_bytes(fn):
    import tracemalloc

    tracemalloc.start()
    try:
        try:
            fn()
        except UserError as exc:
            err = exc
        else:
            err = None
        return tracemalloc.get_traced_memory()[1], err
    finally:
        tracemalloc.stop()


def test_npz_bomb_is_refused_from_its_headers(tmp_path):
    """The repro scaled down: 4096-d sigma (128 MB inflated, ~0.6 MB on disk); the issue's was 23170-d."""
    bomb = zero_sigma_npz(tmp_path / "bomb.npz", 4096)
    assert bomb.stat().st_size < 2 * 1024**2
    peak, err = peak_bytes(lambda: mio.read_stats(bomb))
    assert err is not None and "4096 × 4096" in str(err) and "2048" in str(err)
    assert peak < 1024**2  # nothing of the 128 MB was allocated (it used to be read whole first)


def test_accepted_stats_cost_at_most_twice_their_size(tmp_path):
    d = 2048
    mu, sigma = np.arange(d, dtype=np.float64), np.diag(np.linspace(0.5, 2.0, d))
    p = mio.write_stats(tmp_path / "ok.npz", mu, sigma)
    need = (d + d * d) * 8
    peak, err = peak_bytes(lambda: mio.read_stats(p))
    assert err is None and peak < 2 * need
    got_mu, got_sigma = mio.read_stats(p)
    assert np.array_equal(got_mu, mu) and np.array_equal(got_sigma, sigma)


def test_npz_that_lies_about_its_sizes_or_types_is_refused(tmp_path):
    # sigma's zip entry declares more bytes than its .npy header needs
    p = tmp_path / "long.npz"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("mu.npy", npy_bytes(np.zeros(3)))
        zf.writestr("sigma.npy", npy_bytes(np.eye(3)) + bytes(1000))
    with pytest.raises(UserError, match="damaged"):
        mio.read_stats(p)
    np.savez(tmp_path / "ints.npz", mu=np.zeros(3, np.int64), sigma=np.eye(3, dtype=np.int64))
    with pytest.raises(UserError, match="float"):
        mio.read_stats(tmp_path / "ints.npz")
    big_mu = zero_sigma_npz(tmp_path / "mismatch.npz", 4, mu_d=5)
    with pytest.raises(UserError, match=r"expected \(d,\) and \(d, d\)"):
        mio.read_stats(big_mu)


@pytest.mark.parametrize(
    "sigma, why",
    [
        (-np.eye(4), "negative variance"),
        (np.array([[1.0, 2.0], [0.0, 1.0]]), "not symmetric"),
        (np.array([[1.0, 2.0], [2.0, 1.0]]), "negative eigenvalues"),  # eigenvalues 3 and -1
    ],
)
def test_sigma_that_is_not_a_covariance_is_refused(tmp_path, sigma, why):
    """-I used to give FID 0 (the negative trace was clipped); now it is refused when read."""
    p = mio.write_stats(tmp_path / "s.npz", np.zeros(len(sigma)), sigma)
    with pytest.raises(UserError, match=why):
        mio.read_stats(p)


def test_covariances_with_round_off_are_accepted(tmp_path):
    # a singular covariance (fewer samples than dimensions) stored in float32, as some tools do
    x = np.random.RandomState(0).randn(20, 64)
    sigma = np.cov(x, rowvar=False).astype(np.float32)
    assert np.linalg.eigvalsh(sigma.astype(np.float64)).min() < 0  # round-off below zero
    p = tmp_path / "f32.npz"
    np.savez(p, mu=x.mean(0).astype(np.float32), sigma=sigma)
    mu, s = mio.read_stats(p)
    assert s.dtype == np.float64 and np.array_equal(s, sigma.astype(np.float64))


def test_16bit_images_are_converted_without_float_copies_of_the_whole_image():
    """Needed: the 16-bit pixels (2 B/px) and the RGB result (3 B/px). The conversion used to make several
    float64 copies (8 B/px each); now Python-side allocations stay under 2 × (2 + 3) B/px minus Pillow's
    own 2 B/px buffer, which tracemalloc does not see."""
    h, w = 1500, 1600
    a = (np.arange(h * w, dtype=np.uint64) * 40503 % 65536).astype(np.uint16).reshape(h, w)
    data = png_bytes(a)
    peak, err = peak_bytes(lambda: mio.decode_rgb(data))
    assert err is None and peak < (2 * (2 + 3) - 2) * h * w
    out = mio.decode_rgb(data)
    assert np.array_equal(out[..., 2], np.clip(np.rint(a / 257.0), 0, 255).astype(np.uint8))
