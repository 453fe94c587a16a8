"""Rebuild the bundled translation models: data -> training -> fp16 safetensors + manifest entries.

    python scripts/translation_train_bundled.py                 # everything (hours on 2 CPU cores)
    python scripts/translation_train_bundled.py --export-only   # re-export from runs/translation_train

Recipes (the ones the shipped files were made with) are in RECIPES; the measured held-out metrics
are written into pretrained/manifest.json next to each entry.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playground.files import PRETRAINED_DIR as PRETRAINED  # noqa: E402
from playground.translation import weights  # noqa: E402

DATA = ROOT / "runs" / "translation_data"
RUNS = ROOT / "runs" / "translation_train"

# Each run is one or more phases; a later phase starts from the previous phase's networks (`init`).
# `stop_after` reproduces a phase stopped by hand before its LR decay began (the shared 2-core CPU
# was slower than planned); the schedule still assumes `steps`.
RECIPES = {
    "edges2face": [
        dict(task="pix2pix", data="edges2face.npz", netG="unet_64", ngf=24, ndf=24, steps=5000, stop_after=2000,
             batch_size=16),
        # Phase 2: the same faces drawn with varying detail, so sparse hand drawings work too.
        dict(task="pix2pix", data="edges2face_mixed.npz", netG="unet_64", ngf=24, ndf=24, steps=2000,
             batch_size=16, init="phase1"),
    ],
    "gray2color": [
        dict(task="pix2pix", data="gray2color.npz", netG="unet_64", ngf=16, ndf=16, steps=2000, batch_size=16),
        # Phase 2: a second schedule (constant, then linear decay) from phase 1's networks.
        dict(task="pix2pix", data="gray2color.npz", netG="unet_64", ngf=16, ndf=16, steps=1500, batch_size=16,
             init="phase1"),
    ],
    "face_sketch": [
        # Sketches are shaded pencil sketches (data.pencil_sketch, shade 0.5); a first model trained on
        # line-only colour-dodge sketches could not recover faces from them (no better than the mean face).
        dict(task="cyclegan", data="face_sketch.npz", netG="resnet_3blocks", ngf=16, ndf=16, steps=9000, batch_size=4),
    ],
}
COMMON = dict(lr=2e-4, beta1=0.5, lambda_L1=100.0, lambda_cyc=10.0, lambda_idt=0.5, pool_size=50, n_layers_D=3,
              threads=1, data_faces=4000)

ENTRIES = {
    "edges2face": dict(kind="pix2pix", run="edges2face", input_kind="edges", generator="G",
                       discriminator={"prefix": "D", "n_layers": 3},
                       description="edge drawing -> face (pix2pix, 64x64)", input_nc=1, output_nc=3),
    "gray2color": dict(kind="pix2pix", run="gray2color", input_kind="gray", generator="G",
                       discriminator={"prefix": "D", "n_layers": 3},
                       description="grayscale face -> colour (pix2pix, 64x64)", input_nc=1, output_nc=3),
    "face2sketch": dict(kind="cyclegan", run="face_sketch", input_kind="rgb", generator="G_A", back="G_B",
                        description="face photo -> pencil sketch (CycleGAN, unpaired, 64x64)", input_nc=3, output_nc=3),
    "sketch2face": dict(kind="cyclegan", run="face_sketch", input_kind="sketch", generator="G_B", back="G_A",
                        description="pencil sketch -> face (CycleGAN, unpaired, 64x64)", input_nc=3, output_nc=3),
}


def train_all() -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "translation_make_data.py"), "--out", str(DATA),
                    "--n", str(COMMON["data_faces"])], check=True)
    for run, phases in RECIPES.items():
        for i, phase in enumerate(phases, 1):
            out = RUNS / run if i == len(phases) else RUNS / f"{run}_phase{i}"
            args = [sys.executable, "-m", "playground.translation", "train", "--name", run, "--out", str(out),
                    "--threads", "1"]
            for k, v in phase.items():
                if k == "data":
                    v = DATA / v
                elif k == "init":
                    v = RUNS / f"{run}_{v}" / f"{run}.safetensors"
                args += [f"--{k}", str(v)]
            subprocess.run(args, check=True, cwd=ROOT)


def export(run: str, keep_prefixes: tuple[str, ...]) -> tuple[Path, dict]:
    src = RUNS / run / f"{run}.safetensors"
    tensors, meta = weights.read(src)
    cfg = weights.safetensors_config(meta)
    out = {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in tensors.items()
           if k.split(".", 1)[0] in keep_prefixes}
    dest = PRETRAINED / f"translation_{run}.safetensors"
    save_file(out, str(dest), metadata={"config": json.dumps(cfg), "step": meta.get("step", "")})
    return dest, {**cfg, "trained_steps": int(meta.get("step", 0) or 0)}


def update_manifest(entries: dict[str, dict]) -> None:
    """Add/replace our entries (keys ``translation_*``), keeping everyone else's."""
    path = PRETRAINED / "manifest.json"
    manifest = json.loads(path.read_text()) if path.exists() else {}
    manifest.setdefault("models", {}).update(entries)
    path.write_text(json.dumps(manifest, indent=2) + "\n")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--export-only", action="store_true")
    p.add_argument("--no-metrics", action="store_true")
    p.add_argument("--only", default="", help="comma-separated runs to export (default: all), e.g. face_sketch")
    args = p.parse_args(argv)
    only = {r.strip() for r in args.only.split(",") if r.strip()}
    if not args.export_only:
        train_all()
    files = {}
    entries = {}
    for name, e in ENTRIES.items():
        run = e["run"]
        if only and run not in only:
            continue
        if not (RUNS / run / f"{run}.safetensors").exists():
            print(f"skipping {name}: no checkpoint in {RUNS / run}")
            continue
        if run not in files:
            keep = ("G", "D") if e["kind"] == "pix2pix" else ("G_A", "G_B")
            files[run] = export(run, keep)
        dest, cfg = files[run]
        data = dest.read_bytes()
        entry = {
            "name": name, "area": "translation", "file": dest.name, "kind": e["kind"],
            "description": e["description"], "arch": cfg["netG"],
            "norm": cfg["norm"] or ("batch" if e["kind"] == "pix2pix" else "instance"), "ngf": cfg["ngf"],
            "input_nc": e["input_nc"], "output_nc": e["output_nc"], "size": 64, "input_kind": e["input_kind"],
            "generator": e["generator"], "use_dropout": bool(cfg["use_dropout"]) and e["kind"] == "pix2pix",
            "dtype": "float16", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "license": "MIT (this project); trained on faces from pretrained/dcgan_faces.safetensors",
            "recipe": {"phases": RECIPES[run], **COMMON, "last_phase_steps_done": cfg["trained_steps"],
                       "data_seed": {"edges2face": 1001, "gray2color": 1002, "face_sketch": 1003}[run],
                       "rebuild": "python scripts/translation_train_bundled.py"},
        }
        if e.get("back"):
            entry["back"] = e["back"]
        if e.get("discriminator"):
            entry["discriminator"] = {**e["discriminator"], "ndf": cfg["ndf"]}
        entries[f"translation_{name}"] = entry
    update_manifest(entries)
    if not args.no_metrics:
        from playground.translation import evaluate, inference

        inference._load_bundled.cache_clear()
        for n in ("edges2face", "gray2color"):
            if f"translation_{n}" in entries:
                m = evaluate.evaluate_paired(n, n=256)
                entries[f"translation_{n}"]["metrics"] = {**m, "units": "mean |x - y| in [0, 1] pixels"}
        if "translation_face2sketch" in entries:
            cyc = evaluate.evaluate_cycle(n=256)
            for n in ("face2sketch", "sketch2face"):
                entries[f"translation_{n}"]["metrics"] = {**cyc, "units": "mean |x - y| in [0, 1] pixels"}
        update_manifest(entries)
        print(json.dumps({k: v["metrics"] for k, v in entries.items()}, indent=1))
    for n, e in entries.items():
        print(n, e["file"], e["bytes"], "bytes")


if __name__ == "__main__":
    main()
