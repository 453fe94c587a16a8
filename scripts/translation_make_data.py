"""Make the training and held-out sets of the bundled translation models from the bundled DCGAN.

    python scripts/translation_make_data.py --out runs/translation_data [--n 4000]

Writes edges2face.npz, gray2color.npz (paired: A = transform(face), B = face) and
face_sketch.npz (unpaired: A = faces, B = pencil sketches of *other* faces, 3 channels), each
from its own z seed. The tests make their held-out pairs from different seeds (see
tests/translation), so no held-out face was ever seen in training.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground.translation import data  # noqa: E402

SEEDS = {"edges2face": 1001, "gray2color": 1002, "face_sketch": 1003}
EDGE_DETAIL = [(1.2, 0.12), (1.6, 0.08), (2.0, 0.05)]  # (blur sigma, fraction of pixels kept as edges)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="runs/translation_data")
    p.add_argument("--n", type=int, default=4000)
    p.add_argument("--only", choices=["edges2face_mixed"], help="make just this set")
    args = p.parse_args(argv)
    out = Path(args.out)
    if args.only == "edges2face_mixed":
        faces = data.make_faces(args.n, SEEDS["edges2face"])
        thirds = np.array_split(np.arange(args.n), 3)
        edges = np.concatenate([data.edge_map(faces[idx], sigma=s, keep=k) for idx, (s, k) in zip(thirds, EDGE_DETAIL)])
        data.save_npz(out / "edges2face_mixed.npz", edges, faces, paired=True, seed=SEEDS["edges2face"],
                      task="edges2face", detail=EDGE_DETAIL)
        return
    for task in ("edges2face", "gray2color"):
        a, b = data.make_paired(task, args.n, SEEDS[task])
        data.save_npz(out / f"{task}.npz", a, b, paired=True, seed=SEEDS[task], task=task)
        print(task, a.shape, b.shape)
    # Phase-2 data for edges2face: the same faces, drawn with varying detail (a person's sketch has
    # fewer lines than an edge detector finds), so the model also answers sparse drawings.
    faces = data.make_faces(args.n, SEEDS["edges2face"])
    thirds = np.array_split(np.arange(args.n), 3)
    edges = np.concatenate([data.edge_map(faces[idx], sigma=s, keep=k)
                            for idx, (s, k) in zip(thirds, EDGE_DETAIL)])
    data.save_npz(out / "edges2face_mixed.npz", edges, faces, paired=True, seed=SEEDS["edges2face"],
                  task="edges2face", detail=EDGE_DETAIL)
    print("edges2face_mixed", edges.shape)
    faces, sketches = data.make_unpaired_sketch(args.n, SEEDS["face_sketch"])
    sketches = np.repeat(sketches, 3, axis=-1)  # 3 channels so the identity loss applies
    data.save_npz(out / "face_sketch.npz", faces, sketches, paired=False, seed=SEEDS["face_sketch"], task="face_sketch")
    print("face_sketch", faces.shape, sketches.shape)


if __name__ == "__main__":
    main()
