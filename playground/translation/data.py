"""Paired and unpaired 64x64 face data for the bundled translation models, made from the DCGAN.

Every image starts as a face rendered by the bundled face generator (``playground.dcgan``) from a
seeded z, so anyone can rebuild the exact training sets. The transforms that make the *input*
side are plain numpy/torch image processing, written out here so the UI can apply the very same
transform to a user's photo or drawing:

* :func:`edge_map` - blurred Sobel gradient magnitude, thinned by non-maximum suppression and kept
  where it is strong: dark one-pixel lines on white, like a pen drawing.
* :func:`to_gray` - ITU-R 601 luma.
* :func:`pencil_sketch` - the "colour dodge" pencil-sketch trick: gray / (1 - blur(1 - gray)).

Images are float32 arrays in [0, 1], shape (H, W, C) or (N, H, W, C); networks see [-1, 1] NCHW.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from playground.errors import UserError
from playground.safe_input import npy_header
from playground.images import center_crop_resize, unit_to_uint8

SIZE = 64
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


# ----------------------------------------------------------------------------- faces
def make_faces(n: int, seed: int, batch_size: int = 256) -> np.ndarray:
    """``n`` faces from the bundled DCGAN, z ~ N(0, I) drawn from ``seed``: float32 (n, 64, 64, 3)."""
    from playground.dcgan.pretrained import generate, load_bundled_generator

    g = load_bundled_generator("cpu")
    z = torch.randn(n, 100, generator=torch.Generator().manual_seed(seed))
    return generate(z, g, batch_size=batch_size).astype(np.float32) / 255.0


# ----------------------------------------------------------------------------- transforms
def to_gray(img: np.ndarray) -> np.ndarray:
    """Luma of RGB images in [0, 1]: (..., 3) -> (..., 1). Gray input passes through."""
    img = np.asarray(img, dtype=np.float32)
    if img.shape[-1] == 1:
        return img
    return (img[..., :3] @ LUMA)[..., None]


def _gaussian_kernel(sigma: float) -> torch.Tensor:
    radius = max(1, int(round(3 * sigma)))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-(x**2) / (2 * sigma**2))
    return k / k.sum()


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (N, 1, H, W) with reflect padding."""
    k = _gaussian_kernel(sigma)
    r = k.numel() // 2
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1))
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1))


def _as_batch_gray(img: np.ndarray) -> tuple[torch.Tensor, bool]:
    img = np.asarray(img, dtype=np.float32)
    single = img.ndim == 3
    g = to_gray(img[None] if single else img)  # (N, H, W, 1)
    return torch.from_numpy(np.ascontiguousarray(g)).permute(0, 3, 1, 2), single


def edge_map(img: np.ndarray, sigma: float = 1.2, keep: float = 0.12) -> np.ndarray:
    """Dark edge lines on white: (..., H, W, C) in [0, 1] -> (..., H, W, 1) in {0, 1} (0 = edge).

    Canny-like without hysteresis: blur, Sobel gradient, non-maximum suppression along the gradient
    direction (one-pixel lines), then keep the strongest ``keep`` fraction of pixels of each image
    as edges (a per-image threshold, so dark and bright faces get equally dense drawings).
    """
    g, single = _as_batch_gray(img)
    g = gaussian_blur(g, sigma)
    sx = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]).view(1, 1, 3, 3)
    gp = F.pad(g, (1, 1, 1, 1), mode="replicate")
    gx, gy = F.conv2d(gp, sx), F.conv2d(gp, sx.transpose(2, 3))
    mag = torch.hypot(gx, gy)
    # Non-maximum suppression: keep a pixel only if it is >= its two neighbours along the gradient.
    angle = torch.rad2deg(torch.atan2(gy, gx)) % 180
    mp = F.pad(mag, (1, 1, 1, 1))
    h, w = mag.shape[-2:]

    def shifted(dy, dx):
        return mp[..., 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]

    bins = [((angle < 22.5) | (angle >= 157.5), (0, 1)), ((angle >= 22.5) & (angle < 67.5), (1, 1)),
            ((angle >= 67.5) & (angle < 112.5), (1, 0)), ((angle >= 112.5) & (angle < 157.5), (1, -1))]
    is_max = torch.zeros_like(mag, dtype=torch.bool)
    for sel, (dy, dx) in bins:
        is_max |= sel & (mag >= shifted(dy, dx)) & (mag >= shifted(-dy, -dx))
    thin = torch.where(is_max, mag, torch.zeros_like(mag))
    flat = thin.flatten(1)
    thr = torch.quantile(flat, 1 - keep, dim=1).clamp_min(1e-3).view(-1, 1, 1, 1)
    edges = (thin >= thr).float()
    out = (1 - edges).permute(0, 2, 3, 1).numpy()
    return out[0] if single else out


SKETCH_SHADE = 0.5  # how much of the image's tone the pencil sketch keeps as a light graphite wash


def pencil_sketch(img: np.ndarray, sigma: float = 2.0, shade: float = SKETCH_SHADE) -> np.ndarray:
    """Shaded pencil sketch: (..., H, W, C) -> (..., H, W, 1) in [0, 1].

    The strokes come from the colour-dodge trick, dodge(gray, blur(1 - gray)) = gray / (1 - blur(1 -
    gray)): flat areas go white, places where the blurred negative differs from the image (edges,
    shading boundaries) stay gray, like graphite strokes. ``shade`` then multiplies in a soft copy of
    the tones, 1 - shade * (1 - blur(gray)), the way an artist shades dark hair or a background: without
    it (shade = 0) a sketch keeps almost no tone, and turning it back into a face would be guesswork.
    """
    g, single = _as_batch_gray(img)
    inv_blur = gaussian_blur(1 - g, sigma)
    s = (g / (1 - inv_blur).clamp_min(1e-3)).clamp(0, 1)
    if shade > 0:
        s = (s * (1 - shade * (1 - gaussian_blur(g, 1.0)))).clamp(0, 1)
    out = s.permute(0, 2, 3, 1).numpy()
    return out[0] if single else out


def drawing_to_edges(img: np.ndarray) -> np.ndarray:
    """A user's drawing (any size, dark strokes on a light background, or an RGBA layer) -> 64x64 edges.

    Resized with area averaging and thresholded, so strokes come out as the 1-2 pixel dark lines the
    edges2face model was trained on. Returns (64, 64, 1) in {0, 1}.
    """
    arr = np.asarray(img)
    if arr.ndim == 2:
        arr = arr[..., None]
    arr = arr.astype(np.float32)
    if arr.max() > 1.0:
        arr = arr / 255.0
    if arr.shape[-1] == 4:  # composite the drawing layer over white
        alpha = arr[..., 3:4]
        arr = arr[..., :3] * alpha + (1 - alpha)
    g = torch.from_numpy(np.ascontiguousarray(to_gray(arr))).permute(2, 0, 1)[None]
    ink = 1 - g
    small = F.adaptive_avg_pool2d(ink, (SIZE, SIZE)) if ink.shape[-1] >= SIZE else F.interpolate(
        ink, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    # A stroke covering over a third of a target pixel becomes a line pixel.
    edges = (small > 0.35).float()
    return (1 - edges)[0].permute(1, 2, 0).numpy()


def resize_rgb(img: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Any image (H, W[, C]) uint8 or float -> float32 (size, size, 3) in [0, 1] (area resize, centre crop)."""
    arr = np.asarray(img)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[0] < 2 or arr.shape[1] < 2:
        raise UserError(f"Expected an image of shape (H, W, C); got {arr.shape}.")
    arr = arr.astype(np.float32)
    if arr.max() > 1.0:
        arr = arr / 255.0
    if arr.shape[-1] == 4:
        alpha = arr[..., 3:4]
        arr = arr[..., :3] * alpha + (1 - alpha)
    if arr.shape[-1] == 1:
        arr = np.repeat(arr, 3, axis=-1)
    return np.clip(center_crop_resize(arr[..., :3], size, "area"), 0, 1)


# ----------------------------------------------------------------------------- tasks
# name -> (input transform applied to a face, input channels); the target is the face itself
PAIRED_TASKS = {
    "edges2face": (edge_map, 1),
    "gray2color": (to_gray, 1),
}


def make_paired(task: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs A, targets B) for a paired task: A = transform(face), B = face."""
    if task not in PAIRED_TASKS:
        raise UserError(f"Unknown paired task {task!r}: choose one of {', '.join(PAIRED_TASKS)}.")
    faces = make_faces(n, seed)
    transform, _ = PAIRED_TASKS[task]
    return transform(faces).astype(np.float32), faces


def make_unpaired_sketch(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(faces A, sketches B) where the sketches are made from *other* faces (no pairs exist)."""
    faces = make_faces(2 * n, seed)
    return faces[:n], pencil_sketch(faces[n:]).astype(np.float32)


def save_npz(path: str | Path, a: np.ndarray, b: np.ndarray, **meta) -> None:
    """Store a data set as uint8 arrays ``A``, ``B`` (N, H, W, C) plus metadata strings."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, A=unit_to_uint8(a), B=unit_to_uint8(b), **{k: np.array(str(v)) for k, v in meta.items()})


def load_npz(path: str | Path) -> tuple[np.ndarray, np.ndarray, bool]:
    """(A, B, paired) as float32 in [0, 1] from a file written by :func:`save_npz`."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"Data file {path} not found; make one with scripts/translation_make_data.py.")
    try:
        with np.load(path, allow_pickle=False) as z:
            if not hasattr(z, "files") or "A" not in z or "B" not in z:
                raise UserError(f"{path.name} must hold arrays 'A' and 'B' (N, H, W, C) uint8.")
            for key in ("A", "B"):
                _check_npz_member(z, key, path.name)
            a, b = z["A"].astype(np.float32) / 255, z["B"].astype(np.float32) / 255
            paired = bool(str(z["paired"]) == "True") if "paired" in z else a.shape[0] == b.shape[0]
    except UserError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise UserError(f"{path.name} is not a readable .npz data file ({str(exc)[:100]}).") from None
    if a.ndim != 4 or b.ndim != 4:
        raise UserError(f"{path.name}: 'A' and 'B' must be (N, H, W, C) images; got {a.shape} and {b.shape}.")
    return a, b, paired


MAX_NPZ_ARRAY_BYTES = 2 * 2**30  # per array once decompressed (64x64x3 uint8 faces: ~170,000 images)


def _check_npz_member(z, key: str, name: str) -> None:
    """The declared shape and dtype of an .npz member, read from its .npy header before decompressing it
    (a compressed npz can declare gigabytes in a few KB)."""
    with z.zip.open(f"{key}.npy") as f:
        shape, dtype = npy_header(f)
    nbytes = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    if dtype != np.uint8:
        raise UserError(f"{name}: '{key}' holds {dtype}; expected uint8 images.")
    if nbytes > MAX_NPZ_ARRAY_BYTES:
        raise UserError(f"{name}: '{key}' unpacks to {nbytes / 2**30:.1f} GB; at most "
                        f"{MAX_NPZ_ARRAY_BYTES / 2**30:.0f} GB per array are read.")


def to_tensor(x: np.ndarray) -> torch.Tensor:
    """(N, H, W, C) [0, 1] -> (N, C, H, W) [-1, 1]."""
    return torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2) * 2 - 1


def to_image(t: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) [-1, 1] -> (N, H, W, C) [0, 1] float32."""
    return ((t.detach().float().clamp(-1, 1) + 1) / 2).permute(0, 2, 3, 1).cpu().numpy()
