"""`glyph bench --corpus DIR --extraction-cost N`: what entity and concept extraction adds to tenant ingest.

N pairs of fresh `bench-cost-` tenants holding DIR's documents, `glyph run` on each as its own process, extraction
off (`GLYPH_EXTRACT_MENTIONS=false`) and on in alternating order (off, on, off, on, ...), so the machine's drift and
other people's load fall on both sides alike; per stage the median over the pairs, and the added share of the stages'
total and of the wall time. Only a comparison made in one bench run means anything on a shared machine.
"""

from __future__ import annotations

import mimetypes
import statistics
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from glyph_tools.bench import BENCH_PREFIX

Log = Callable[[str], None]
MODES = {"off": {"GLYPH_EXTRACT_MENTIONS": "false"}, "on": {"GLYPH_EXTRACT_MENTIONS": "true"}}


def run(corpus: Path, pairs: int, formats: set[str] | None, log: Log = print) -> dict[str, Any]:
    import dagster as dg

    from glyph_io.settings import settings
    from glyph_tools.bench.profile import corpus_files, glyph_run, remove_bench_tenant
    from pipelines.resources import resources

    docs = [(name, path.read_bytes()) for name, path in corpus_files(corpus, formats)]
    if not docs:
        raise RuntimeError(f"no documents under {corpus}")
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    wanted = {k: v for k, v in resources(settings()).items() if k in ("graph_store", "object_store")}
    with dg.build_resources(wanted) as built, tempfile.TemporaryDirectory(prefix="glyph-cost-") as tmp:
        store, objects = built.graph_store, built.object_store
        objects.ensure_bucket()
        for pair in range(pairs):
            for mode, env in MODES.items():
                slug = f"{BENCH_PREFIX}cost-{uuid.uuid4().hex[:6]}"
                store.tenants.create(slug, f"Bench extraction cost ({mode})")
                try:
                    for name, data in docs:
                        objects.put(f"{slug}/{name}", data, mimetypes.guess_type(name)[0] or "application/octet-stream")
                    result = glyph_run(slug, Path(tmp), f"{mode}-{pair}", lambda _: None, env)
                finally:
                    remove_bench_tenant(store, objects, slug, [n for n, _ in docs], lambda _: None)
                stages = {name: s["duration_s"] for name, s in result["stages"].items()}
                runs[mode].append({"wall_s": result["wall_s"], "stages_s": round(sum(stages.values()), 2),
                                   "stages": stages})
                log(f"extraction {mode} (pair {pair + 1}/{pairs}): {result['wall_s']:.1f} s wall, "
                    f"{sum(stages.values()):.1f} s in stages")
    return summarize(str(corpus), len(docs), runs)


def summarize(corpus: str, documents: int, runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per-stage medians of each mode and the share extraction adds (pure: the runs' figures in, the table out)."""
    names = list(dict.fromkeys(n for mode in runs.values() for r in mode for n in r["stages"]))
    median = {mode: {"wall_s": statistics.median(r["wall_s"] for r in rs),
                     "stages_s": statistics.median(r["stages_s"] for r in rs),
                     "stages": {n: statistics.median(r["stages"].get(n, 0.0) for r in rs) for n in names}}
              for mode, rs in runs.items()}
    off, on = median["off"], median["on"]
    return {"corpus": corpus, "documents": documents, "pairs": len(runs["off"]), "runs": runs, "median": median,
            "added_stages_pct": round(100 * (on["stages_s"] / off["stages_s"] - 1), 1),
            "added_wall_pct": round(100 * (on["wall_s"] / off["wall_s"] - 1), 1)}


def render(r: dict[str, Any]) -> str:
    off, on = r["median"]["off"], r["median"]["on"]
    out = [f"## Extraction cost: {r['documents']} documents of `{r['corpus']}`, {r['pairs']} alternating pairs "
           "(medians)", "", "| stage | extraction off s | on s | added s |", "|---|---|---|---|"]
    for name, seconds in off["stages"].items():
        out.append(f"| {name} | {seconds:.2f} | {on['stages'][name]:.2f} | {on['stages'][name] - seconds:+.2f} |")
    out += [f"| **all stages** | {off['stages_s']:.2f} | {on['stages_s']:.2f} | **{r['added_stages_pct']:+.1f} %** |",
            f"| **`glyph run` wall** | {off['wall_s']:.2f} | {on['wall_s']:.2f} | **{r['added_wall_pct']:+.1f} %** |"]
    return "\n".join(out) + "\n"
