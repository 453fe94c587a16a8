"""GAN evaluation metrics (FID, KID, IS, precision/recall, density/coverage), usable without the UI.

    from playground.metrics import compute_metrics
    report = compute_metrics("samples/", "real.npz", metrics="fid,kid", mode="clean")
    print(report.as_dict())

See ``features.MODES`` for the resize conventions and which reference tool each reproduces. A shared
server passes ``limits=WorkLimits(max_images_per_set=..., max_seconds=..., should_stop=...)``.
"""

from playground.metrics.compute import ALL_METRICS, MetricsReport, compute_metrics
from playground.metrics.features import MODES, FeatureCache
from playground.metrics.limits import WorkLimits
from playground.metrics.maths import (
    density_coverage,
    fid_from_features,
    frechet_distance,
    inception_score,
    kernel_inception_distance,
    precision_recall,
)

__all__ = [
    "ALL_METRICS",
    "MODES",
    "MetricsReport",
    "FeatureCache",
    "WorkLimits",
    "compute_metrics",
    "frechet_distance",
    "fid_from_features",
    "kernel_inception_distance",
    "inception_score",
    "precision_recall",
    "density_coverage",
]
