"""Training on a tiny generated folder, and the headless CLI."""

import numpy as np
import pytest
from PIL import Image

from playground.dcgan.__main__ import main
from playground.dcgan.checkpoints import load_generator
from playground.dcgan.latent import seeded_z
from playground.dcgan.pretrained import generate
from playground.dcgan.train import ImageFolder, TrainConfig, train
from playground.errors import UserError


@pytest.fixture
def tiny_folder(tmp_path):
    """Eight 40x48 images of coloured discs in nested folders (a GAN needs no labels)."""
    rng = np.random.default_rng(0)
    root = tmp_path / "data"
    for i in range(8):
        sub = root / f"part{i % 2}"
        sub.mkdir(parents=True, exist_ok=True)
        yy, xx = np.mgrid[:40, :48]
        disc = (yy - 20) ** 2 + (xx - 24) ** 2 < rng.integers(50, 300)
        img = np.zeros((40, 48, 3), np.uint8)
        img[disc] = rng.integers(0, 255, 3)
        Image.fromarray(img).save(sub / f"{i}.png")
    (root / "notes.txt").write_text("not an image")
    return root


def test_train_one_epoch_writes_samples_and_loadable_checkpoint(tiny_folder, tmp_path):
    out = tmp_path / "run"
    cfg = TrainConfig(data=str(tiny_folder), out=str(out), epochs=1, batch_size=4, ngf=8, ndf=8,
                      num_samples=4, device="cpu", progress=False)
    reports = list(train(cfg))
    assert len(reports) == 1
    r = reports[0]
    assert np.isfinite([r.loss_d, r.loss_g]).all() and 0 < r.d_real < 1 and 0 < r.d_fake < 1
    assert Image.open(r.samples_png).size == (2 * 66 + 2, 2 * 66 + 2)  # 2x2 grid of 64px with 2px padding
    g = load_generator(out / "netG.safetensors")
    assert g.ngf == 8
    imgs = generate(seeded_z(0, 2), generator=g)
    assert imgs.shape == (2, 64, 64, 3)


def test_train_cli_and_empty_folder(tiny_folder, tmp_path, capsys):
    rc = main(["train", "--data", str(tiny_folder), "--epochs", "1", "--out", str(tmp_path / "cli"),
               "--ngf", "8", "--ndf", "8", "--batch-size", "8", "--device", "cpu"])
    assert rc == 0
    assert (tmp_path / "cli" / "samples_epoch_001.png").exists()
    assert "epoch 1/1" in capsys.readouterr().out
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["train", "--data", str(empty), "--out", str(tmp_path / "x")]) == 2
    assert "No images" in capsys.readouterr().err
    with pytest.raises(UserError):
        ImageFolder(tmp_path / "missing")


def test_generate_cli_writes_one_png_per_row(tmp_path):
    z = seeded_z(4, 3).numpy().astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    assert main(["generate", "--z", str(tmp_path / "z.npy"), "--out", str(tmp_path / "pngs")]) == 0
    files = sorted((tmp_path / "pngs").glob("*.png"))
    assert [f.name for f in files] == ["0000.png", "0001.png", "0002.png"]
    expected = generate(z)
    for f, e in zip(files, expected):
        assert np.array_equal(np.asarray(Image.open(f)), e)


def test_generate_cli_rejects_bad_shapes(tmp_path, capsys):
    np.save(tmp_path / "z.npy", np.zeros((2, 7), np.float32))
    assert main(["generate", "--z", str(tmp_path / "z.npy"), "--out", str(tmp_path / "o")]) == 2
    assert "(N, 100)" in capsys.readouterr().err
    (tmp_path / "bad.npy").write_text("nope")
    assert main(["generate", "--z", str(tmp_path / "bad.npy"), "--out", str(tmp_path / "o")]) == 2


def test_sample_cli_grid(tmp_path):
    out = tmp_path / "grid.png"
    assert main(["sample", "--seed", "3", "--n", "6", "--out", str(out)]) == 0
    im = np.asarray(Image.open(out))
    assert im.shape == (2 * 66 + 2, 3 * 66 + 2, 3)  # 6 samples -> 3 columns x 2 rows
    first = generate(seeded_z(3, 1))[0]
    assert np.array_equal(im[2:66, 2:66], first)


def _one_line_error(capsys, *fragments):
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for f in fragments:
        assert f in err, err


def test_cli_bad_device_and_unwritable_out_are_one_line_errors(tiny_folder, tmp_path, capsys, monkeypatch):
    assert main(["train", "--data", str(tiny_folder), "--device", "foo", "--out", str(tmp_path / "r")]) == 2
    _one_line_error(capsys, "Unknown device 'foo'")
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["train", "--data", str(tiny_folder), "--device", "cuda", "--out", str(tmp_path / "r")]) == 2
    _one_line_error(capsys, "no CUDA GPU is available")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")  # a folder under a regular file cannot be created, even by root
    assert main(["train", "--data", str(tiny_folder), "--device", "cpu", "--out", str(blocker / "run")]) == 2
    _one_line_error(capsys, "cannot write there")
    assert main(["sample", "--n", "2", "--out", str(blocker / "grid.png")]) == 2
    _one_line_error(capsys, "cannot write there")
    np.save(tmp_path / "z.npy", np.zeros((1, 100), np.float32))
    assert main(["generate", "--z", str(tmp_path / "z.npy"), "--out", str(blocker / "pngs")]) == 2
    _one_line_error(capsys, "cannot write there")


def test_cli_numbers_are_bounded(tmp_path, capsys):
    assert main(["sample", "--seed", str(2**63), "--n", "2", "--out", str(tmp_path / "g.png")]) == 2
    _one_line_error(capsys, "--seed must be a whole number between 0 and 4,294,967,295")
    assert main(["sample", "--n", "1000000000", "--out", str(tmp_path / "g.png")]) == 2
    _one_line_error(capsys, "--n must be a whole number between 1 and 10,000")
    assert main(["train", "--data", str(tmp_path), "--ngf", "100000", "--out", str(tmp_path / "r")]) == 2
    _one_line_error(capsys, "ngf must be a whole number between 1 and 128")
    np.savez(tmp_path / "z.npz", z=np.zeros((1, 100)))
    assert main(["generate", "--z", str(tmp_path / "z.npz"), "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "not a .npy array")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert main(["generate", "--z", str(tmp_path / "obj.npy"), "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "(N, 100)")


@pytest.mark.slow
def test_training_learns_a_simple_image_distribution(tmp_path):
    """Discs of random colour on a black background. An untrained G paints mid-grey noise everywhere
    (pixels ~127); after ~300 steps its corners must have moved towards the black of the data and its
    centre must be brighter than its corners. (A small G at the paper's lr 2e-4 needs far more steps,
    so this uses lr 1e-3.)"""
    rng = np.random.default_rng(1)
    root = tmp_path / "discs"
    root.mkdir()
    yy, xx = np.mgrid[:64, :64]
    for i in range(256):
        img = np.zeros((64, 64, 3), np.uint8)
        cy, cx, r = rng.integers(24, 40), rng.integers(24, 40), rng.integers(10, 18)
        img[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = rng.integers(80, 255, 3)
        Image.fromarray(img).save(root / f"{i}.png")
    cfg = TrainConfig(data=str(root), out=str(tmp_path / "run"), epochs=20, batch_size=16, lr=1e-3,
                      ngf=16, ndf=16, num_samples=16, device="cpu", progress=False)
    for _ in train(cfg):
        pass
    g = load_generator(tmp_path / "run" / "netG.safetensors")
    imgs = generate(seeded_z(0, 64), generator=g).astype(float)
    corners = np.concatenate([imgs[:, :8, :8], imgs[:, :8, -8:], imgs[:, -8:, :8], imgs[:, -8:, -8:]], axis=1)
    centre = imgs[:, 28:36, 28:36]
    print(f"corners {corners.mean():.1f}, centre {centre.mean():.1f}")
    assert corners.mean() < 90
    assert centre.mean() > corners.mean() + 15
