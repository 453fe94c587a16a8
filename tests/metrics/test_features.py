"""Agreement with the reference definitions, the network used directly, and the IS weights loader."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from playground.errors import UserError
from playground.metrics import assets, compute_metrics
from playground.metrics.compute import is_splits
from playground.metrics.features import FeatureCache, extract_features, preprocess
from playground.metrics.inception import FIDInceptionV3, build_is_network, load_is_network
from playground.metrics.io import load_image_set
from tests.metrics.test_maths import torch_fidelity_is

ROOT = Path(__file__).resolve().parents[2]


def tf1_bilinear_reference(img: np.ndarray, out: int) -> np.ndarray:
    """TF1 resize_bilinear(align_corners=False), written out: source = i * in / out, edges clamped."""
    h, w, _ = img.shape
    res = np.zeros((out, out, 3))
    for i in range(out):
        sy = i * h / out
        y0 = int(np.floor(sy))
        y1, fy = min(y0 + 1, h - 1), sy - y0
        for j in range(out):
            sx = j * w / out
            x0 = int(np.floor(sx))
            x1, fx = min(x0 + 1, w - 1), sx - x0
            top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
            bot = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
            res[i, j] = top * (1 - fy) + bot * fy
    return res


@pytest.fixture(scope="module")
def odd_image():
    return (np.random.RandomState(0).rand(37, 53, 3) * 255).astype(np.uint8)


def test_clean_mode_is_pil_bicubic_on_float_channels(odd_image):
    ref = np.stack(
        [
            np.asarray(
                Image.fromarray(odd_image[..., c].astype(np.float32)).resize((299, 299), Image.BICUBIC)
            )
            for c in range(3)
        ]
    )
    ref = (np.clip(ref, 0, 255) - 128) / 128
    got = preprocess(odd_image, "clean").numpy()
    assert np.abs(got - ref).max() < 1e-6
    # no quantisation to 8 bits after the resize (clean-fid's quantize_after=False)
    assert np.abs(got * 128 + 128 - np.round(got * 128 + 128)).max() > 0.1


def test_legacy_tensorflow_mode_is_tf1_bilinear(odd_image):
    small = odd_image[:9, :13]
    from playground.metrics.features import resize_tf1_bilinear

    t = torch.from_numpy(small.transpose(2, 0, 1)).float()[None]
    got = resize_tf1_bilinear(t, size=29)[0].numpy().transpose(1, 2, 0)
    assert np.abs(got - tf1_bilinear_reference(small.astype(np.float64), 29)).max() < 1e-3
    full = preprocess(odd_image, "legacy_tensorflow").numpy().transpose(1, 2, 0)
    ref = (tf1_bilinear_reference(odd_image.astype(np.float64), 299) - 128) / 128
    assert np.abs(full - ref).max() < 1e-5


def test_legacy_pytorch_mode_is_torch_bilinear_like_pytorch_fid(odd_image):
    x = torch.from_numpy(odd_image.transpose(2, 0, 1)).float()[None] / 255  # ToTensor()
    ref = 2 * F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False) - 1
    assert torch.allclose(preprocess(odd_image, "legacy_pytorch"), ref[0], atol=1e-6)


def test_features_equal_the_network_called_directly(tmp_path, fid_net, make_images):
    # 299×299 images need no resize: clean and legacy_tensorflow must give the network's own output.
    folder = tmp_path / "sq"
    make_images(folder, 2, seed=3, size=(299, 299))
    arrays = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(folder.iterdir())]
    x = (torch.from_numpy(np.stack(arrays).transpose(0, 3, 1, 2)).float() - 128) / 128
    with torch.inference_mode():
        direct = fid_net(x).double().numpy()
    images = load_image_set(folder)
    cache = FeatureCache(tmp_path / "cache")
    res = extract_features(images, "clean", fid_net, "fid-ts", batch_size=2, cache=cache)
    assert res.features.shape == (2, 2048) and res.names == ["img_00.png", "img_01.png"]
    assert np.abs(res.features - direct).max() < 1e-5
    # cached by content: a copy of the folder under another name is not recomputed
    copy = tmp_path / "copy"
    copy.mkdir()
    for p in folder.iterdir():
        (copy / ("x" + p.name)).write_bytes(p.read_bytes())
    again = extract_features(
        load_image_set(copy), "clean", fid_net, "fid-ts", cache=FeatureCache(tmp_path / "cache")
    )
    assert again.cached and np.array_equal(again.features, res.features)


def tf_weights_in_is_layout(fid_net) -> dict:
    """The FID TorchScript's (TF) weights under our pytorch-fid-layout names (all but the fc layer)."""
    sd = fid_net.state_dict()
    src = [k[: -len(".weight")] for k in sd if k.endswith(".weight")]
    dst = [k[: -len(".conv.weight")] for k in FIDInceptionV3().state_dict() if k.endswith("conv.weight")]
    assert len(src) == len(dst) == 94
    new = {}
    for s, d in zip(src, dst):
        new[d + ".conv.weight"] = sd[s + ".weight"]
        new[d + ".bn.weight"] = torch.ones_like(sd[s + ".beta"])  # TF batch norm without scale
        new[d + ".bn.bias"] = sd[s + ".beta"]
        new[d + ".bn.running_mean"] = sd[s + ".mean"]
        new[d + ".bn.running_var"] = sd[s + ".var"]
    return new


def test_is_network_definition_reproduces_the_fid_torchscript(fid_net):
    """Map the TorchScript's (TF) weights into our pytorch-fid-layout definition: same pool3 features.

    This checks the whole IS network definition except the 1008-class layer, which the TorchScript lacks.
    """
    net = FIDInceptionV3().eval()
    missing, unexpected = net.load_state_dict(tf_weights_in_is_layout(fid_net), strict=False)
    assert not unexpected and all(k.startswith("fc.") or k.endswith("num_batches_tracked") for k in missing)
    x = torch.rand(1, 3, 299, 299) * 2 - 1
    with torch.inference_mode():
        ours, logits = net(x)
        theirs = fid_net(x)
    assert logits.shape == (1, 1008)
    assert torch.allclose(ours, theirs, atol=1e-4, rtol=1e-4)


# ------------------------------------------------------------------------------ IS weights loader


@pytest.fixture(scope="module")
def random_is_weights(tmp_path_factory):
    torch.manual_seed(0)
    net = FIDInceptionV3()
    state = {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    p = tmp_path_factory.mktemp("isw") / "random_inception.pth"
    torch.save(state, p)
    return p


def test_is_weights_size_and_checksum_mismatch_are_reported(random_is_weights, monkeypatch):
    with pytest.raises(assets.WeightsUnavailable, match="95,628,359"):
        assets.is_weights_path(random_is_weights)
    monkeypatch.setattr(assets, "IS_WEIGHTS_SIZE", random_is_weights.stat().st_size)
    with pytest.raises(assets.WeightsUnavailable, match="sha256"):
        assets.is_weights_path(random_is_weights)


def test_is_weights_offline_message(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_CACHE", str(tmp_path))
    monkeypatch.delenv("PLAYGROUND_IS_WEIGHTS", raising=False)
    with pytest.raises(assets.WeightsUnavailable, match="could not be downloaded") as exc:
        assets.is_weights_path(url="http://127.0.0.1:9/pt_inception.pth")
    assert "FID, KID and precision/recall do not need them" in str(exc.value)
    assert not list(tmp_path.glob("*.pth")) and not list(tmp_path.glob("*.part"))


@pytest.fixture(scope="module")
def real_is_weights(fid_net, tmp_path_factory):
    """A state_dict of pytorch-fid's layout with the real TF Inception body (from the FID TorchScript)
    and a seeded random 1008-class layer: real pool3 features, varied and confident predictions."""
    state = tf_weights_in_is_layout(fid_net)
    g = torch.Generator().manual_seed(0)
    state["fc.weight"] = torch.randn(1008, 2048, generator=g) * 0.5
    state["fc.bias"] = torch.zeros(1008)
    p = tmp_path_factory.mktemp("isw") / "tf_body_random_fc.pth"
    torch.save(state, p)
    return p


def test_is_loader_and_score_on_real_network_logits(real_is_weights, monkeypatch, tmp_path, make_images):
    """IS on 10 images used to be exactly 1 (10 splits of one image); now one split, as torch-fidelity
    would compute it with splits=1, from the logits of the network itself."""
    monkeypatch.setattr(assets, "IS_WEIGHTS_SHA256", assets.sha256_file(real_is_weights))
    monkeypatch.setattr(assets, "IS_WEIGHTS_SIZE", real_is_weights.stat().st_size)
    net = load_is_network("cpu", path=real_is_weights)
    assert load_is_network("cpu", path=real_is_weights) is net  # cached per process
    bad = tmp_path / "bad.pth"
    torch.save({"fc.weight": torch.zeros(1008, 2048)}, bad)
    with pytest.raises(assets.WeightsUnavailable, match="layout"):
        build_is_network(bad)
    gen, real = tmp_path / "g", tmp_path / "r"
    make_images(gen / "a", 5, seed=4, size=(24, 24))
    make_images(gen / "b", 5, seed=6, size=(24, 24), kind="smooth")
    make_images(real, 3, seed=5, size=(24, 24), kind="smooth")
    report = compute_metrics(
        gen, real, metrics="fid,is", mode="clean", device="cpu", is_weights=real_is_weights
    )
    v, logits = report.values, report.fake.logits
    assert logits.shape == (10, 1008)
    first = load_image_set(gen).images[:2]
    x = torch.stack([preprocess(np.asarray(Image.open(r.path).convert("RGB")), "clean") for r in first])
    with torch.inference_mode():
        direct = net(x)[1].double().numpy()
    assert np.abs(logits[:2] - direct).max() < 1e-3  # the network's own logits
    ref_mean, _ = torch_fidelity_is(logits, splits=1)
    assert v["is_splits"] == 1 and v["is_split_size"] == 10
    assert v["is_mean"] == pytest.approx(ref_mean, rel=1e-9) and v["is_std"] == 0.0
    assert 2.0 < v["is_mean"] <= 10.0  # a split of 10 images cannot score above 10
    assert torch_fidelity_is(logits, splits=10)[0] == pytest.approx(1.0)  # the old setting, for any network
    assert any("1 split of about 10" in n and "cap it at 1" in n for n in report.notes)


@pytest.mark.parametrize("n, splits", [(10, 1), (99, 1), (100, 2), (499, 9), (500, 10), (50_000, 10)])
def test_is_splits_keep_at_least_50_images_each(n, splits):
    assert is_splits(n) == splits


def test_compute_without_is_weights_still_gives_fid(two_sets, tmp_path, monkeypatch, fid_network_file):
    monkeypatch.setenv("PLAYGROUND_FID_NETWORK", str(fid_network_file))
    monkeypatch.setenv("PLAYGROUND_CACHE", str(tmp_path / "empty-cache"))
    a, b = two_sets
    report = compute_metrics(
        a, b, metrics="fid,kid,is,pr", mode="legacy_tensorflow", device="cpu", download=False
    )
    out = report.as_dict()
    assert out["mode"] == "legacy_tensorflow" and out["n_fake"] == 3 and out["n_real"] == 3
    assert out["fid"] > 0 and "is_mean" not in out and out["kid_mean"] is not None
    assert any("Inception Score needs" in n for n in out["notes"])


def test_empty_and_single_image_sets_are_clear_errors(tmp_path, fid_net, make_images):
    make_images(tmp_path / "one", 1, seed=0)
    (tmp_path / "empty").mkdir()
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "x.png").write_bytes(b"nope")
    with pytest.raises(UserError, match="no usable images"):
        compute_metrics(tmp_path / "empty", tmp_path / "one", metrics="fid", device="cpu")
    with pytest.raises(UserError, match="only 1 usable image"):
        compute_metrics(tmp_path / "one", tmp_path / "one", metrics="fid", device="cpu")
    with pytest.raises(UserError, match="no usable images.*x.png: could not be decoded"):
        compute_metrics(tmp_path / "corrupt", tmp_path / "one", metrics="fid", device="cpu")


def test_cli_json_cache_and_stats_roundtrip(two_sets, tmp_path, fid_network_file, monkeypatch, capsys):
    a, b = two_sets
    env = {
        "PLAYGROUND_CACHE": str(tmp_path / "cache"),
        "PLAYGROUND_FID_NETWORK": str(fid_network_file),
        "PATH": "/usr/bin:/bin",
    }
    stats = tmp_path / "real.npz"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "playground.metrics",
            str(a),
            str(b),
            "--metrics",
            "fid,kid,pr",
            "--mode",
            "clean",
            "--json",
            "--save-stats",
            str(stats),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["mode"] == "clean" and out["n_real"] == 3 and out["n_fake"] == 3
    assert set(out) >= {"fid", "kid_mean", "kid_std", "notes", "skipped"}
    assert "img/s" in r.stderr  # the progress bar
    assert len(list((tmp_path / "cache" / "features").glob("*.npz"))) == 2
    with np.load(stats) as f:
        assert f["mu"].shape == (2048,) and f["sigma"].shape == (2048, 2048)
    # In-process from here (cheaper): the saved reference statistics give the same FID, from the cache.
    from playground.metrics.__main__ import main

    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert main([str(a), str(stats), "--metrics", "fid", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fid"] == pytest.approx(out["fid"], rel=1e-6)
    # one input + --save-stats: only the statistics (features come from the cache)
    alone = tmp_path / "alone.npz"
    assert main([str(b), "--save-stats", str(alone), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 3
    with np.load(stats) as f, np.load(alone) as g:
        assert np.allclose(f["mu"], g["mu"]) and np.allclose(f["sigma"], g["sigma"])
    assert main([str(tmp_path / "missing"), str(b), "--json"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err
