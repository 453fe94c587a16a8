"""Contact sheets of the bundled face DCGAN, for choosing arithmetic presets by eye.

    python scripts/dcgan_contact_sheet.py --seeds 0 1 2 3 --out sheets/
    python scripts/dcgan_contact_sheet.py --presets --out sheets/

The first form writes one labelled 6x6 sheet per seed (captions are the "seed:index" names the tab
uses). The second renders every preset of ``playground.dcgan.lab.PRESETS`` as exemplars of A, B, C
followed by the result, which is how the presets were checked to show their attribute.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground.images import grid, upscale  # noqa: E402
from playground.dcgan.lab import PRESETS, Renderer, arithmetic_update, parse_refs  # noqa: E402
from playground.dcgan.pretrained import load_bundled_generator  # noqa: E402


def seed_sheet(renderer: Renderer, seed: int, n: int = 36, cols: int = 6, size: int = 96) -> Image.Image:
    refs = [f"{seed}:{i}" for i in range(n)]
    imgs = renderer.render_refs(refs)
    rows = -(-n // cols)
    sheet = Image.new("RGB", (cols * size, rows * (size + 14)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (ref, im) in enumerate(zip(refs, imgs)):
        r, c = divmod(i, cols)
        sheet.paste(Image.fromarray(im).resize((size, size), Image.BICUBIC), (c * size, r * (size + 14)))
        draw.text((c * size + 2, r * (size + 14) + size), ref, fill="black")
    return sheet


def preset_sheet(renderer: Renderer) -> np.ndarray:
    rows = []
    for p in PRESETS.values():
        a, b, c = (parse_refs(p[k]) for k in "ABC")
        res = arithmetic_update(renderer, a, b, c)
        imgs = np.concatenate([renderer.render_refs(a + b + c), res.result[None]])
        rows.append(grid(imgs, ncols=len(imgs), pad=2))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    return upscale(np.concatenate(rows, axis=0), 2)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2, 3])
    ap.add_argument("--presets", action="store_true", help="render the presets instead of seed sheets")
    ap.add_argument("--out", type=Path, default=Path("dcgan_sheets"))
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    renderer = Renderer(load_bundled_generator("cpu"))
    if args.presets:
        path = args.out / "presets.png"
        Image.fromarray(preset_sheet(renderer)).save(path)
        print(f"wrote {path}")
        return
    for seed in args.seeds:
        path = args.out / f"seed_{seed}.png"
        seed_sheet(renderer, seed).save(path)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
