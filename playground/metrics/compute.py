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
from playground.metrics.inception import FID_NETWORK_ID, IS_NETWORK_ID, fid_network_ref, is_network_ref
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
# Below the feature dimension (2048) the covariance is singular and FID is clearly biased upwards.
FID_STABLE_N = 2048

__all__ = ["ALL_METRICS", "MetricsReport", "compute_metrics", "load_sets", "extract", "score", "parse_metrics",
           "is_splits"]


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

    Three steps, each usable alone: :func:`load_sets`, :func:`extract`, :func:`score`.
    """
    check_mode(mode)
    metrics = parse_metrics(metrics)
    budget = Budget(limits)
    device = torch.device(device) if device is not None else get_device()
    report = MetricsReport(mode=mode)
    report.fake_set, report.real_set = load_sets(fake, real, budget)
    say = status or (lambda text: log.info(text))
    is_net = _is_network(report, metrics, is_weights, download, say)
    extract(report, fid_network_ref(log=say), is_net, device, batch_size, cache, progress, budget)
    score(report, metrics)
    return report


def load_sets(fake, real, budget: Budget | None = None) -> tuple[ImageSet, ImageSet]:
    """The two sets (paths are listed, nothing decoded), checked: the generated one must be images, each
    within the budget's image count, neither empty."""
    budget = budget or Budget(None)
    fake_set = fake if isinstance(fake, ImageSet) else load_image_set(fake, label="generated")
    real_set = real if isinstance(real, ImageSet) else load_image_set(real, label="real", allow_stats=True)
    if fake_set.is_stats:
        raise UserError("The generated set must be images (statistics files are for the reference set).")
    budget.check_count(len(fake_set.images), "generated")
    budget.check_count(len(real_set.images), "real")
    for label, images in (("generated", fake_set), ("real", real_set)):
        if not images.is_stats and not images.images:
            _need(FeatureResult(np.zeros((0, 2048)), None, [], images.skipped, ""), label)
    if real_set.is_stats and real_set.stats[0].shape != (2048,):
        raise UserError(f"The reference statistics have {real_set.stats[0].size} dimensions; "
                        "Inception pool3 features have 2048.")
    return fake_set, real_set


def _is_network(report: MetricsReport, metrics, is_weights, download: bool, say):
    """The IS network (by reference) when IS is asked for and its weights can be had; otherwise None and a
    note (an explicitly given file that is wrong is an error: the user named it)."""
    if "is" not in metrics:
        return None
    try:
        return is_network_ref(path=is_weights, download=download, log=say)
    except assets.WeightsUnavailable as exc:
        if is_weights is not None:
            raise
        report.notes.append(str(exc))
        return None


def extract(report: MetricsReport, fid_net, is_net, device, batch_size: int = 16,
            cache: FeatureCache | None = None, progress=None, budget: Budget | None = None) -> None:
    """Features of both sets into ``report.fake`` / ``report.real`` (a stats reference gives
    ``report.real_stats`` instead). The generated set goes through the IS network when there is one:
    its pool3 features are the FID network's, and it adds the logits. The networks are
    :class:`~playground.metrics.inception.NetworkRef` s (each batch then runs through ZeroGPU's entry point
    ``features.network_features``) or networks called here in this process."""
    budget = budget or Budget(None)
    budget.start()
    generated = (is_net, IS_NETWORK_ID) if is_net is not None else (fid_net, FID_NETWORK_ID)
    sides = [("generated", report.fake_set, generated)]
    if report.real_set.is_stats:
        report.real_stats = report.real_set.stats
    else:
        sides.append(("real", report.real_set, (fid_net, FID_NETWORK_ID)))
    for label, images, (net, net_id) in sides:
        stage = (lambda d, t, r, label=label: progress(label, d, t, r)) if progress else None
        res = extract_features(images, report.mode, net, net_id, device, batch_size, progress=stage, cache=cache,
                               check=budget.checker(label))
        _need(res, label)
        setattr(report, "fake" if label == "generated" else "real", res)


def score(report: MetricsReport, metrics) -> None:
    """Every requested metric from the extracted features into ``report.values`` (non-finite -> None),
    with a note wherever the sets are too small for a number to mean much."""
    v = report.values
    v["n_fake"] = len(report.fake.names)
    v["n_real"] = len(report.real.names) if report.real is not None else None
    if report.real is None:
        report.notes.append("The reference is a statistics file: FID only (KID and precision/recall need real images).")
    if "fid" in metrics:
        _score_fid(report)
    if report.real is not None and "kid" in metrics:
        _score_kid(report)
    if report.real is not None and "pr" in metrics:
        _score_pr(report)
    if "is" in metrics and report.fake.logits is not None:
        _score_is(report)
    for key in list(v):
        if isinstance(v[key], float) and not math.isfinite(v[key]):
            v[key] = None


def _score_fid(report: MetricsReport) -> None:
    v = report.values
    v["fid"] = maths.fid(report.real.features if report.real is not None else report.real_stats,
                         report.fake.features)
    n_min = min(v["n_fake"], v["n_real"] or v["n_fake"])
    if n_min < FID_STABLE_N:
        report.notes.append(
            f"FID from {n_min} images per set is biased upwards and noisy; published FIDs use 10,000–50,000. "
            "Compare only numbers computed with the same N and the same mode."
        )


def _score_kid(report: MetricsReport) -> None:
    v, x_real, x_fake = report.values, report.real.features, report.fake.features
    v["kid_mean"], v["kid_std"] = maths.kernel_inception_distance(x_real, x_fake)
    v["kid_subset_size"] = min(1000, len(x_fake), len(x_real))
    if v["kid_subset_size"] == len(x_fake) == len(x_real):
        report.notes.append(
            f"KID: with {len(x_fake)} images per set every subset holds all of them, so its ± is 0; "
            "the spread over subsets only means something with more than 1,000 images."
        )


def _score_pr(report: MetricsReport) -> None:
    v, x_real, x_fake = report.values, report.real.features, report.fake.features
    small = min(len(x_fake), len(x_real))
    if small > 3:
        v["precision"], v["recall"] = maths.precision_recall(x_real, x_fake, k=3)
    else:
        report.notes.append("Precision/recall (k = 3) need at least 4 images per set.")
    if small > 5:
        v["density"], v["coverage"] = maths.density_coverage(x_real, x_fake, k=5)
    else:
        report.notes.append("Density/coverage (k = 5) need at least 6 images per set.")


def _score_is(report: MetricsReport) -> None:
    v, n = report.values, len(report.fake.logits)
    if n < IS_MIN_IMAGES:
        report.notes.append(
            f"The Inception Score needs at least {IS_MIN_IMAGES} generated images (got {n}): with fewer, "
            "it can barely rise above its worst value, 1."
        )
        return
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
