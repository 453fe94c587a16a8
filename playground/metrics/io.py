"""Reading image sets safely: folders, lists of files, zips, and pytorch-fid ``.npz`` statistics.

Nothing is extracted to disk: zip members are read in memory, one at a time, after the archive as a
whole has passed the checks of :class:`playground.archive.SafeZip` (no absolute or ``..`` paths, no
symlinks, bounded entry count, total uncompressed size and compression ratio), each through its bounded
stream. Images are decoded with Pillow and converted to 8-bit RGB; files that are not images, are
corrupt or are too large are skipped and listed with a reason.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image, UnidentifiedImageError

from playground.archive import SafeZip, ZipLimits, shown
from playground.errors import UserError
from playground.images import FORMATS, IMAGE_EXTENSIONS, to_rgb_uint8
from playground.safe_input import NPY_MAX_HEADER, npy_header

# Limits for anything a user hands us (the Space has 16 GB of RAM and 2 CPUs).
MAX_ZIP_ENTRIES = 20_000
MAX_ZIP_TOTAL_BYTES = 2 * 1024**3
MAX_ZIP_RATIO = 200  # uncompressed / compressed, per entry; PNG/JPEG barely compress, bombs do
MAX_FILE_BYTES = 64 * 1024**2
MAX_PIXELS = 40_000_000  # also below Pillow's own DecompressionBomb threshold (89 M)
MAX_IMAGES = 50_000
IMAGE_ZIP = ZipLimits(entries=MAX_ZIP_ENTRIES, total_bytes=MAX_ZIP_TOTAL_BYTES, what="an image set",
                      ratio=MAX_ZIP_RATIO)

__all__ = [
    "ImageRef",
    "ImageSet",
    "load_image_set",
    "decode_rgb",
    "to_rgb_uint8",
    "read_stats",
    "write_stats",
]


@dataclass
class ImageRef:
    """One image: a file on disk, a member of an (already checked) zip, or bytes in memory."""

    name: str
    path: Path | None = None
    zip: SafeZip | None = None
    member: str | None = None
    data: bytes | None = None

    def read_bytes(self) -> bytes:
        if self.data is not None:
            return self.data
        if self.zip is not None:
            info = self.zip.info(self.member)
            size, limit = info.file_size, MAX_FILE_BYTES
            if size > limit:
                raise ValueError(f"entry is {size / 1e6:.0f} MB, over the {limit // 1024**2} MB limit")
            return self.zip.read(info)
        size = self.path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(f"file is {size / 1e6:.0f} MB, over the {MAX_FILE_BYTES // 1024**2} MB limit")
        return self.path.read_bytes()


@dataclass
class ImageSet:
    """The images of one side of a comparison, plus what was left out and why."""

    label: str
    images: list[ImageRef] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)
    stats: tuple[np.ndarray, np.ndarray] | None = None  # set when the input was an .npz

    @property
    def is_stats(self) -> bool:
        return self.stats is not None

    def close(self) -> None:
        for z in {id(r.zip): r.zip for r in self.images if r.zip is not None}.values():
            z.close()

    def content_key(self) -> str:
        """sha256 over the ordered image contents: equal folders give equal keys, whatever their names."""
        h = hashlib.sha256()
        for ref in self.images:
            try:
                h.update(hashlib.sha256(ref.read_bytes()).digest())
            except (OSError, ValueError) as exc:
                h.update(f"unreadable:{ref.name}:{exc}".encode())
        return h.hexdigest()


def _is_hidden(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


def _add_file(dst: ImageSet, name: str, ref: ImageRef) -> None:
    if Path(name).suffix.lower() in IMAGE_EXTENSIONS:
        dst.images.append(ref)
    else:
        dst.skipped.append((name, "not an image file type"))


def _add_zip(dst: ImageSet, path: Path) -> None:
    z = SafeZip(path, IMAGE_ZIP)
    for info in sorted(z.files, key=lambda i: i.filename):
        if _is_hidden(info.filename):
            continue
        name = f"{path.name}/{info.filename}"
        if info.filename.lower().endswith(".zip"):
            dst.skipped.append((name, "zip inside a zip (not opened)"))
            continue
        _add_file(dst, name, ImageRef(name=name, zip=z, member=info.filename))


def load_image_set(inputs, label: str = "images", allow_stats: bool = False) -> ImageSet:
    """Collect the images of a folder, a zip, an ``.npz``, or a list of any of these.

    Folders are walked recursively in sorted order (hidden files ignored). An ``.npz`` gives
    statistics only and must be the sole input. Raises :class:`UserError` for a missing path.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    paths = [Path(p) for p in inputs or []]
    out = ImageSet(label=label)
    npz = [p for p in paths if p.suffix.lower() == ".npz"]
    if npz:
        if not allow_stats:
            raise UserError(
                f"A statistics file ({npz[0].name}) can only be the reference set, not the {label}."
            )
        if len(paths) != 1:
            raise UserError("Give either one .npz statistics file or images for the reference, not both.")
        out.stats = read_stats(npz[0])
        return out
    for p in paths:
        if not p.exists():
            raise UserError(f"{p} does not exist.")
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if f.startswith("."):
                        continue
                    fp = Path(root) / f
                    rel = str(fp.relative_to(p))
                    if fp.suffix.lower() == ".zip":
                        _add_zip(out, fp)
                    else:
                        _add_file(out, rel, ImageRef(name=rel, path=fp))
        elif p.suffix.lower() == ".zip":
            _add_zip(out, p)
        else:
            _add_file(out, p.name, ImageRef(name=p.name, path=p))
        if len(out.images) > MAX_IMAGES:
            raise UserError(f"The {label} hold more than {MAX_IMAGES} images; use a subset.")
    return out


# ------------------------------------------------------------------------------------ decoding


def decode_rgb(data: bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode image bytes to H×W×3 uint8; ValueError with a short reason when it cannot be used.

    Only the formats of :data:`playground.images.FORMATS` are tried, whatever the file's name: an EPS file
    called ``.png`` never reaches Pillow's EPS reader (and Ghostscript)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                img = Image.open(io.BytesIO(data), formats=FORMATS)
            except UnidentifiedImageError:
                raise ValueError("could not be decoded: it is damaged, or not in a format this app reads "
                                 f"({', '.join(FORMATS)})") from None
            w, h = img.size
            if w * h > max_pixels:
                raise ValueError(
                    f"too large ({w}×{h} pixels; the limit is {max_pixels / 1e6:.0f} megapixels)"
                )
            if w < 1 or h < 1:
                raise ValueError("empty image")
            img.seek(0)  # first frame of a GIF/TIFF
            img.load()
            return to_rgb_uint8(img)
    except ValueError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValueError(f"too large ({exc})") from exc
    except Exception as exc:  # noqa: BLE001 - PIL raises many types for corrupt files
        raise ValueError(f"could not be decoded ({type(exc).__name__})") from exc


# ------------------------------------------------------------------------------- .npz statistics

# Inception pool3 statistics: mu (2048,) and sigma (2048, 2048), 32 MB in float64. Anything larger is
# refused from the .npy headers inside the zip, before a byte of array data is read.
MAX_STATS_DIM = 2048
MAX_STATS_ENTRIES = 16
# No ratio check: an honest savez_compressed of a diagonal sigma compresses 1000:1. The .npy headers
# bound what is read instead (:func:`_check_member`), and the bounded stream holds each member to them.
STATS_ZIP = ZipLimits(entries=MAX_STATS_ENTRIES, total_bytes=MAX_ZIP_TOTAL_BYTES, what="a statistics file")


def _npz_member(zf: SafeZip, key: str) -> zipfile.ZipInfo | None:
    return zf.info(f"{key}.npy") or zf.info(key)


def _npy_header(zf: SafeZip, info: zipfile.ZipInfo, fname: str) -> tuple[tuple, np.dtype, int]:
    """(shape, dtype, header bytes) of an .npy inside the zip, from its header alone."""
    with zf.open(info) as f:
        try:
            shape, dtype = npy_header(f)
        except UserError:
            raise
        except ValueError as exc:
            raise UserError(f"{fname}: {shown(info.filename)}: {exc}.") from None
        return shape, dtype, f.tell()


def _check_member(zf: SafeZip, key: str, ndim: int, fname: str) -> tuple[zipfile.ZipInfo, tuple]:
    """The member's zip entry and shape, after checking its header against the limits (reads no data)."""
    info = _npz_member(zf, key)
    shape, dtype, header = _npy_header(zf, info, fname)
    if dtype.hasobject or dtype.kind != "f" or dtype.itemsize > 8:
        raise UserError(f"{fname}: {key} is stored as {dtype}; statistics must be float16/32/64.")
    if len(shape) != ndim:
        raise UserError(f"{fname}: {key} has shape {shape}; expected {'(d,)' if ndim == 1 else '(d, d)'}.")
    if not all(1 <= n <= MAX_STATS_DIM for n in shape):
        size = int(np.prod(shape, dtype=np.float64) * dtype.itemsize)
        raise UserError(
            f"{fname}: {key} is declared as {' × '.join(map(str, shape))} ({size / 1e9:.1f} GB); "
            f"Inception statistics have at most {MAX_STATS_DIM} dimensions. Nothing was loaded."
        )
    nbytes = int(np.prod(shape)) * dtype.itemsize
    if info.file_size != header + nbytes:
        raise UserError(
            f"{fname}: {key} declares {info.file_size:,} bytes in the zip but its header needs "
            f"{header + nbytes:,}; the file is damaged."
        )
    return info, shape


def _read_checked(zf: SafeZip, info: zipfile.ZipInfo) -> np.ndarray:
    # read_array allocates exactly the checked shape, then fills it in chunks from the bounded stream
    with zf.open(info) as f:
        return np.lib.format.read_array(f, allow_pickle=False, max_header_size=NPY_MAX_HEADER)


def read_stats(path) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma) from a pytorch-fid style ``.npz`` (keys ``mu`` and ``sigma``).

    Shapes, dtypes and sizes are checked from the zip directory and the ``.npy`` headers before any
    array is read, so a small file that declares gigabytes costs nothing. sigma must be a
    covariance: symmetric and positive semi-definite within round-off.
    """
    from playground.metrics.maths import check_covariance  # maths imports torch; io stays light

    fname = Path(path).name
    try:
        with SafeZip(path, STATS_ZIP) as zf:
            if _npz_member(zf, "mu") is None or _npz_member(zf, "sigma") is None:
                keys = sorted(i.filename.removesuffix(".npy") for i in zf.infos)
                raise UserError(f"{fname} has keys {', '.join(map(shown, keys))}; "
                                "a statistics file needs 'mu' and 'sigma'.")
            sigma_info, sigma_shape = _check_member(zf, "sigma", 2, fname)  # the big one first
            mu_info, mu_shape = _check_member(zf, "mu", 1, fname)
            if sigma_shape != mu_shape * 2:
                raise UserError(
                    f"{fname}: mu has shape {mu_shape} and sigma {sigma_shape}; expected (d,) and (d, d)."
                )
            mu, sigma = _read_checked(zf, mu_info), _read_checked(zf, sigma_info)
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged zip or .npy raises many types
        raise UserError(f"{fname} is not a readable .npz statistics file ({exc}).") from exc
    mu, sigma = np.asarray(mu, np.float64), np.asarray(sigma, np.float64)
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(sigma))):
        raise UserError(f"{fname} contains NaN or infinite values.")
    check_covariance(sigma, f"{fname}: sigma", in_place=True)  # our own fresh array: no d×d copy
    return mu, sigma


def write_stats(path, mu: np.ndarray, sigma: np.ndarray) -> Path:
    """Write ``mu`` and ``sigma`` like pytorch-fid's ``--save-stats`` (readable by pytorch-fid)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, mu=np.asarray(mu), sigma=np.asarray(sigma))
    return path
