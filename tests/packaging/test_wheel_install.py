"""An installed copy works: the wheel built from this checkout, installed into a fresh virtualenv outside it with
the same script the image uses (scripts/install-package.sh), migrates an empty database and runs a tenant.

Nothing of the checkout is on the installed copy's path: SQL files, the Dagster instance config and the model come
from the installed packages.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from tests.helpers import consume_all, header

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(900)]


def _with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _sh(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv outside the checkout with the wheel installed; returns its bin folder."""
    work = tmp_path_factory.mktemp("wheel")
    _sh([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(ROOT)])
    (wheel,) = (work / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "glyph_sql/03-production-schema.sql" in names and "glyph_sql/queries/upsert_nodes.sql" in names
    assert "glyph_tools/dagster.yaml" in names
    assert not any(n.startswith(("tests/", "samples/")) for n in names)
    _sh([sys.executable, "-m", "venv", str(work / "venv")])
    # the Dockerfile's install: the same script, the same extra
    _sh([str(ROOT / "scripts" / "install-package.sh"), str(work / "venv" / "bin" / "python"), f"{wheel}[k8s]"],
        timeout=600)
    return work / "venv" / "bin"


@pytest.fixture()
def scratch_database(env: dict[str, str]) -> str:
    name = f"wheel_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(env["GLYPH_SUPERUSER_DATABASE_URL"], autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} OWNER glyph_owner")
    with psycopg.connect(_with_db(env["GLYPH_SUPERUSER_DATABASE_URL"], name), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    yield name
    with psycopg.connect(env["GLYPH_SUPERUSER_DATABASE_URL"], autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_the_installed_wheel_migrates_and_runs_a_tenant(installed: Path, scratch_database: str,
                                                        env: dict[str, str], tmp_path: Path) -> None:
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "DAGSTER_HOME"))}
    run_env.update({key: _with_db(env[key], scratch_database)
                    for key in ("GLYPH_DATABASE_URL", "GLYPH_APP_DATABASE_URL", "GLYPH_READONLY_DATABASE_URL")})
    run_env.update({"GLYPH_STATE_DIR": str(tmp_path / "state"), "PATH": f"{installed}:{os.environ['PATH']}"})
    glyph = str(installed / "glyph")

    def run(*args: str) -> str:
        return _sh([glyph, *args], cwd=tmp_path, env=run_env, timeout=600).stdout

    assert "03-production-schema.sql" in run("db", "migrate")
    slug = f"wheel-{uuid.uuid4().hex[:6]}"
    corpus = tmp_path / "corpus" / slug
    corpus.mkdir(parents=True)
    for i in range(3):
        (corpus / f"n{i}.md").write_text(f"# Note {i}\n\nThe installed pipeline reads note {i} about tenants and graphs.\n")
    run("tenants", "add", slug)
    run("load-samples", "--corpus", str(tmp_path / "corpus"))
    out = run("run", "--tenant", slug)
    row = next(line.split() for line in out.splitlines() if line.startswith(f"{slug} "))
    documents, nodes, events = int(row[1]), int(row[4]), int(row[7])
    assert documents == 3 and nodes > 3 and events > 0, out[-2000:]
    # the code that ran is the installed one, not the checkout's
    where = _sh([str(installed / "python"), "-c", "import glyph_io, glyph_sql; print(glyph_io.__file__)"],
                cwd=tmp_path, env=run_env).stdout
    assert str(ROOT) not in where and "site-packages" in where
    with psycopg.connect(run_env["GLYPH_DATABASE_URL"]) as conn:
        tenant_id = str(conn.execute("SELECT id FROM tenant_directory() WHERE slug = %s", (slug,)).fetchone()[0])
    delivered = [r for r in consume_all(["glyphfoundry.nodes"]) if header(r, "tenant_id") == tenant_id]
    assert len({header(r, "ce_id") for r in delivered if r.value is not None}) >= nodes  # creates (+ position updates)
