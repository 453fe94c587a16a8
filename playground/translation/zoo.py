"""The official pretrained pix2pix and CycleGAN generators, downloaded on demand.

URLs are those of the official download scripts of junyanz/pytorch-CycleGAN-and-pix2pix:

* ``scripts/download_pix2pix_model.sh``: ``http://efrosgans.eecs.berkeley.edu/pix2pix/models-pytorch/$FILE.pth``
  (edges2shoes, sat2map, map2sat, facades_label2photo, day2night) - ``unet_256``, batch norm.
* ``scripts/download_cyclegan_model.sh``: ``http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models/$FILE.pth``
  - ``resnet_9blocks``, instance norm, no dropout.

Each file is a plain generator state_dict (the official ``latest_net_G.pth``). Nobody publishes
their sha256, so :func:`fetch` does trust-on-first-use: it records the size and sha256 of the first
complete download next to the file (``NAME.pth.sha256``) and verifies the file against them on every
later load; a hash listed in :data:`KNOWN_SHA256` (fill it in once you have verified a file) is
checked even on the first download. Offline, the error says which file to put where: by its name and
the setting that chooses the folder, never by the server's own path (the page shows these messages).
"""

from __future__ import annotations

import json
import os
import socket
import urllib.error
from dataclasses import dataclass
from pathlib import Path

from playground.files import DownloadError, Progress, cache_root, download, sha256_file
from playground.errors import UserError

PIX2PIX_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/models-pytorch/{file}.pth"
CYCLEGAN_URL = "http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models/{file}.pth"



@dataclass(frozen=True)
class ZooModel:
    name: str  # our name (unique); the official file name is `file`
    kind: str  # pix2pix | cyclegan
    file: str
    description: str
    arch: str
    norm: str
    ngf: int = 64
    input_nc: int = 3
    output_nc: int = 3
    size: int = 256  # the official test resolution

    @property
    def url(self) -> str:
        return (PIX2PIX_URL if self.kind == "pix2pix" else CYCLEGAN_URL).format(file=self.file)

    @property
    def filename(self) -> str:
        return f"{self.kind}_{self.file}.pth"


def _p2p(file, desc):
    return ZooModel(file, "pix2pix", file, desc, "unet_256", "batch")


def _cyc(file, desc, name=None):
    return ZooModel(name or file, "cyclegan", file, desc, "resnet_9blocks", "instance")


MODELS: dict[str, ZooModel] = {m.name: m for m in [
    _p2p("facades_label2photo", "facade label map -> photo (CMP Facades)"),
    _p2p("edges2shoes", "edge drawing -> shoe photo"),
    _p2p("sat2map", "aerial photo -> Google map"),
    _p2p("map2sat", "Google map -> aerial photo"),
    _p2p("day2night", "daytime scene -> night"),
    _cyc("horse2zebra", "horse -> zebra"),
    _cyc("zebra2horse", "zebra -> horse"),
    _cyc("monet2photo", "Monet painting -> photo"),
    _cyc("style_monet", "photo -> Monet style"),
    _cyc("style_cezanne", "photo -> Cezanne style"),
    _cyc("style_ukiyoe", "photo -> Ukiyo-e style"),
    _cyc("style_vangogh", "photo -> Van Gogh style"),
    _cyc("summer2winter_yosemite", "Yosemite summer -> winter"),
    _cyc("winter2summer_yosemite", "Yosemite winter -> summer"),
    _cyc("apple2orange", "apple -> orange"),
    _cyc("orange2apple", "orange -> apple"),
    _cyc("iphone2dslr_flower", "phone flower photo -> shallow depth of field"),
    _cyc("cityscapes_photo2label", "street photo -> label map (CycleGAN)"),
    _cyc("cityscapes_label2photo", "label map -> street photo (CycleGAN)"),
    _cyc("facades_photo2label", "facade photo -> label map (CycleGAN)"),
    _cyc("facades_label2photo", "facade label map -> photo (CycleGAN)", name="cyclegan_facades_label2photo"),
    _cyc("sat2map", "aerial photo -> map (CycleGAN)", name="cyclegan_sat2map"),
    _cyc("map2sat", "map -> aerial photo (CycleGAN)", name="cyclegan_map2sat"),
]}

# sha256 of official files verified by hand; empty until someone checks them (see module docstring).
KNOWN_SHA256: dict[str, str] = {}


def cache_dir() -> Path:
    """``$PLAYGROUND_ZOO_DIR`` or the ``zoo`` folder of the cache (``~/.cache/gan-playground/zoo``)."""
    return Path(os.environ.get("PLAYGROUND_ZOO_DIR") or cache_root() / "zoo")


# Where the weights live, for messages: a setting's name, not the folder (a server's path is no visitor's business).
CACHE_WORDS = ("the zoo cache folder ($PLAYGROUND_ZOO_DIR, or the zoo folder of $PLAYGROUND_CACHE; "
               "by default ~/.cache/gan-playground/zoo)")


def get(name: str) -> ZooModel:
    if name not in MODELS:
        raise UserError(f"Unknown zoo model {name!r}. Available: {', '.join(MODELS)}.")
    return MODELS[name]


def _record_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _verify(model: ZooModel, path: Path) -> None:
    """Check a cached file against its first-download record (and a known hash, if any)."""
    record = _record_path(path)
    size = path.stat().st_size
    digest = sha256_file(path)
    expected = KNOWN_SHA256.get(model.name)
    if record.exists():
        rec = json.loads(record.read_text())
        if rec.get("bytes") != size or rec.get("sha256") != digest:
            raise UserError(
                f"The {model.name} weights ({path.name}) have changed since they were downloaded (expected "
                f"{rec.get('bytes')} bytes, sha256 {str(rec.get('sha256'))[:16]}...; found {size} bytes, "
                f"{digest[:16]}...). Delete {path.name} and {record.name} from {CACHE_WORDS} to download them again."
            )
    if expected and digest != expected:
        raise UserError(f"The {model.name} weights ({path.name}) have sha256 {digest[:16]}..., not the known "
                        f"{expected[:16]}...; delete {path.name} from {CACHE_WORDS}.")
    if not record.exists():  # a file placed by hand: trust it from now on
        record.write_text(json.dumps({"bytes": size, "sha256": digest, "url": model.url}))


def cached_path(name: str, directory: Path | None = None) -> Path:
    m = get(name)
    return (directory or cache_dir()) / m.filename


def fetch(name: str, progress: Progress | None = None, url: str | None = None, directory: Path | None = None,
          timeout: float = 30.0) -> Path:
    """The verified local path of a zoo model's weights, downloading them once if needed.

    ``url`` overrides the official URL (tests serve local files); ``progress(done, total)`` is
    called as bytes arrive.
    """
    m = get(name)
    directory = directory or cache_dir()
    path = directory / m.filename
    if path.exists():
        _verify(m, path)
        return path
    url = url or m.url
    try:
        done, digest = download(url, path, timeout=timeout, expected_sha256=KNOWN_SHA256.get(m.name),
                                progress=progress)
    except DownloadError as exc:
        raise UserError(f"{m.name}: {exc}") from exc
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, OSError):  # str() of an OSError may name a local file
            reason = reason.strerror or type(reason).__name__
        raise UserError(
            f"Could not download the {m.kind} model {m.name} from {url} ({reason}). If this machine is offline, "
            f"download that URL elsewhere and save it as {m.filename} in {CACHE_WORDS} (the official scripts "
            "call it latest_net_G.pth; rename it)."
        ) from exc
    _record_path(path).write_text(json.dumps({"bytes": done, "sha256": digest, "url": url}))
    return path
