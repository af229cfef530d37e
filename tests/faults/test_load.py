"""A scaled-down load test (10 tenants x 20 tiny documents, one backfill-like loop) with its peak RSS.

The full 100 x 200 run is `scripts/load_test.py` (minutes on 2 cores), not part of the default suite.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from tests.faults.conftest import ROOT

pytestmark = [pytest.mark.services, pytest.mark.faults, pytest.mark.timeout(400)]

PEAK_RSS_LIMIT_MB = 3000


def _load_module() -> Any:
    spec = importlib.util.spec_from_file_location("glyph_load_test", ROOT / "scripts" / "load_test.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scaled_down_load(env: dict[str, str], migrated: None) -> None:
    report = _load_module().run_load(10, 20, words=12, log=lambda _m: None)
    print(f"\nload (scaled down): {report}")
    assert report["errors"] == []
    assert report["documents"] == 200
    assert report["peak_rss_mb"] < PEAK_RSS_LIMIT_MB, report
