"""From image files to Inception features, under a named resize convention.

Each mode reproduces one reference tool's preprocessing of an 8-bit RGB image into the 299×299
network input; all modes then use the same network (TF's ``inception-2015-12-05`` pool3):

``clean``
    clean-fid ``mode="clean"``: each channel resized as float32 with PIL bicubic (antialiased), no
    quantisation, clipped to 0..255; pixels scaled by (x - 128) / 128.
``legacy_tensorflow``
    clean-fid ``mode="legacy_tensorflow"`` = StyleGAN2-ADA's metrics = TF1 FID: TF1
    ``resize_bilinear`` (align_corners=False, no half-pixel centres: source = i·in/out, edge clamped)
    on float pixels, then (x - 128) / 128.
``legacy_pytorch``
    pytorch-fid (and clean-fid ``mode="legacy_pytorch"``): ``F.interpolate(bilinear,
    align_corners=False)`` on x / 255, then 2x - 1.

Decoding and resizing run in a thread pool a few batches ahead of the network (:func:`_decoded`), so
the network never waits on the CPU work of the next batch.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from playground.device import gpu
from playground.metrics import inception
from playground.metrics.inception import NetworkRef
from playground.metrics.io import ImageSet, decode_rgb

SIZE = 299
MODES = {
    "clean": "clean-fid mode='clean' (PIL bicubic on float channels)",
    "legacy_tensorflow": "TF1 FID / StyleGAN / clean-fid mode='legacy_tensorflow' (TF1 bilinear)",
    "legacy_pytorch": "pytorch-fid / clean-fid mode='legacy_pytorch' (torch bilinear, align_corners=False)",
}
FEATURES_VERSION = "2"  # 2: entries record row positions, not file names

__all__ = ["MODES", "preprocess", "resize_tf1_bilinear", "FeatureResult", "extract_features", "network_features",
           "FeatureCache"]


def check_mode(mode: str) -> str:
    if mode not in MODES:
        from playground.errors import UserError

        raise UserError(f"Unknown mode {mode!r}; choose one of {', '.join(MODES)}.")
    return mode


def resize_tf1_bilinear(x: torch.Tensor, size: int = SIZE) -> torch.Tensor:
    """TF1 ``tf.image.resize_bilinear(align_corners=False)`` for N×C×H×W float tensors.

    Output pixel i samples the input at i·H/size (no half-pixel offset), clamped at the border.
    Written as an affine grid_sample shifted by 1/in - 1/out, as in StyleGAN2-ADA's TorchScript.
    """
    n, c, h, w = x.shape
    theta = torch.eye(2, 3, dtype=torch.float32, device=x.device)
    theta[0, 2] += 1.0 / w - 1.0 / size
    theta[1, 2] += 1.0 / h - 1.0 / size
    theta = theta.to(x.dtype).unsqueeze(0).repeat(n, 1, 1)
    grid = F.affine_grid(theta, [n, c, size, size], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def preprocess(rgb: np.ndarray, mode: str) -> torch.Tensor:
    """H×W×3 uint8 → 3×299×299 float32 network input in [-1, 1], following ``mode``."""
    h, w = rgb.shape[:2]
    same = (h, w) == (SIZE, SIZE)
    if mode == "clean":
        if same:
            x = rgb.astype(np.float32)
        else:
            chans = [
                np.asarray(
                    Image.fromarray(rgb[:, :, c].astype(np.float32)).resize((SIZE, SIZE), Image.BICUBIC)
                )
                for c in range(3)
            ]
            x = np.clip(np.stack(chans, axis=2), 0, 255)
        t = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))
        return (t - 128.0) / 128.0
    t = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1))).float()[None]
    if mode == "legacy_tensorflow":
        if not same:
            t = resize_tf1_bilinear(t)
        return ((t - 128.0) / 128.0)[0]
    if mode == "legacy_pytorch":
        t = t / 255.0
        if not same:
            t = F.interpolate(t, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
        return (2.0 * t - 1.0)[0]
    check_mode(mode)
    raise AssertionError


@dataclass
class FeatureResult:
    features: np.ndarray  # N×2048 float64 pool3
    logits: np.ndarray | None  # N×1008 (bias-free) when the IS network ran
    names: list[str]  # the images that were used, in row order
    skipped: list[tuple[str, str]]
    mode: str
    seconds: float = 0.0
    cached: bool = False
    rows: list[int] = field(default_factory=list)  # position in ImageSet.images of each feature row
    failed: list[tuple[int, str]] = field(default_factory=list)  # positions that could not be decoded

    @property
    def images_per_second(self) -> float:
        return len(self.names) / self.seconds if self.seconds > 0 else float("nan")

    def for_set(self, images: ImageSet) -> "FeatureResult":
        """This (cached) result with the names of ``images``, whose contents are the same in order.

        The cache is keyed by content, so the same pictures under other names hit it; names and
        skip reasons must come from the set being measured, never from the one that filled the cache.
        """
        refs = images.images
        return replace(
            self,
            names=[refs[i].name for i in self.rows],
            skipped=list(images.skipped) + [(refs[i].name, why) for i, why in self.failed],
            cached=True,
        )


class FeatureCache:
    """Features keyed by image content + mode + network: in memory, and on disk when given a folder."""

    def __init__(self, folder: str | Path | None = None, max_items: int = 16):
        self.folder = Path(folder) if folder else None
        self.mem: dict[str, FeatureResult] = {}
        self.max_items = max_items

    def get(self, key: str) -> FeatureResult | None:
        if key in self.mem:
            return self.mem[key]
        if self.folder is not None:
            p = self.folder / f"{key}.npz"
            if p.is_file():
                try:
                    with np.load(p, allow_pickle=False) as f:
                        logits = f["logits"] if f["logits"].size else None
                        failed = [(int(i), str(why)) for i, why in zip(f["failed_rows"], f["failed_why"])]
                        res = FeatureResult(
                            f["features"], logits, [], [], str(f["mode"]),
                            rows=f["rows"].tolist(), failed=failed,
                        )
                except Exception:  # noqa: BLE001 - a damaged cache entry is recomputed
                    return None
                self.mem[key] = res
                return res
        return None

    def put(self, key: str, res: FeatureResult) -> None:
        if len(self.mem) >= self.max_items:
            self.mem.pop(next(iter(self.mem)))
        self.mem[key] = res
        if self.folder is not None:
            try:
                self._write(key, res)
            except OSError:  # an unwritable cache folder only costs the next run its speed-up
                pass

    def _write(self, key: str, res: FeatureResult) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f"{key}.tmp.npz"
        np.savez(
            tmp,
            features=res.features,
            logits=res.logits if res.logits is not None else np.zeros(0),
            rows=np.array(res.rows, dtype=np.int64),
            failed_rows=np.array([i for i, _ in res.failed], dtype=np.int64),
            failed_why=np.array([why for _, why in res.failed], dtype=str),
            mode=np.array(res.mode),
        )
        tmp.replace(self.folder / f"{key}.npz")

    def clear(self) -> None:
        self.mem.clear()


ProgressFn = Callable[[int, int, float], None]  # (done, total, images per second)
CheckFn = Callable[[int, int], None]  # (done, total); raises to stop the work


def _load_one(pos, ref, mode):
    try:
        return pos, preprocess(decode_rgb(ref.read_bytes()), mode), None
    except (OSError, ValueError) as exc:
        return pos, None, str(exc)


def _decoded(refs, mode: str, workers: int, ahead: int) -> Iterator[tuple[int, torch.Tensor | None, str | None]]:
    """(position, network input or None, why not) for every image, in order, decoded by a thread pool at
    most ``ahead`` images ahead of the consumer (a few batches of ~1 MB tensors). Threads, not a
    DataLoader's worker processes: decoding is PIL and torch code that releases the GIL, and a process per
    worker would cost a shared 2-core server far more memory than the work saves. Closing the generator
    cancels what is queued: a stopped run leaves no decoding behind."""
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        todo = iter(enumerate(refs))
        pending = deque(pool.submit(_load_one, pos, ref, mode) for pos, ref in itertools.islice(todo, ahead))
        while pending:
            result = pending.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(pool.submit(_load_one, *nxt, mode))
            yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run(network, batch: torch.Tensor, device) -> tuple[np.ndarray, np.ndarray | None]:
    """(features, logits or None) of one N×3×299×299 batch, as float64 on the CPU."""
    with torch.inference_mode():
        out = network(batch.to(device))
    feats, logits = out if isinstance(out, tuple) else (out, None)
    return feats.double().cpu().numpy(), None if logits is None else logits.double().cpu().numpy()


# ZeroGPU: one call per batch (the caller reports progress and checks its limits between calls). The web app
# stops a request after 120 s of computing (ui/metrics/handlers.APP_MAX_SECONDS), so a call never needs longer.
@gpu(duration=120)
def network_features(batch: np.ndarray, network: NetworkRef, device: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(features, logits or None) of one N×3×299×299 float32 batch of network inputs (see
    :func:`preprocess`), through the network ``network`` names, on ``device``.

    The ZeroGPU entry point: it takes and returns plain arrays, and finds the network itself in the
    per-process cache (:func:`playground.metrics.inception.network`; a ZeroGPU worker loads its own copy once),
    because ZeroGPU pickles a call's arguments and result between processes and a TorchScript module does not
    pickle. Decoding and resizing stay in the caller's threads, a few batches ahead.
    """
    return _run(inception.network(network, device), torch.from_numpy(batch), device)


def _result(images: ImageSet, outputs, rows: list[int], failed: list, mode: str, seconds: float) -> FeatureResult:
    refs = images.images
    return FeatureResult(
        features=np.concatenate([f for f, _ in outputs]) if outputs else np.zeros((0, 2048)),
        logits=np.concatenate([lg for _, lg in outputs]) if outputs and outputs[0][1] is not None else None,
        names=[refs[i].name for i in rows],
        skipped=list(images.skipped) + [(refs[i].name, why) for i, why in failed],
        mode=mode, seconds=seconds, rows=rows, failed=failed,
    )


def cache_key(images: ImageSet, mode: str, network_id: str) -> str:
    """The feature cache's key: the image contents (not names), the mode and the network."""
    return hashlib.sha256(f"{FEATURES_VERSION}|{mode}|{network_id}|{images.content_key()}".encode()).hexdigest()


def extract_features(
    images: ImageSet,
    mode: str,
    network: NetworkRef | Callable[[torch.Tensor], torch.Tensor | tuple[torch.Tensor, torch.Tensor]],
    network_id: str | None = None,
    device: str | torch.device = "cpu",
    batch_size: int = 16,
    workers: int | None = None,
    progress: ProgressFn | None = None,
    cache: FeatureCache | None = None,
    check: CheckFn | None = None,
) -> FeatureResult:
    """Run ``network`` over every decodable image of ``images``.

    ``network`` is a :class:`NetworkRef` (the app's and ``compute_metrics``' way: each batch goes through
    :func:`network_features`, ZeroGPU's entry point), or any callable run here in this process that maps an
    N×3×299×299 batch to N×2048 features, or to (features, logits) for the IS network. Results are cached
    under a key of the image contents, mode and ``network_id`` (a ref's own id when None).
    ``check(done, total)`` runs before the first image and after every batch; whatever it raises
    (a time limit, a client that went away) stops the work there.
    """
    check_mode(mode)
    if isinstance(network, NetworkRef):
        network_id = network_id or network.id
        on_device = str(torch.device(device))

        def run(batch: list[torch.Tensor]):
            return network_features(torch.stack(batch).numpy(), network, on_device)
    else:
        if network_id is None:
            raise ValueError("extract_features: a network given as a callable needs its network_id.")

        def run(batch: list[torch.Tensor]):
            return _run(network, torch.stack(batch), device)

    key = cache_key(images, mode, network_id) if cache is not None else None
    if key is not None and (hit := cache.get(key)) is not None:
        return hit.for_set(images)
    refs, outputs, rows, failed, batch = images.images, [], [], [], []
    total, t0 = len(refs), time.perf_counter()

    def report(done: int) -> None:
        if progress:
            progress(done, total, len(rows) / max(time.perf_counter() - t0, 1e-9) if done else 0.0)
        if check:
            check(done, total)

    report(0)
    workers = workers or min(4, os.cpu_count() or 1)
    with contextlib.closing(_decoded(refs, mode, workers, ahead=3 * batch_size)) as decoded:
        for done, (pos, tensor, err) in enumerate(decoded, 1):
            if tensor is None:
                failed.append((pos, err))
            else:
                batch.append(tensor)
                rows.append(pos)
            full = len(batch) == batch_size
            if full:
                outputs.append(run(batch))
                batch = []
            if full or (tensor is None and done % batch_size == 0):  # undecodable files count too
                report(done)
    if batch:
        outputs.append(run(batch))
    seconds = time.perf_counter() - t0
    if progress:
        progress(total, total, len(rows) / seconds if seconds > 0 else 0.0)
    res = _result(images, outputs, rows, failed, mode, seconds)
    if key is not None:
        cache.put(key, res)
    return res
