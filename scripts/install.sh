#!/usr/bin/env bash
# Create .venv and install the project. torch first, from pip's on-disk CPU wheel (the registry only has a multi-GB
# CUDA build), then everything else with torch pinned so nothing replaces it. Re-running is cheap: a stamp file
# keyed on pyproject.toml skips the install when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ -f "$stamp" ]; then exit 0; fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/pip install -q torch==2.13.0
.venv/bin/pip install -q -c scripts/constraints.txt -e ".[dev]"
rm -f .venv/.installed-*; touch "$stamp"
echo "installed into .venv"
