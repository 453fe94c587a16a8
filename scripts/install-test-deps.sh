#!/usr/bin/env bash
# Installs everything the test suite needs into the active Python environment:
# the app's requirements, the test tools, and Debian's Chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install -q -r requirements-dev.txt

if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q chromium chromium-driver
fi
