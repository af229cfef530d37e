#!/usr/bin/env bash
# Regenerate scripts/constraints.txt: install the project with every extra into a scratch virtualenv (torch first,
# no constraints) and pin the whole resolved tree. Run after changing dependencies in pyproject.toml; commit the
# result (tests/core/test_packaging.py checks that every dependency is pinned).
set -euo pipefail
cd "$(dirname "$0")/.."
V=$(mktemp -d)/venv; trap 'rm -rf "$(dirname "$V")"' EXIT
python3 -m venv "$V"
"$V/bin/pip" install -q --upgrade pip
"$V/bin/pip" install -q torch==2.13.0
"$V/bin/pip" install -q -c <(echo torch==2.13.0) ".[local,dev,k8s]"
{ echo "# The whole dependency tree, pinned (scripts/lock.sh writes it; scripts/install-package.sh and the image use it)."
  "$V/bin/pip" freeze --exclude glyph-foundry-pipelines | sort -f; } > scripts/constraints.txt
echo "scripts/constraints.txt: $(grep -vc '^#' scripts/constraints.txt) pins"
