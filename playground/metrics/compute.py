"""One call from image sets to every metric: ``compute_metrics(fake, real, metrics=..., mode=...)``.

Convention (as torch-fidelity): the first set is the generated one (IS is computed on it, precision
asks "are the fakes realistic?"), the second the real/reference set, which may be an ``.npz``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from playground.device import get_device
from playground.errors import UserError
from playground.metrics import assets, maths
from playground.metrics.features import MODES, FeatureCache, FeatureResult, check_mode, extract_features
from playground.metrics.inception import load_fid_network, load_is_network
from playground.metrics.io import ImageSet, load_image_set
from playground.metrics.limits import Budget, WorkLimits

log = logging.getLogger("playground.metrics")

ALL_METRICS = ("fid", "kid", "is", "pr")
# IS averages over 10 splits (torch-fidelity), but a split's IS can never exceed its number of images
# (p(y) mixes that many predictions), so 10 images in 10 splits give exactly 1 for any network.
# Fewer images get fewer splits, at least IS_MIN_PER_SPLIT images each, and the report says so.
IS_SPLITS = 10
IS_MIN_PER_SPLIT = 50
IS_MIN_IMAGES = 10

__all__ = ["ALL_METRICS", "MetricsReport", "compute_metrics", "parse_metrics", "is_splits"]


def is_splits(n: int) -> int:
    """Splits for the Inception Score of n images: 10 when each gets >= IS_MIN_PER_SPLIT, else fewer."""
    return max(1, min(IS_SPLITS, n // IS_MIN_PER_SPLIT))


def parse_metrics(spec) -> tuple[str, ...]:
    items = [m.strip().lower() for m in (spec.split(",") if isinstance(spec, str) else spec) if m.strip()]
    unknown = [m for m in items if m not in ALL_METRICS]
    if unknown or not items:
        raise UserError(f"Unknown metric(s) {unknown or spec!r}; choose from {', '.join(ALL_METRICS)}.")
    return tuple(dict.fromkeys(items))


@dataclass
class MetricsReport:
    mode: str
    values: dict = field(default_factory=dict)  # the JSON-able numbers
    notes: list[str] = field(default_factory=list)
    fake: FeatureResult | None = None
    real: FeatureResult | None = None
    real_stats: tuple[np.ndarray, np.ndarray] | None = None
    fake_set: ImageSet | None = None
    real_set: ImageSet | None = None

    def as_dict(self) -> dict:
        out = {"mode": self.mode, "convention": MODES[self.mode]}
        out.update(self.values)
        out["skipped"] = [
            {"set": label, "file": n, "reason": r}
            for label, res in (("generated", self.fake), ("real", self.real))
            if res is not None
            for n, r in res.skipped
        ]
        out["notes"] = list(self.notes)
        return out


def _need(res: FeatureResult, label: str, minimum: int = 2) -> None:
    n = len(res.names)
    if n >= minimum:
        return
    skipped = (
        f" ({len(res.skipped)} file(s) skipped: " + "; ".join(f"{a}: {b}" for a, b in res.skipped[:3]) + ")"
        if res.skipped
        else ""
    )
    if n == 0:
        raise UserError(
            f"The {label} set has no usable images{skipped}. Upload image files or a zip of them."
        )
    raise UserError(
        f"The {label} set has only {n} usable image{'s' if n != 1 else ''}{skipped}; a distribution needs at "
        f"least {minimum} (and FID needs thousands to be stable)."
    )


def compute_metrics(
    fake,
    real,
    metrics=("fid", "kid", "pr"),
    mode: str = "clean",
    device: str | torch.device | None = None,
    batch_size: int = 16,
    is_weights=None,
    download: bool = True,
    cache: FeatureCache | None = None,
    progress=None,
    status=None,
    limits: WorkLimits | None = None,
) -> MetricsReport:
    """Compute the requested metrics between ``fake`` and ``real`` (ImageSets or paths).

    ``progress(stage, done, total, images_per_s)`` reports feature extraction; ``status(text)``
    reports slow one-off steps (network download/loading). IS unavailability is a note, not an error.
    ``limits`` caps the work (images per set, seconds) and stops when ``limits.should_stop()``;
    both are checked before any image is decoded and after every batch.
    """
    check_mode(mode)
    metrics = parse_metrics(metrics)
    budget = Budget(limits)
    device = torch.device(device) if device is not None else get_device()
    fake_set = fake if isinstance(fake, ImageSet) else load_image_set(fake, label="generated")
    real_set = real if isinstance(real, ImageSet) else load_image_set(real, label="real", allow_stats=True)
    if fake_set.is_stats:
        raise UserError("The generated set must be images (statistics files are for the reference set).")
    budget.check_count(len(fake_set.images), "generated")
    budget.check_count(len(real_set.images), "real")
    if not fake_set.images:
        _need(FeatureResult(np.zeros((0, 2048)), None, [], fake_set.skipped, mode), "generated")
    if not real_set.is_stats and not real_set.images:
        _need(FeatureResult(np.zeros((0, 2048)), None, [], real_set.skipped, mode), "real")
    report = MetricsReport(mode=mode, fake_set=fake_set, real_set=real_set)
    say = status or (lambda text: log.info(text))

    is_net = None
    if "is" in metrics:
        try:
            is_net = load_is_network(device, path=is_weights, download=download, log=say)
        except assets.WeightsUnavailable as exc:
            if is_weights is not None:  # a file the user named is wrong: say so, do not carry on without IS
                raise
            report.notes.append(str(exc))
    fid_net = load_fid_network(device, log=say)

    def stage(name):
        return (lambda d, t, r: progress(name, d, t, r)) if progress else None

    budget.start()
    fake_net, fake_net_id = (is_net, "pytorch-fid-is") if is_net is not None else (fid_net, "fid-ts")
    report.fake = extract_features(
        fake_set,
        mode,
        fake_net,
        fake_net_id,
        device,
        batch_size,
        progress=stage("generated"),
        cache=cache,
        check=budget.checker("generated"),
    )
    _need(report.fake, "generated")
    if real_set.is_stats:
        report.real_stats = real_set.stats
        if report.real_stats[0].shape != (2048,):
            raise UserError(
                f"The reference statistics have {report.real_stats[0].size} dimensions; "
                "Inception pool3 features have 2048."
            )
    else:
        report.real = extract_features(
            real_set,
            mode,
            fid_net,
            "fid-ts",
            device,
            batch_size,
            progress=stage("real"),
            cache=cache,
            check=budget.checker("real"),
        )
        _need(report.real, "real")

    v = report.values
    x_fake = report.fake.features
    v["n_fake"] = len(report.fake.names)
    v["n_real"] = len(report.real.names) if report.real is not None else None
    if report.real is None:
        report.notes.append(
            "The reference is a statistics file: FID only (KID and precision/recall need real images)."
        )

    if "fid" in metrics:
        if report.real is not None:
            v["fid"] = maths.fid_from_features(report.real.features, x_fake)
        else:
            v["fid"] = maths.fid_stats_vs_features(report.real_stats[0], report.real_stats[1], x_fake)
        n_min = min(v["n_fake"], v["n_real"] or v["n_fake"])
        if n_min < 2048:
            report.notes.append(
                f"FID from {n_min} images per set is biased upwards and noisy; "
                "published FIDs use 10,000–50,000. "
                "Compare only numbers computed with the same N and the same mode."
            )
    if "kid" in metrics and report.real is not None:
        v["kid_mean"], v["kid_std"] = maths.kernel_inception_distance(report.real.features, x_fake)
        v["kid_subset_size"] = min(1000, len(x_fake), len(report.real.features))
        if v["kid_subset_size"] == len(x_fake) == len(report.real.features):
            report.notes.append(
                f"KID: with {len(x_fake)} images per set every subset holds all of them, so its ± is 0; "
                "the spread over subsets only means something with more than 1,000 images."
            )
    if "pr" in metrics and report.real is not None:
        small = min(len(x_fake), len(report.real.features))
        if small > 3:
            v["precision"], v["recall"] = maths.precision_recall(report.real.features, x_fake, k=3)
        else:
            report.notes.append("Precision/recall (k = 3) need at least 4 images per set.")
        if small > 5:
            v["density"], v["coverage"] = maths.density_coverage(report.real.features, x_fake, k=5)
        else:
            report.notes.append("Density/coverage (k = 5) need at least 6 images per set.")
    if "is" in metrics and report.fake.logits is not None:
        n = len(x_fake)
        if n >= IS_MIN_IMAGES:
            splits = is_splits(n)
            v["is_mean"], v["is_std"] = maths.inception_score(logits=report.fake.logits, splits=splits)
            v["is_splits"], v["is_split_size"] = splits, n // splits
            if splits < IS_SPLITS:
                report.notes.append(
                    f"Inception Score: {n} images in {splits} split{'s' if splits > 1 else ''} of about "
                    f"{n // splits} instead of the usual {IS_SPLITS} (a split's IS can never exceed its "
                    f"number of images, so {IS_SPLITS} splits of {n // IS_SPLITS} would cap it at "
                    f"{n // IS_SPLITS}). The best possible value here is {min(1008, n // splits)}; published "
                    "IS use 50,000 images in 10 splits of 5,000, so compare only IS with the same split size."
                )
        else:
            report.notes.append(
                f"The Inception Score needs at least {IS_MIN_IMAGES} generated images (got {n}): with fewer, "
                "it can barely rise above its worst value, 1."
            )
    for key in list(v):
        if isinstance(v[key], float) and not math.isfinite(v[key]):
            v[key] = None
    return report
