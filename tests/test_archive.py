"""The zip guard (playground.archive) and the readers that use it: a member is never inflated much past
the size it declares, and every damaged or hostile zip is a clear sentence naming the file and entry."""

import io
import json
import random
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from playground.archive import CHUNK, SafeZip, ZipLimits
from playground.errors import UserError

REAL = 50 * 2**20  # what the lying entry really inflates to: 50 MB of zeros, ~50 KB deflated
DECLARED = 4000  # what its headers say
HTML_NAME = '<a href="https://example.com">x</a>.png'
ROOMY = ZipLimits(entries=100, total_bytes=2**30, what="a test zip")


def patch_entry(path, name: str, *, file_size: int | None = None, flag_bits: int | None = None) -> None:
    """Rewrite one entry's declared uncompressed size and/or flags in both its local header and the
    central directory, as a hostile zip would carry them."""
    b = bytearray(path.read_bytes())
    at, found = 0, 0
    while (at := b.find(b"PK\x01\x02", at)) >= 0:
        name_len = struct.unpack_from("<H", b, at + 28)[0]
        if bytes(b[at + 46 : at + 46 + name_len]) == name.encode():
            local = struct.unpack_from("<I", b, at + 42)[0]
            assert b[local : local + 4] == b"PK\x03\x04"
            if file_size is not None:
                struct.pack_into("<I", b, at + 24, file_size)
                struct.pack_into("<I", b, local + 22, file_size)
            if flag_bits is not None:
                struct.pack_into("<H", b, at + 8, flag_bits)
                struct.pack_into("<H", b, local + 6, flag_bits)
            found += 1
        at += 4
    assert found == 1
    path.write_bytes(bytes(b))


def zeros_entry(z: zipfile.ZipFile, name: str, n: int) -> None:
    """``n`` zero bytes as a deflated entry, written in 1 MB blocks."""
    with z.open(name, "w") as f:
        block = bytes(2**20)
        for start in range(0, n, len(block)):
            f.write(block[: min(len(block), n - start)])


def lying_zip(path, name: str = "big.png", others: dict[str, bytes] | None = None):
    """A zip whose entry ``name`` declares DECLARED bytes and inflates to REAL (plus honest ``others``)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for other, data in (others or {}).items():
            z.writestr(other, data)
        zeros_entry(z, name, REAL)
    patch_entry(path, name, file_size=DECLARED)
    assert path.stat().st_size < 200_000
    return path


def peak_of(fn):
    """(peak bytes allocated while ``fn`` runs, the UserError it raised or None)."""
    tracemalloc.start()
    try:
        fn()
        err = None
    except UserError as exc:
        err = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, err


def assert_lie_refused(err, fname: str, entry: str):
    assert err is not None, "the lying entry was accepted"
    msg = str(err)
    assert fname in msg and entry in msg
    assert "inflates to more than the 4,000 bytes its header declares" in msg


# ------------------------------------------------------------------------------- the lying entry


def test_plain_zipfile_inflates_the_lying_entry_whole(tmp_path):
    """The control for the peaks below: zipfile's own read() of the lying entry costs all 50 MB."""
    p = lying_zip(tmp_path / "lie.zip")

    def plain():
        with zipfile.ZipFile(p) as z:
            z.read("big.png")

    tracemalloc.start()
    try:
        with pytest.raises(zipfile.BadZipFile):
            plain()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak > REAL * 0.9


def test_the_guard_stops_a_lying_entry_within_one_chunk(tmp_path):
    p = lying_zip(tmp_path / "lie.zip")
    with SafeZip(p, ROOMY) as z:
        info = z.info("big.png")
        assert info.file_size == DECLARED  # the directory checks cannot see the lie
        peak, err = peak_of(lambda: z.read(info))
    assert_lie_refused(err, "lie.zip", "'big.png'")
    assert peak < DECLARED + 2 * CHUNK + 2**20
    assert str(tmp_path) not in str(err)


def test_the_stream_gives_no_more_than_declared_then_refuses(tmp_path):
    p = lying_zip(tmp_path / "lie.zip")
    got = bytearray()
    with SafeZip(p, ROOMY) as z, z.open(z.info("big.png")) as f:
        with pytest.raises(UserError, match="inflates to more than"):
            while part := f.read(1000):
                got += part
    # the read that reaches the declared size looks one byte further, and refuses instead of returning
    assert got == bytes(DECLARED - 1000)


def test_metrics_image_zip_with_a_lying_entry(tmp_path):
    from playground.metrics import io as mio

    p = lying_zip(tmp_path / "faces.zip")
    s = mio.load_image_set(p)
    assert [r.name for r in s.images] == ["faces.zip/big.png"]
    peak, err = peak_of(s.images[0].read_bytes)
    s.close()
    assert_lie_refused(err, "faces.zip", "'big.png'")
    assert peak < 10 * 2**20


def test_metrics_statistics_with_a_lying_sigma(tmp_path):
    """sigma.npy declares exactly what its .npy header needs, and then goes on with 50 MB of zeros."""
    from playground.metrics import io as mio

    head = io.BytesIO()
    np.lib.format.write_array(head, np.eye(3))
    mu = io.BytesIO()
    np.lib.format.write_array(mu, np.zeros(3))
    p = tmp_path / "stats.npz"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mu.npy", mu.getvalue())
        with z.open("sigma.npy", "w") as f:
            f.write(head.getvalue())
            f.write(bytes(REAL))
    patch_entry(p, "sigma.npy", file_size=len(head.getvalue()))
    peak, err = peak_of(lambda: mio.read_stats(p))
    assert err is not None and "stats.npz: entry 'sigma.npy' inflates to more than" in str(err)
    assert peak < 10 * 2**20


def test_saved_2d_run_with_a_lying_entry(tmp_path):
    from playground.toy2d.lab import Lab

    p = lying_zip(tmp_path / "run.zip", "model.safetensors", {"config.json": b"{}"})
    lab = Lab()
    try:
        peak, err = peak_of(lambda: lab.import_model(p))
    finally:
        lab.close()
    assert_lie_refused(err, "run.zip", "'model.safetensors'")
    assert peak < 10 * 2**20


# --------------------------------------------------------------------------- the directory checks


def test_zip_bomb_by_ratio(tmp_path):
    p = tmp_path / "bomb.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        zeros_entry(z, "a.png", 10 * 2**20)
    bomb_msg = r"bomb.zip: entry 'a.png' is compressed \d+:1, which looks like a zip bomb"
    with pytest.raises(UserError, match=bomb_msg):
        SafeZip(p, ZipLimits(entries=10, total_bytes=2**30, what="a test zip", ratio=200))
    with SafeZip(p, ROOMY) as z:  # without a ratio limit it is an honest 10 MB of zeros
        assert z.read(z.info("a.png")) == bytes(10 * 2**20)


def test_too_many_entries_and_too_many_bytes(tmp_path):
    p = tmp_path / "many.zip"
    with zipfile.ZipFile(p, "w") as z:
        for i in range(4):
            z.writestr(f"{i}.png", bytes(100_000))  # 97.7 KB each, 390.6 KB in all
    with pytest.raises(UserError, match="many.zip holds 4 entries; at most 3 are read."):
        SafeZip(p, ZipLimits(entries=3, total_bytes=2**30, what="a test zip"))
    with pytest.raises(UserError, match="many.zip unpacks to 391 KB; an image set needs at most 293 KB."):
        SafeZip(p, ZipLimits(entries=4, total_bytes=300_000, what="an image set"))
    one_msg = "many.zip: entry '0.png' unpacks to 98 KB; an image set has no file over 49 KB."
    with pytest.raises(UserError, match=one_msg):
        SafeZip(p, ZipLimits(entries=4, total_bytes=2**30, member_bytes=50_000, what="an image set"))


def test_encrypted_entry(tmp_path):
    p = tmp_path / "secret.zip"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("a.png", b"12 bytes of x")
    patch_entry(p, "a.png", flag_bits=0x1)
    with pytest.raises(UserError, match="secret.zip: entry 'a.png' is encrypted; upload a zip made without"):
        SafeZip(p, ROOMY)


def test_unreadable_compression_method(tmp_path):
    p = tmp_path / "bz.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_BZIP2) as z:
        z.writestr("a.png", b"x" * 100)
    with pytest.raises(UserError, match="bz.zip: entry 'a.png' uses bzip2 compression"):
        SafeZip(p, ROOMY)


def test_truncated_and_damaged_zips(tmp_path):
    data = random.Random(0).randbytes(200_000)
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.bin", data)
    whole = good.read_bytes()

    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UserError, match=r"cut.zip is not a readable zip archive \(File is not a zip") as e:
        SafeZip(cut, ROOMY)
    assert str(tmp_path) not in str(e.value)

    flipped = bytearray(whole)
    for i in range(1000, 1100):  # inside the compressed data of a.bin
        flipped[i] ^= 0xFF
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(flipped))
    with SafeZip(bad, ROOMY) as z, pytest.raises(UserError, match="bad.zip: entry 'a.bin' could not be read"):
        z.read(z.info("a.bin"))

    short = tmp_path / "short.zip"
    short.write_bytes(whole)
    patch_entry(short, "a.bin", file_size=len(data) + 5000)  # declares more than it holds
    with SafeZip(short, ROOMY) as z, pytest.raises(UserError, match="holds fewer bytes than the 205,000"):
        z.read(z.info("a.bin"))


def test_unsafe_names(tmp_path):
    for name in ["../../etc/x.png", "/abs.png", "C:/x.png"]:
        p = tmp_path / "evil.zip"
        with zipfile.ZipFile(p, "w") as z:
            z.writestr(name, b"x")
        with pytest.raises(UserError, match="evil.zip contains an unsafe path"):
            SafeZip(p, ROOMY)
    p = tmp_path / "link.zip"
    with zipfile.ZipFile(p, "w") as z:
        info = zipfile.ZipInfo("link.png")
        info.external_attr = 0o120777 << 16  # S_IFLNK
        z.writestr(info, "/etc/passwd")
    with pytest.raises(UserError, match="link.zip contains a symbolic link"):
        SafeZip(p, ROOMY)


def test_member_names_are_quoted_as_plain_text(tmp_path):
    """Messages quote a member's name as it is (the toast escapes it: tests/ui/test_common.py)."""
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        zeros_entry(z, HTML_NAME, 2**20)
    with pytest.raises(UserError) as e:
        SafeZip(bomb, ZipLimits(entries=10, total_bytes=2**30, what="a test zip", ratio=200))
    assert "bomb.zip: entry '<a href=\"https://example.com\">x</a>.png' is compressed" in str(e.value)

    lie = lying_zip(tmp_path / "lie.zip", HTML_NAME)
    with SafeZip(lie, ROOMY) as z, pytest.raises(UserError) as e:
        z.read(z.info(HTML_NAME))
    assert "entry '<a href=" in str(e.value) and "&lt;" not in str(e.value)


# ----------------------------------------------------------------------------------- honest zips


def test_an_honest_zip_round_trips(tmp_path):
    rng = random.Random(1)
    members = {
        "empty.txt": b"",
        "small.json": json.dumps({"a": 1}).encode(),
        "noise.bin": rng.randbytes(3 * CHUNK + 17),  # several chunks, incompressible
        "zeros.bin": bytes(2 * CHUNK),  # compresses ~1000:1
        "folder/stored.bin": rng.randbytes(5000),
    }
    p = tmp_path / "ok.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.mkdir("folder")
        for name, data in members.items():
            method = zipfile.ZIP_STORED if name.endswith("stored.bin") else zipfile.ZIP_DEFLATED
            z.writestr(name, data, method)
    with SafeZip(p, ROOMY) as z:
        assert {i.filename for i in z.files} == set(members)
        for name, data in members.items():
            assert z.read(z.info(name)) == data
        with z.open(z.info("noise.bin")) as f:  # read in odd pieces, as numpy and PIL do
            parts = [f.read(12345)]
            assert f.tell() == 12345
            while part := f.read(1 << 19):
                parts.append(part)
        assert b"".join(parts) == members["noise.bin"]
        assert z.info("missing") is None


def test_an_honest_saved_2d_run_and_statistics_load(tmp_path):
    from playground.metrics import io as mio
    from playground.toy2d.config import ToyConfig
    from playground.toy2d.lab import Lab

    lab, other = Lab(), Lab()
    try:
        lab.trainer = lab.new_trainer(ToyConfig(seed=3, g_width=8, d_width=8))
        saved = lab.export_model()
        loaded = other.import_model(saved)
        assert loaded.cfg.to_dict() == lab.trainer.cfg.to_dict()
    finally:
        lab.close()
        other.close()
    mu, sigma = np.arange(4.0), np.diag([1.0, 2.0, 3.0, 4.0])
    np.savez_compressed(tmp_path / "s.npz", mu=mu, sigma=sigma)
    got_mu, got_sigma = mio.read_stats(tmp_path / "s.npz")
    assert np.array_equal(got_mu, mu) and np.array_equal(got_sigma, sigma)


# ------------------------------------------------------------------------------ .pth checkpoints

PTH_PROBE = """
import json, resource, sys
from playground.safe_weights import read_weights
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    state, _ = read_weights(sys.argv[1], 2**30)
    result = {"numel": state["w"].numel()}
except Exception as exc:
    result = {"error": f"{type(exc).__name__}: {exc}"}
result["grew_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps(result))
"""


def test_a_pth_whose_storage_lies_is_read_by_its_declared_size(tmp_path):
    """torch.load reads a member into a buffer of its declared size, so a deflated storage that declares
    4,000 bytes and inflates to 100 MB costs no more than its declaration (safe_weights relies on this)."""
    import subprocess
    import sys

    import torch

    buf = io.BytesIO()
    torch.save({"w": torch.zeros(DECLARED // 4)}, buf)
    p = tmp_path / "lie.pth"
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename.endswith("/data/0"):
                storage = info.filename
                zeros_entry(z, storage, 100 * 2**20)
            else:
                z.writestr(info.filename, src.read(info))
    patch_entry(p, storage, file_size=DECLARED)
    repo = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", PTH_PROBE, str(p)], capture_output=True, text=True,
                         timeout=120, check=True, cwd=repo)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result.get("numel") == DECLARED // 4 or "error" in result
    assert result["grew_mb"] < 50, result
