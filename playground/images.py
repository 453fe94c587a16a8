"""Decoding a visitor's picture safely: sizes checked from the file and its header before any pixel is decoded.

Gradio's ``gr.Image(type="numpy")`` decodes an upload before the app sees it, so a corrupt file, an
empty one, a renamed ``.txt`` or a 20000x20000 PNG ends as a bare "Error" badge (or gigabytes of
memory). The tabs instead take the upload's path and call :func:`read_image`, which

* refuses files over ``max_bytes`` and empty files (``os.stat``, nothing read);
* opens the file with Pillow restricted to common formats (no EPS/Ghostscript and such) and reads
  only the header: width x height over ``max_pixels`` is refused before decoding, with Pillow's own
  decompression-bomb check turned from a warning into an error;
* decodes the first frame, shrinking JPEGs while decoding when the caller only needs a small image;
* turns every failure into a :class:`~playground.errors.UserError` that says what to upload instead.

The accepted maximum (16 megapixels) decodes to at most 64 MB of RGBA.

The other picture chores are here too, each written once: which file endings are pictures
(:data:`IMAGE_EXTENSIONS`), a generator's tanh output to 8-bit pixels (:func:`tanh_to_uint8`), floats in
[0, 1] to 8-bit pixels (:func:`unit_to_uint8`), the centred square resized (:func:`center_crop_resize`),
grids (:func:`grid`, laid out as torchvision's ``make_grid``), an enlarged copy (:func:`upscale`) and looping GIFs
(:func:`save_gif`).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError

from playground.errors import UserError
from playground.safe_input import file_path, file_size, megabytes

MAX_UPLOAD_BYTES = 32 * 2**20
MAX_PIXELS = 16_000_000  # e.g. 4000 x 4000, a phone photo
MIN_SIDE = 8
FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF", "PPM")
FORMATS_NAMED = f"{', '.join(FORMATS[:-1])} or {FORMATS[-1]}"  # as the page says them: "PNG, JPEG, ... or PPM"
HINT = f"Upload a {FORMATS_NAMED} picture."
Image.init()
# The file endings of those formats (.png, .jpg, .jpeg, ..., .ppm/.pgm/.pbm): what counts as a picture in a folder.
IMAGE_EXTENSIONS = frozenset(ext for ext, fmt in Image.registered_extensions().items() if fmt in FORMATS)


def read_image(source, what: str = "The picture", mode: str = "RGB", max_pixels: int = MAX_PIXELS,
               max_bytes: int = MAX_UPLOAD_BYTES, shrink_to: int | None = None) -> np.ndarray:
    """A picture as a uint8 array (H, W, 3) for ``mode="RGB"`` or (H, W, 4) for ``"RGBA"``.

    ``source`` is a path, an upload payload (see :func:`playground.safe_input.file_path`), a PIL image
    or an array. ``shrink_to``: the caller only needs a square of about this side, so JPEGs may be
    decoded at 1/2, 1/4 or 1/8 scale (never below it).
    """
    if source is None:
        raise UserError(f"{what} is missing: upload one first.")
    if isinstance(source, np.ndarray):
        return _from_array(source, what, mode, max_pixels)
    if isinstance(source, Image.Image):
        return _from_array(np.asarray(source.convert(mode)), what, mode, max_pixels)
    path = file_path(source)
    if path is None:
        raise UserError(f"{what} is missing: upload one first.")
    with open_checked(path, what, max_pixels=max_pixels, max_bytes=max_bytes) as im:
        try:
            if shrink_to and im.format == "JPEG":
                im.draft("RGB", (shrink_to, shrink_to))  # decode at a reduced scale, still >= shrink_to
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                im.load()
                if mode == "RGBA" and im.mode not in ("RGBA", "LA", "P", "PA"):
                    mode = "RGB"  # no transparency to keep
                out = np.asarray(_convert(im, mode))
        except UserError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError):
            raise UserError(f"{what} is too large to decode. {HINT}") from None
        except Exception as exc:  # noqa: BLE001 - Pillow raises many types for damaged files
            raise UserError(f"{what} ({Path(path).name}) is damaged or truncated and could not be decoded "
                            f"({type(exc).__name__}). {HINT}") from None
    return _from_array(out, what, mode, max_pixels)


class open_checked:
    """``with open_checked(path, what) as im``: a lazily opened PIL image whose file size, format and
    pixel count have been checked (nothing decoded yet); the file is closed on exit."""

    def __init__(self, path, what: str = "The picture", max_pixels: int = MAX_PIXELS,
                 max_bytes: int = MAX_UPLOAD_BYTES):
        self.path, self.what, self.max_pixels, self.max_bytes = Path(path), what, max_pixels, max_bytes
        self.im: Image.Image | None = None

    def __enter__(self) -> Image.Image:
        what, name = self.what, self.path.name
        file_size(self.path, what, self.max_bytes)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                im = Image.open(self.path, formats=FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise UserError(f"{what} ({name}) declares too many pixels; the limit is "
                            f"{self.max_pixels / 1e6:.0f} megapixels.") from None
        except UnidentifiedImageError:
            raise UserError(f"{what} ({name}) is not a picture I can read. {HINT}") from None
        except Exception as exc:  # noqa: BLE001 - a damaged header
            raise UserError(f"{what} ({name}) has a damaged header ({type(exc).__name__}). {HINT}") from None
        self.im = im
        w, h = im.size
        if w * h > self.max_pixels:
            self.close()
            raise UserError(f"{what} ({name}) is {w:,}×{h:,} pixels; the limit is "
                            f"{self.max_pixels / 1e6:.0f} megapixels. Shrink it first.")
        if min(w, h) < MIN_SIDE:
            self.close()
            raise UserError(f"{what} ({name}) is too small ({w}×{h} pixels); use at least {MIN_SIDE}×{MIN_SIDE}.")
        return im

    def close(self) -> None:
        if self.im is not None:
            self.im.close()
            self.im = None

    def __exit__(self, *exc) -> None:
        self.close()


def _convert(im: Image.Image, mode: str) -> Image.Image:
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        # 16/32-bit grayscale: scale to 8 bits instead of clipping to white.
        return Image.fromarray(to_rgb_uint8(im))
    return im.convert(mode)


def to_rgb_uint8(img: Image.Image) -> np.ndarray:
    """H×W×3 uint8 RGB from any Pillow mode.

    Palette, grayscale, CMYK, RGBA (alpha dropped, not composited) and LA go through Pillow's
    ``convert("RGB")`` exactly as pytorch-fid, clean-fid and torch-fidelity do. 16-bit and 32-bit
    grayscale are rescaled to 0..255 first (x / 257 for 16-bit data) - the reference tools'
    ``convert("RGB")`` would clip them to white instead.
    """
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        a = np.asarray(img)
        scale = 1 / 257.0 if a.max(initial=0) > 255 else 1.0
        return _gray_to_rgb(a, scale)
    if img.mode == "F":
        a = np.asarray(img)
        lo, hi = float(a.min(initial=0)), float(a.max(initial=0))
        return _gray_to_rgb(a, 255.0 if hi <= 1.0 and lo >= 0.0 else 1.0)
    return np.asarray(img.convert("RGB"), dtype=np.uint8)


def _gray_to_rgb(a: np.ndarray, scale: float, block_pixels: int = 1 << 18) -> np.ndarray:
    """round(a · scale) clipped to 0..255, as H×W×3 uint8. The float64 work goes in blocks of rows
    (~2 MB), so a 40-megapixel 16-bit image needs no 8-bytes-per-pixel temporaries."""
    out = np.empty(a.shape + (3,), np.uint8)
    rows = max(1, block_pixels // max(1, a.shape[1]))
    for i in range(0, a.shape[0], rows):
        block = a[i : i + rows].astype(np.float64)
        block *= scale
        np.rint(block, out=block)
        np.clip(block, 0, 255, out=block)
        out[i : i + rows] = block.astype(np.uint8)[..., None]
    return out



def _from_array(arr: np.ndarray, what: str, mode: str, max_pixels: int) -> np.ndarray:
    """Checks for an already decoded picture (a drawing from the page, an array from Python)."""
    arr = np.asarray(arr)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[-1] not in (1, 3, 4):
        raise UserError(f"{what} must be an image of shape (H, W, 1|3|4); got {arr.shape}.")
    h, w = arr.shape[:2]
    if h * w > max_pixels:
        raise UserError(f"{what} is {w:,}×{h:,} pixels; the limit is {max_pixels / 1e6:.0f} megapixels.")
    if min(h, w) < MIN_SIDE:
        raise UserError(f"{what} is too small ({w}×{h} pixels); use at least {MIN_SIDE}×{MIN_SIDE}.")
    if arr.dtype != np.uint8:
        a = arr.astype(np.float32)
        if not np.isfinite(a).all():
            raise UserError(f"{what} contains NaN or infinite values.")
        if a.max(initial=0) <= 1.0:
            a = a * 255
        arr = np.clip(np.rint(a), 0, 255).astype(np.uint8)
    if arr.shape[-1] == 1:
        arr = np.repeat(arr, 3, axis=-1)
    if mode == "RGB" and arr.shape[-1] == 4:
        arr = arr[..., :3]
    return arr


# ------------------------------------------------------------------------------ pixels and pictures


def tanh_to_uint8(images: torch.Tensor) -> np.ndarray:
    """A generator's tanh output (N, C, H, W) in [-1, 1] -> uint8 (N, H, W, 3) by round((x + 1) / 2 * 255);
    one channel (grayscale) is repeated to RGB."""
    x = images.detach()
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    x = ((x.float().clamp(-1, 1) + 1) * 127.5).round_().to(torch.uint8)
    return x.permute(0, 2, 3, 1).contiguous().cpu().numpy()


def unit_to_uint8(images: np.ndarray) -> np.ndarray:
    """Floats in [0, 1] (any shape) -> uint8 by round(x * 255), clipped."""
    return np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)


RESAMPLE = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "lanczos": Image.LANCZOS}


def center_crop_resize(image: np.ndarray, size: int, filter: str = "bicubic") -> np.ndarray:
    """The largest centred square of an (H, W, C) image, resized to (size, size, C).

    ``filter``: a Pillow filter name (``RESAMPLE``) for uint8 images; or ``"area"`` for float images,
    averaged over each output pixel's area when shrinking and bilinear when enlarging."""
    h, w = image.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    square = image[top : top + s, left : left + s]
    if filter != "area":
        return np.asarray(Image.fromarray(square).resize((size, size), RESAMPLE[filter]))
    t = torch.from_numpy(np.ascontiguousarray(square, dtype=np.float32)).permute(2, 0, 1)[None]
    if s > size:
        t = F.interpolate(t, size=(size, size), mode="area")
    elif s < size:
        t = F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False)
    return t[0].permute(1, 2, 0).numpy()


def grid(images: np.ndarray, ncols: int, pad: int = 2, scale: int = 1, bg: int = 255) -> np.ndarray:
    """Tile uint8 images (N, H, W, C) into one image, row-major, ``pad`` pixels apart and around.

    The layout of torchvision's ``make_grid(nrow=ncols, padding=pad, pad_value=bg)`` (one-channel images of a
    grid become RGB), written here so that the app never imports torchvision (seconds at start-up)."""
    images = np.ascontiguousarray(images)
    n = len(images)
    if n <= 1:  # make_grid returns a lone image without its border (and none at all for no image)
        cell = images[0] if n else np.full(images.shape[1:], bg, dtype=images.dtype)
        out = np.pad(cell, ((pad, pad), (pad, pad), (0, 0)), constant_values=bg)
    else:
        if images.shape[-1] == 1:
            images = np.repeat(images, 3, axis=-1)
        _, h, w, c = images.shape
        cols = min(max(1, ncols), n)
        rows = -(-n // cols)
        out = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), bg, dtype=images.dtype)
        for k, image in enumerate(images):
            top, left = pad + (k // cols) * (h + pad), pad + (k % cols) * (w + pad)
            out[top : top + h, left : left + w] = image
    return upscale(out, scale) if scale != 1 else out


def upscale(image: np.ndarray, scale: int) -> np.ndarray:
    """Enlarge by an integer factor with bicubic resampling (64x64 faces look blocky at 1x)."""
    im = Image.fromarray(image)
    return np.asarray(im.resize((im.width * scale, im.height * scale), Image.BICUBIC))


def save_gif(frames, fp=None, fps: float = 10.0, colors: int = 256) -> bytes | None:
    """An endlessly looping animated GIF of ``frames`` (uint8 arrays or PIL images), each quantised to its
    own ``colors``-colour palette; written to ``fp`` (a path or file), or returned as bytes without one."""
    if len(frames) == 0:
        raise ValueError("no frames to write")
    ims = [(f if isinstance(f, Image.Image) else Image.fromarray(f)).convert("RGB")
           .convert("P", palette=Image.ADAPTIVE, colors=colors) for f in frames]
    out = io.BytesIO() if fp is None else fp
    ims[0].save(out, format="GIF", save_all=True, append_images=ims[1:], duration=int(1000 / fps), loop=0)
    return out.getvalue() if fp is None else None


__all__ = ["read_image", "open_checked", "MAX_UPLOAD_BYTES", "MAX_PIXELS", "FORMATS", "FORMATS_NAMED",
           "IMAGE_EXTENSIONS", "megabytes", "tanh_to_uint8", "unit_to_uint8", "to_rgb_uint8",
           "center_crop_resize", "grid", "upscale", "save_gif"]
