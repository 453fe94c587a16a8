"""Loading weights: official layout quirks, clear errors, no code execution, and the zoo downloader."""

import functools
import hashlib
import http.server
import json
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from playground.errors import UserError
from playground.translation import inference, weights, zoo
from playground.translation.networks import define_G

SMALL = dict(name="resnet_3blocks", norm="instance", ngf=8)


def _official_style_file(path: Path, net, prefix="module.", instance_stats=True):
    """A state_dict as old official checkpoints look: DataParallel prefix + InstanceNorm running stats."""
    sd = {prefix + k: v.clone() for k, v in net.state_dict().items()}
    if instance_stats:
        for name, m in net.named_modules():
            if isinstance(m, torch.nn.InstanceNorm2d):
                sd[f"{prefix}{name}.running_mean"] = torch.zeros(m.num_features)
                sd[f"{prefix}{name}.running_var"] = torch.ones(m.num_features)
    torch.save(sd, path)
    return path


def test_official_quirks_are_patched_and_weights_equal(tmp_path):
    src = define_G(**SMALL)
    path = _official_style_file(tmp_path / "latest_net_G.pth", src)
    model = inference.load_model(str(path), arch="resnet_3blocks", norm="instance", ngf=8)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(model.G(x), src.eval()(x), atol=1e-5)  # channels_last reorders sums


def test_batchnorm_file_without_step_counter_loads(tmp_path):
    src = define_G("unet_64", "batch", 4)
    sd = {k: v for k, v in src.state_dict().items() if not k.endswith("num_batches_tracked")}  # PyTorch < 0.4
    net = weights.fit_state_dict(define_G("unet_64", "batch", 4), sd)
    assert torch.equal(net.state_dict()["model.model.0.weight"], sd["model.model.0.weight"])


def test_wrong_keys_are_named(tmp_path):
    sd = define_G(**SMALL).state_dict()
    sd["model.99.weight"] = torch.zeros(3)
    del sd["model.1.weight"]
    with pytest.raises(UserError) as e:
        weights.fit_state_dict(define_G(**SMALL), sd, "file.pth")
    msg = str(e.value)
    assert "1 missing keys, e.g. model.1.weight" in msg
    assert "1 unexpected keys, e.g. model.99.weight" in msg


def test_wrong_shapes_are_named_with_a_guess(tmp_path):
    path = _official_style_file(tmp_path / "g.pth", define_G("resnet_3blocks", "instance", 16), prefix="")
    with pytest.raises(UserError) as e:
        inference.load_model(str(path), arch="resnet_3blocks", norm="instance", ngf=8)
    msg = str(e.value)
    assert "wrong shape" in msg and "model.1.weight (16, 3, 7, 7) (expected (8, 3, 7, 7))" in msg
    assert "looks like resnet_3blocks (norm instance, ngf 16)" in msg


def test_wrong_architecture_is_explained(tmp_path):
    path = _official_style_file(tmp_path / "g.pth", define_G("unet_64", "batch", 4), prefix="")
    with pytest.raises(UserError, match="looks like unet_64"):
        inference.load_model(str(path), arch="resnet_9blocks", norm="instance")


class Exploit:
    def __reduce__(self):
        return (Path.touch, (Path(self.target),))


def test_pickle_with_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    bad = Exploit()
    bad.target = str(marker)
    path = tmp_path / "evil.pth"
    torch.save({"model.1.weight": torch.zeros(1), "payload": bad}, path)
    with pytest.raises(UserError, match="refused"):
        weights.read(path)[0]
    assert not marker.exists()


def test_not_a_state_dict(tmp_path):
    path = tmp_path / "list.pth"
    torch.save([1, 2, 3], path)
    with pytest.raises(UserError, match="does not hold a state_dict"):
        weights.read(path)[0]
    (tmp_path / "junk.pth").write_bytes(b"not a zip")
    with pytest.raises(UserError, match="not a readable"):
        weights.read(tmp_path / "junk.pth")


def test_guess_architecture_of_official_layouts():
    g = weights.guess_architecture(define_G("unet_128", "batch", 8).state_dict())
    assert g == {"arch": "unet_128", "norm": "batch", "ngf": 8, "input_nc": 3, "output_nc": 3}
    g = weights.guess_architecture({"module." + k: v for k, v in define_G("resnet_6blocks", "instance", 8).state_dict().items()})
    assert g["arch"] == "resnet_6blocks" and g["norm"] == "instance"


# ----------------------------------------------------------------------------- zoo
@pytest.fixture
def served(tmp_path):
    """A local HTTP server with one official-layout file, and a small zoo entry pointing at it."""
    root = tmp_path / "www"
    root.mkdir()
    _official_style_file(root / "tiny.pth", define_G(**SMALL))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/tiny.pth"
    yield root / "tiny.pth", url
    server.shutdown()


@pytest.fixture
def tiny_zoo(monkeypatch, tmp_path):
    entry = zoo.ZooModel("tiny_test", "cyclegan", "tiny", "test", "resnet_3blocks", "instance", ngf=8, size=32)
    monkeypatch.setitem(zoo.MODELS, "tiny_test", entry)
    monkeypatch.setenv("PLAYGROUND_ZOO_DIR", str(tmp_path / "cache"))
    return entry


def test_download_progress_record_and_load(served, tiny_zoo, tmp_path, monkeypatch):
    src, url = served
    seen = []
    path = zoo.fetch("tiny_test", progress=lambda d, t: seen.append((d, t)), url=url)
    assert path == tmp_path / "cache" / "cyclegan_tiny.pth"
    size = src.stat().st_size
    assert seen[0] == (0, size) and seen[-1] == (size, size)
    rec = json.loads((path.parent / (path.name + ".sha256")).read_text())
    assert rec == {"bytes": size, "sha256": hashlib.sha256(src.read_bytes()).hexdigest(), "url": url}
    # Loaded by name through the same path the UI uses (the official URL is never contacted: cached).
    monkeypatch.setattr(zoo.ZooModel, "url", property(lambda self: "http://127.0.0.1:9/unreachable"))
    model = inference.load_model("tiny_test")
    out = inference.translate(model, np.random.rand(40, 50, 3))
    assert out["output"].shape == (32, 32, 3)


def test_file_url_and_tampering_detected(served, tiny_zoo):
    src, _ = served
    path = zoo.fetch("tiny_test", url=src.as_uri())
    with open(path, "ab") as f:
        f.write(b"\0")
    with pytest.raises(UserError, match="have changed since they were downloaded"):
        zoo.fetch("tiny_test", url=src.as_uri())


def test_known_checksum_mismatch_discards_download(served, tiny_zoo, monkeypatch, tmp_path):
    _, url = served
    monkeypatch.setitem(zoo.KNOWN_SHA256, "tiny_test", "0" * 64)
    with pytest.raises(UserError, match="not the known"):
        zoo.fetch("tiny_test", url=url)
    assert not any((tmp_path / "cache").iterdir())


def test_offline_says_which_file_to_place_where_without_the_servers_path(tiny_zoo, tmp_path):
    with pytest.raises(UserError) as e:
        zoo.fetch("tiny_test", url="http://127.0.0.1:9/tiny.pth", timeout=5)
    msg = str(e.value)
    assert msg.startswith("Could not download the cyclegan model tiny_test from http://127.0.0.1:9/tiny.pth (")
    assert "save it as cyclegan_tiny.pth in the zoo cache folder ($PLAYGROUND_ZOO_DIR" in msg
    assert str(tmp_path) not in msg and str(Path.home()) not in msg  # the page shows this message
    assert not (tmp_path / "cache" / "cyclegan_tiny.pth.part").exists()


def test_a_changed_cached_file_is_named_without_the_servers_path(served, tiny_zoo, tmp_path):
    src, _ = served
    path = zoo.fetch("tiny_test", url=src.as_uri())
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(UserError) as e:
        zoo.fetch("tiny_test", url=src.as_uri())
    msg = str(e.value)
    assert msg.startswith("The tiny_test weights (cyclegan_tiny.pth) have changed since they were downloaded")
    assert "Delete cyclegan_tiny.pth and cyclegan_tiny.pth.sha256 from the zoo cache folder" in msg
    assert str(tmp_path) not in msg


def test_official_zoo_entries():
    assert zoo.MODELS["horse2zebra"].url == "http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models/horse2zebra.pth"
    assert zoo.MODELS["edges2shoes"].url == "http://efrosgans.eecs.berkeley.edu/pix2pix/models-pytorch/edges2shoes.pth"
    for m in zoo.MODELS.values():
        assert (m.arch, m.norm) == (("unet_256", "batch") if m.kind == "pix2pix" else ("resnet_9blocks", "instance"))
    with pytest.raises(UserError, match="Unknown zoo model"):
        zoo.get("cat2dog")
