"""Both ways of applying the schema give the same database.

Two scratch databases (owned by glyph_owner, vector extension created by the superuser, as the bootstrap does):
one gets every sql/[0-9]*.sql applied twice with plain `psql -v ON_ERROR_STOP=1 -f` (the spec's Quick Start),
the other is migrated twice with glyph_io.sql.migrate (each file in one transaction, recorded in
schema_migrations). Their catalogs must match, schema_migrations aside. Both databases are dropped afterwards.
"""

from __future__ import annotations

from typing import Any

import psycopg

CATALOG_QUERIES = {
    "tables": """
        SELECT c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity, c.relacl::text
          FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
           AND c.relname NOT LIKE 'schema_migrations%' ORDER BY 1""",
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attacl::text
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND a.attnum > 0
           AND NOT a.attisdropped AND c.relname <> 'schema_migrations' ORDER BY 1, 2""",
    "indexes": """
        SELECT indexname, indexdef FROM pg_indexes
         WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY 1""",
    "constraints": """
        SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
          FROM pg_constraint WHERE connamespace = 'public'::regnamespace
           AND conrelid <> coalesce(to_regclass('public.schema_migrations'), 0) ORDER BY 1, 2""",
    "policies": """
        SELECT tablename, policyname, permissive, roles::text, cmd, qual, with_check
          FROM pg_policies WHERE schemaname = 'public' ORDER BY 1, 2""",
    "functions": """
        SELECT p.oid::regprocedure::text, p.prosecdef, p.provolatile, p.proconfig, md5(p.prosrc), p.proacl::text,
               pg_get_function_result(p.oid)
          FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') ORDER BY 1""",
    "triggers": """
        SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid), tgenabled
          FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2""",
    "enums": """
        SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)
          FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
         WHERE t.typnamespace = 'public'::regnamespace GROUP BY 1 ORDER BY 1""",
    "default_privileges": """
        SELECT defaclrole::regrole::text, defaclnamespace::regnamespace::text, defaclobjtype, defaclacl::text
          FROM pg_default_acl ORDER BY 1, 2, 3""",
    "extensions": "SELECT extname, extnamespace::regnamespace::text FROM pg_extension ORDER BY 1",
}


def catalog(dsn: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return {name: [tuple(map(repr, row)) for row in conn.execute(sql).fetchall()]
                for name, sql in CATALOG_QUERIES.items()}


def test_psql_twice_and_migrate_give_the_same_catalog(applied_databases: dict[str, str]) -> None:
    via_psql, via_migrate = catalog(applied_databases["psql"]), catalog(applied_databases["migrate"])
    for name in CATALOG_QUERIES:
        only_psql = sorted(set(via_psql[name]) - set(via_migrate[name]), key=str)
        only_migrate = sorted(set(via_migrate[name]) - set(via_psql[name]), key=str)
        assert not only_psql and not only_migrate, f"{name}: psql-only {only_psql[:5]} migrate-only {only_migrate[:5]}"
    assert len(via_psql["tables"]) >= 25 and len(via_psql["triggers"]) >= 80


def test_migrations_are_recorded(applied_databases: dict[str, str], kit: Any) -> None:
    with psycopg.connect(applied_databases["migrate"], autocommit=True) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()]
    assert names == [p.name for p in kit.schema_files()]


def test_quick_start_files_apply_again_with_psql(applied_databases: dict[str, str], kit: Any) -> None:
    """The spec's two Quick Start commands once more on the migrated database (stop-on-error, as the owner)."""
    for name in ("03-production-schema.sql", "05-security-hardening.sql"):
        proc = kit.run_psql(applied_databases["migrate"], "-f", str(kit.sql_dir / name))
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "ERROR" not in proc.stderr


def test_each_file_applies_in_a_single_transaction(scratch_databases: Any, kit: Any) -> None:
    """`psql --single-transaction`: the way migrate runs them, without the migrate code."""
    dsn = scratch_databases("single")
    for path in kit.schema_files():
        proc = kit.run_psql(dsn, "--single-transaction", "-f", str(path))
        assert proc.returncode == 0, f"{path.name}: {proc.stderr[-2000:]}"
