"""Careless and hostile input to the translation tab and CLI: sentences, exit code 2, nothing allocated first."""

import io
import zipfile

import numpy as np
import pytest
import torch
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from playground.errors import UserError
from playground.translation import cli, data, inference, weights
from playground.translation.networks import define_G
from tests.bad_files import bad_uploads, png_header_only

EXPECTED = {"empty": "is empty", "text": "not a picture I can read", "truncated": "damaged or truncated",
            "huge": "20,000×20,000 pixels|declares too many pixels"}


def test_bad_uploads_get_sentences(client, tmp_path):
    for kind, path in bad_uploads(tmp_path).items():
        with pytest.raises(AppError, match=EXPECTED[kind]):
            client.predict("edges2face", "upload", None, handle_file(str(path)), False, api_name="/translate")


def test_bad_drawing_and_values_through_the_api(client, tmp_path):
    huge = png_header_only(tmp_path / "sketch.png", 20000, 20000)
    sketch = {"background": None, "layers": [], "composite": handle_file(str(huge))}
    with pytest.raises(AppError, match="The drawing .*(20,000×20,000 pixels|declares too many pixels)"):
        client.predict("edges2face", "drawing", sketch, None, False, api_name="/translate")
    ok = tmp_path / "ok.png"
    Image.new("RGB", (64, 64), "white").save(ok)
    # A path instead of a listed model: load_model would read it from the server's disk.
    with pytest.raises(AppError, match="The model must be one of the listed options"):
        client.predict("/etc/passwd.pth", "upload", None, handle_file(str(ok)), False, api_name="/translate")
    with pytest.raises(AppError, match="Dropout must be true or false"):
        client.predict("edges2face", "upload", None, handle_file(str(ok)), "yes", api_name="/translate")


def _one_line_error(capsys, *fragments):
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for f in fragments:
        assert f in err, err


def test_cli_bomb_input_and_unwritable_out(tmp_path, capsys):
    bomb = png_header_only(tmp_path / "bomb.png", 20000, 20000)
    out = tmp_path / "out.png"
    assert cli.main(["run", "--model", "edges2face", "--input", str(bomb), "--out", str(out)]) == 2
    _one_line_error(capsys, "bomb.png")
    face = tmp_path / "face.png"
    Image.new("RGB", (64, 64), "gray").save(face)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert cli.main(["run", "--model", "edges2face", "--input", str(face), "--out", str(blocker / "o.png")]) == 2
    _one_line_error(capsys, "Cannot create the folder")
    assert cli.main(["run", "--model", "edges2face", "--input", str(face), "--out", str(tmp_path / "o.xyz")]) == 2
    _one_line_error(capsys, "unknown image extension")
    assert not out.exists()


def test_cli_train_unwritable_out_and_missing_data(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert cli.main(["train", "--data", str(tmp_path / "none.npz"), "--out", str(blocker / "run")]) == 2
    _one_line_error(capsys, "cannot write there")
    assert cli.main(["train", "--data", str(tmp_path / "none.npz"), "--out", str(tmp_path / "run")]) == 2
    _one_line_error(capsys, "not found")


def test_a_file_that_does_not_fit_allocates_no_network(tmp_path):
    # A local file of a tiny resnet, asked to load as ngf=256: checked on the meta device first.
    path = tmp_path / "g.pth"
    torch.save(define_G("resnet_3blocks", "instance", 8).state_dict(), path)
    built = []

    def make():
        net = define_G("resnet_3blocks", "instance", 256)
        built.append(next(net.parameters()).device.type)
        return net

    with pytest.raises(UserError, match="wrong shape"):
        weights.fit_new(make, weights.read(path)[0], "g.pth")
    assert built == ["meta"]
    fitted = weights.fit_new(lambda: define_G("resnet_3blocks", "instance", 8), weights.read(path)[0], "g.pth")
    assert not any(t.is_meta for t in (*fitted.parameters(), *fitted.buffers()))
    assert torch.equal(fitted.state_dict()["model.1.weight"], torch.load(path)["model.1.weight"])
    with pytest.raises(UserError, match="ngf \\(the generator's width\\) must be a whole number between 1 and 256"):
        inference.load_model(str(path), arch="resnet_3blocks", norm="instance", ngf=100_000)
    with pytest.raises(UserError, match="ResNet blocks in resnet_99999blocks"):
        define_G("resnet_99999blocks", "instance", 8)


def test_weights_zip_bomb_is_refused_from_its_directory(tmp_path, monkeypatch):
    p = tmp_path / "bomb.pth"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        z.writestr("archive/data/0", bytes(64 * 2**20))
    monkeypatch.setattr(weights, "MAX_WEIGHTS_BYTES", 32 * 2**20)
    monkeypatch.setattr(weights.torch, "load", lambda *a, **k: pytest.fail("torch.load ran"))
    with pytest.raises(UserError, match="unpacks to 64.0 MB; a translation model needs at most 32.0 MB"):
        weights.read(p)


def test_npz_declaring_gigabytes_is_refused_from_its_header(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False,
                                                  "shape": (100_000, 256, 256, 3)})
    p = tmp_path / "bomb.npz"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("A.npy", header.getvalue())
        z.writestr("B.npy", header.getvalue())
    with pytest.raises(UserError, match="'A' unpacks to 18.3 GB; at most 2 GB"):
        data.load_npz(p)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(UserError, match="not a readable .npz"):
        data.load_npz(tmp_path / "junk.npz")
