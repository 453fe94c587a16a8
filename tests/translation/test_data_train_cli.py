"""Transforms against hand-worked values, tiny end-to-end training runs, and the headless CLI."""

import random

import numpy as np
import pytest
import torch
from PIL import Image

from playground.errors import UserError
from playground.translation import cli, data, inference
from playground.translation.train import ImagePool, TrainConfig, linear_decay, train


def test_gray_is_itu601_luma():
    assert data.to_gray(np.array([[[1.0, 0, 0]]]))[0, 0, 0] == pytest.approx(0.299)
    assert data.to_gray(np.array([[[0.2, 0.2, 0.2]]]))[0, 0, 0] == pytest.approx(0.2)


def test_pencil_sketch_flat_is_white_black_is_black():
    # dodge(g, blur(1 - g)) = g / (1 - (1 - g)) = 1 on a flat gray; 0 where g = 0.
    flat = np.full((32, 32, 3), 0.5, np.float32)
    assert np.allclose(data.pencil_sketch(flat, shade=0), 1.0, atol=1e-5)
    black = np.zeros((32, 32, 3), np.float32)
    assert np.allclose(data.pencil_sketch(black), 0.0)
    # the shading wash: 1 - shade * (1 - g) on a flat gray, darker for darker tones
    assert np.allclose(data.pencil_sketch(flat, shade=0.5), 0.75, atol=1e-5)
    dark = np.full((32, 32, 3), 0.2, np.float32)
    assert np.allclose(data.pencil_sketch(dark, shade=0.5), 0.6, atol=1e-5)


def test_edge_map_of_a_step_is_the_step_column():
    img = np.zeros((64, 64, 3), np.float32)
    img[:, 32:] = 1.0
    e = data.edge_map(img)[..., 0]
    rows, cols = np.nonzero(e == 0)
    assert set(cols) <= {31, 32}  # NMS keeps the two equal maxima either side of the step
    assert set(rows) == set(range(64))
    assert set(np.unique(e)) <= {0.0, 1.0}


def test_drawing_is_reduced_to_one_pixel_lines():
    canvas = np.zeros((256, 256, 4), np.uint8)  # transparent = white paper
    canvas[:, 128:132] = (0, 0, 0, 255)  # a 4-pixel black stroke
    e = data.drawing_to_edges(canvas)[..., 0]
    assert e.shape == (64, 64)
    assert (e[:, 32] == 0).all() and (np.delete(e, 32, axis=1) == 1).all()


def test_resize_rejects_non_images():
    with pytest.raises(UserError):
        data.resize_rgb(np.zeros(5))


def test_linear_decay_and_pool():
    assert [linear_decay(s, 10) for s in (1, 4, 5, 7, 10)] == pytest.approx([1, 1, 1, 0.6, 0])
    x = torch.arange(4.0).view(4, 1, 1, 1)
    assert torch.equal(ImagePool(0, random.Random(0)).query(x), x)
    pool = ImagePool(2, random.Random(0))
    assert torch.equal(pool.query(x[:2]), x[:2])  # filling: new images pass through
    out = pool.query(x[2:] + 10)
    assert all(v in (0.0, 1.0, 12.0, 13.0) for v in out.flatten().tolist())


@pytest.fixture(scope="module")
def tiny_sets(tmp_path_factory):
    d = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    faces = rng.random((8, 64, 64, 3)).astype(np.float32)
    data.save_npz(d / "paired.npz", data.edge_map(faces), faces, paired=True)
    data.save_npz(d / "unpaired.npz", faces, np.repeat(data.pencil_sketch(faces[::-1]), 3, -1), paired=False)
    return d


def test_tiny_pix2pix_and_cyclegan_runs_save_and_reload(tiny_sets, tmp_path):
    for task, npz, net in (("pix2pix", "paired.npz", "unet_64"), ("cyclegan", "unpaired.npz", "resnet_1blocks")):
        cfg = TrainConfig(task=task, data=str(tiny_sets / npz), out=str(tmp_path / task), name=task, netG=net,
                          ngf=4, ndf=4, steps=2, batch_size=2, sample_every=2, save_every=2, pool_size=2)
        path = train(cfg, log=lambda *_: None)
        assert path.exists() and (tmp_path / task / "samples_000002.png").exists()
        model = inference.load_model(str(path))
        res = inference.translate(model, np.random.rand(64, 64, 3))
        assert res["output"].shape == (64, 64, 3)
        assert ("reconstruction" in res) == (task == "cyclegan")


def test_cli_list_and_run(tmp_path, capsys):
    assert cli.main(["run", "--list-models"]) == 0
    listing = capsys.readouterr().out
    assert "horse2zebra" in listing and "edges2shoes" in listing
    for name in inference.bundled_entries():
        assert name in listing
    # A local official-layout file with --arch/--norm.
    from playground.translation.networks import define_G

    torch.save(define_G("resnet_2blocks", "instance", 4).state_dict(), tmp_path / "g.pth")
    Image.fromarray((np.random.rand(40, 40, 3) * 255).astype(np.uint8)).save(tmp_path / "in.png")
    rc = cli.main(["run", "--model", str(tmp_path / "g.pth"), "--arch", "resnet_2blocks", "--norm", "instance",
                   "--ngf", "4", "--input", str(tmp_path / "in.png"), "--out", str(tmp_path / "out.png")])
    assert rc == 0
    assert Image.open(tmp_path / "out.png").size == (256, 256)
    assert cli.main(["run", "--model", "nope", "--input", "x", "--out", "y"]) == 2
    assert "Unknown model" in capsys.readouterr().err


def test_cli_runs_a_bundled_model(tmp_path):
    if "edges2face" not in inference.bundled_entries():
        pytest.fail("pretrained/manifest.json has no translation_edges2face entry")
    face = data.make_faces(1, 31337)[0]
    Image.fromarray((face * 255).astype(np.uint8)).save(tmp_path / "face.png")
    assert cli.main(["run", "--model", "edges2face", "--input", str(tmp_path / "face.png"),
                     "--out", str(tmp_path / "out.png")]) == 0
    assert Image.open(tmp_path / "out.png").size == (64, 64)
