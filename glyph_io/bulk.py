"""The one staging -> merge helper every bulk write goes through.

A write of many rows is: binary COPY into a per-session temporary staging table (created by
`sql/queries/create_stage_<name>.sql`, with the indexes its joins need), ANALYZE (so the merge plans from real row
counts, not from an empty temp table), then the store's merge statements (`INSERT ... ON CONFLICT ... WHERE ... IS
DISTINCT FROM`, `DELETE` of what the new version no longer has), all inside the caller's transaction. The column
types for the binary COPY are read from the staging table itself, so its SQL file is the single definition.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from psycopg import sql

from glyph_io.database import Conn, execute
from glyph_io.sql import load_sql

_COLUMNS: dict[str, tuple[list[str], list[str]]] = {}


def _columns(conn: Conn, table: str) -> tuple[list[str], list[str]]:
    """(names, types) of a staging table, cached per process (the SQL file fixes them)."""
    if table not in _COLUMNS:
        found = conn.execute(load_sql("stage_columns").encode(), {"table": table}).fetchall()
        if not found:
            raise RuntimeError(f"staging table {table} was not created by create_{table}.sql")
        _COLUMNS[table] = ([r[0] for r in found], [r[1] for r in found])
    return _COLUMNS[table]


def stage(conn: Conn, name: str, rows: Iterable[Sequence[Any]]) -> int:
    """Create (if needed), fill and analyze staging table `stage_<name>`; returns the rows staged.

    The table is `ON COMMIT DELETE ROWS`: it is empty at the start of every transaction of this session.
    """
    table = f"stage_{name}"
    conn.execute(load_sql(f"create_{table}").encode())
    names, types = _columns(conn, table)
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, names)))
    count = 0
    with conn.cursor() as cur, cur.copy(statement) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)
            count += 1
    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
    return count


def merge(conn: Conn, name: str, rows: Iterable[Sequence[Any]], statements: Sequence[str],
          params: dict[str, Any]) -> dict[str, int]:
    """Stage `rows` into `stage_<name>`, then run each merge statement (query files) in order.

    Returns the rows each statement touched, by statement name (what the stage reports as metadata).
    """
    touched = {"staged": stage(conn, name, rows)}
    for statement in statements:
        touched[statement] = execute(conn, statement, params)
    return touched
