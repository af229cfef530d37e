"""The Dagster instance every `glyph` command uses, from the checkout or from an installed copy.

DAGSTER_HOME, when set, wins. Otherwise it is `<state dir>/dagster` holding the packaged `dagster.yaml` (the same
file as the project root's; a test keeps them equal): PostgreSQL storage when GLYPH_DAGSTER_PG_URL is set, else a
SQLite instance beside it. The UI's workspace file is written there too, so nothing depends on the checkout.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from glyph_io.settings import settings
from glyph_tools.services import state_dir

WORKSPACE = "load_from:\n  - python_module:\n      module_name: pipelines.definitions\n"


def instance_config() -> str:
    """The packaged dagster.yaml (QueuedRunCoordinator, per-tenant limits, run retries and monitoring)."""
    return (files("glyph_tools") / "dagster.yaml").read_text(encoding="utf-8")


def dagster_home() -> Path:
    """Prepare and export DAGSTER_HOME; returns it."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    if settings().dagster_pg_url:
        home, text = state_dir() / "dagster", instance_config()
    else:  # no instance database configured: a SQLite instance with the same run coordination
        home = state_dir() / "dagster-sqlite"
        text = "\n".join(line for line in _without_storage(instance_config()))
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def workspace_file() -> Path:
    """A workspace.yaml that loads the installed code location (pipelines.definitions)."""
    path = state_dir() / "workspace.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != WORKSPACE:
        path.write_text(WORKSPACE)
    return path


def _without_storage(text: str) -> list[str]:
    """dagster.yaml minus its `storage:` block (a SQLite instance uses Dagster's default storage)."""
    out: list[str] = []
    skipping = False
    for line in text.splitlines():
        if line.startswith("storage:"):
            skipping = True
            continue
        if skipping and (line.startswith(" ") or not line.strip()):
            continue
        skipping = False
        out.append(line)
    return out
