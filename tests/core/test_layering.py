"""The floors only point down, glyph_core does no I/O, and every package passes mypy --strict.

import-linter checks the contracts in pyproject.toml ([tool.importlinter]); mypy the packages in [tool.mypy].
Both run here, so the pure tier fails the moment an import runs upward or a type goes unchecked.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_import_contracts_hold() -> None:
    result = subprocess.run([str(BIN / "lint-imports")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "2 kept, 0 broken" in result.stdout


def test_every_package_passes_mypy_strict() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_asset_module_is_longer_than_a_sitting() -> None:
    long = {p.name: n for p in (ROOT / "assets").glob("*.py") if (n := len(p.read_text().splitlines())) > 80}
    assert not long, f"asset modules over 80 lines (move decisions to glyph_core, I/O to a store): {long}"
