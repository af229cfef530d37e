#!/usr/bin/env bash
# Install the pipeline into a Python environment exactly as the production image does (the Dockerfile runs this
# script, and so do scripts/install.sh and the wheel-install test):
#
#   scripts/install-package.sh PYTHON PIP-ARGS...      e.g.  scripts/install-package.sh /opt/venv/bin/python dist/x.whl
#
# torch first (the CPU build: set TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu where pip has no local CPU
# wheel, as in the image), then the package with every dependency pinned by scripts/constraints.txt.
set -euo pipefail
PY=$1; shift
HERE=$(cd "$(dirname "$0")" && pwd)
"$PY" -m pip install -q ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} torch==2.13.0
"$PY" -m pip install -q -c "$HERE/constraints.txt" "$@"
