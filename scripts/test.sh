#!/usr/bin/env bash
# Run the whole test suite against the real local services (started by `make services`, or GLYPH_* set by hand).
set -euo pipefail
cd "$(dirname "$0")/.."
# Headless browser for tests/pipelines/test_ui_browser.py (tests only, so not in install.sh).
# Debian's chromium (Playwright drives it with executable_path=/usr/bin/chromium; no browser download, ever).
# Only as root and only when missing; the Python side (playwright) is in pyproject's dev extras.
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
fi
if [ -z "${GLYPH_DATABASE_URL:-}" ]; then eval "$(.venv/bin/glyph services env)"; fi
.venv/bin/glyph db migrate
exec .venv/bin/pytest "$@"
