#!/usr/bin/env bash
# Create .venv and install the project for development: the package (editable) with the local servers and the test
# tools, through the same script the production image uses. Re-running is cheap: a stamp keyed on pyproject.toml and
# the lock file skips the install when neither changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.installed-$(cat pyproject.toml scripts/constraints.txt | sha256sum | cut -c1-16)
if [ -f "$stamp" ]; then exit 0; fi
.venv/bin/python -m pip install -q --upgrade pip
./scripts/install-package.sh .venv/bin/python -e ".[local,dev]"
rm -f .venv/.installed-*; touch "$stamp"
echo "installed into .venv"
