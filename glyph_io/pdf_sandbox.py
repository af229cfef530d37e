"""PDF text extraction in a bounded child process: a hostile PDF can keep pypdf busy for minutes or eat gigabytes.

The child runs glyph_core.parsing.read_pdf_pages (the same pure function) with an address-space cap and a CPU-time
limit, and the parent kills it after `pdf_timeout_s` of wall time; whatever goes wrong becomes a quarantine reason.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

from glyph_core.errors import QuarantinedDocument
from glyph_core.parsing import Extracted, ParseLimits, pdf_failure, pdf_result, read_pdf_pages

_CHILD = "import sys; sys.path.insert(0, sys.argv[1]); from glyph_io.pdf_sandbox import child_main; child_main(sys.argv[2])"
_ROOT = str(Path(__file__).resolve().parent.parent)  # where glyph_core and glyph_io live (checkout or site-packages)


def sandboxed_pdf(data: bytes, limits: ParseLimits) -> Extracted:
    """What glyph_core.parsing.read_pdf returns, from a child process with time and memory limits."""
    options = json.dumps({"max_pages": limits.max_pdf_pages, "max_chars": limits.max_chars,
                          "max_memory": limits.pdf_max_memory_bytes, "cpu_seconds": math.ceil(limits.pdf_timeout_s) + 1})
    try:
        done = subprocess.run([sys.executable, "-I", "-c", _CHILD, _ROOT, options], input=data, capture_output=True,
                              timeout=limits.pdf_timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise QuarantinedDocument(
            "pdf_too_complex", f"PDF text extraction took longer than {limits.pdf_timeout_s:g} s and was stopped"
        ) from None
    try:
        result: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        if done.returncode < 0:
            raise QuarantinedDocument("pdf_too_complex", "PDF text extraction was stopped by its resource limits "
                                                         f"(signal {-done.returncode})") from None
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
        raise QuarantinedDocument("unparseable_pdf", f"the PDF reader failed: {last[:300]}") from None
    if not result["ok"]:
        raise QuarantinedDocument(result["reason_code"], result["reason"])
    return pdf_result(result)


def child_main(options_json: str) -> None:
    """Entry point of the extraction child: PDF bytes on stdin, one JSON object on stdout."""
    import logging
    import resource

    options = json.loads(options_json)
    resource.setrlimit(resource.RLIMIT_AS, (options["max_memory"], options["max_memory"]))
    resource.setrlimit(resource.RLIMIT_CPU, (options["cpu_seconds"], options["cpu_seconds"]))
    logging.disable(logging.WARNING)  # pypdf warns on every repaired defect; the parent reads only stdout
    data = sys.stdin.buffer.read()
    result: dict[str, Any]
    try:
        result = {"ok": True, **read_pdf_pages(data, options["max_pages"], options["max_chars"])}
    except BaseException as exc:  # noqa: BLE001 - anything pypdf raises on hostile input is the document's property
        reason = pdf_failure(exc)
        result = {"ok": False, "reason_code": reason.reason_code, "reason": reason.reason}
    sys.stdout.write(json.dumps(result))
