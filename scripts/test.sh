#!/usr/bin/env bash
# Run the whole test suite against the real local services (started by `make services`, or GLYPH_* set by hand).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${GLYPH_DATABASE_URL:-}" ]; then eval "$(.venv/bin/glyph services env)"; fi
.venv/bin/glyph db migrate
exec .venv/bin/pytest "$@"
