"""The live catalog honours the public Glyph Foundry contract (tests/contract/gf-contract.json, a machine-readable
copy of ../shared/spec/schema-contract.md): enums and values, tables and columns with the same or a wider type,
NOT NULL kept, unique keys usable as ON CONFLICT targets, RLS forced with tenant_isolation, functions, roles,
triggers, foreign keys and the seed tenant. Runs against the migrated database as the owner role.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

CONTRACT = json.loads((Path(__file__).with_name("gf-contract.json")).read_text())
WIDER = {"integer": {"integer", "bigint"}, "real": {"real", "double precision"}, "text": {"text", "character varying"},
         "smallint": {"smallint", "integer", "bigint"}}
DELETE_ACTIONS = {"cascade": "c", "set null": "n", "restrict": "r", "no action": "a", "set default": "d"}


@pytest.fixture(scope="module")
def owner(env: dict[str, str], migrated: None) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(env["GLYPH_DATABASE_URL"], autocommit=True) as conn:
        yield conn


def rows(conn: psycopg.Connection[Any], sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    return conn.execute(sql, params).fetchall()


def type_compatible(contract: str, live: str) -> bool:
    if contract == live:
        return True
    if contract in WIDER:
        return live in WIDER[contract]
    if re.fullmatch(r"vector\(\d+\)", contract):
        return live == "vector"
    if contract.endswith("[]") and live.endswith("[]"):
        return type_compatible(contract[:-2], live[:-2])
    return False


def test_counts_match_the_contract_text() -> None:
    assert CONTRACT["counts"] == {"enums": 9, "tables": 21, "columns": 235, "rls_tables": 19}


def test_enums_keep_every_value_in_order(owner: psycopg.Connection[Any]) -> None:
    live = dict(rows(owner, """SELECT t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
                                 FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
                                WHERE t.typnamespace = 'public'::regnamespace GROUP BY 1"""))
    for name, values in CONTRACT["enums"].items():
        assert name in live, f"enum {name} missing"
        assert live[name][: len(values)] == values, f"{name}: contract values must come first, in order"


@pytest.mark.parametrize("table", sorted(CONTRACT["tables"]))
def test_table_columns(owner: psycopg.Connection[Any], table: str) -> None:
    live = {r[0]: r[1:] for r in rows(owner, """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.atthasdef
          FROM pg_attribute a WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped""",
                                     (f"public.{table}",))}
    assert live, f"table {table} missing"
    for column, spec in CONTRACT["tables"][table]["columns"].items():
        assert column in live, f"{table}.{column} missing"
        live_type, not_null, has_default = live[column]
        assert type_compatible(spec["type"], live_type), f"{table}.{column}: {live_type} is not {spec['type']} or wider"
        if not spec["nullable"]:
            assert not_null, f"{table}.{column} must stay NOT NULL"
        elif not_null:
            assert has_default, f"{table}.{column} became NOT NULL without a default"


@pytest.mark.parametrize("table", sorted(CONTRACT["tables"]))
def test_primary_and_unique_keys(owner: psycopg.Connection[Any], table: str) -> None:
    indexes = rows(owner, """
        SELECT i.indisprimary, i.indpred IS NULL,
               array(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k)
          FROM pg_index i WHERE i.indrelid = %s::regclass AND i.indisunique AND i.indisvalid""", (f"public.{table}",))
    primary = [set(r[2]) for r in indexes if r[0]]
    assert primary == [set(CONTRACT["tables"][table]["primary_key"])], f"{table} primary key"
    plain = [set(r[2]) for r in indexes if r[1]]
    for key in CONTRACT["tables"][table]["unique_keys"]:
        wanted = {re.sub(r"\s+", " ", c) for c in key["columns"]}
        normalised = [{re.sub(r"::text", "", c) for c in cols} for cols in plain]
        assert wanted in normalised, f"{table}: no plain unique index on {sorted(wanted)} ({key['name']})"


@pytest.mark.parametrize("table", sorted(CONTRACT["tables"]))
def test_contract_index_names(owner: psycopg.Connection[Any], table: str) -> None:
    live = dict(rows(owner, """SELECT c.relname, am.amname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                                 JOIN pg_am am ON am.oid = c.relam WHERE i.indrelid = %s::regclass""",
                     (f"public.{table}",)))
    for name, spec in CONTRACT["tables"][table]["indexes"].items():
        if name in CONTRACT["dropped_redundant_indexes"]:
            assert name not in live
            continue
        assert name in live, f"index {name} missing on {table}"
        if spec["method"] == "hnsw":
            assert live[name] == "hnsw", name


@pytest.mark.parametrize("table", sorted(CONTRACT["tables"]))
def test_foreign_keys(owner: psycopg.Connection[Any], table: str) -> None:
    fks = rows(owner, """
        SELECT confrelid::regclass::text, confdeltype,
               array(SELECT a.attname::text FROM unnest(conkey) k JOIN pg_attribute a
                      ON a.attrelid = conrelid AND a.attnum = k)
          FROM pg_constraint WHERE contype = 'f' AND conrelid = %s::regclass""", (f"public.{table}",))
    for column, spec in CONTRACT["tables"][table]["columns"].items():
        match = re.search(r"FK → (\w+)\.(\w+), on delete ([a-z ]+)", spec.get("constraint", ""))
        if not match:
            continue
        target, _, action = match.groups()
        assert any(f[0] == target and column in f[2] and f[1] == DELETE_ACTIONS[action.strip()] for f in fks), \
            f"{table}.{column}: no FK to {target} on delete {action}"


def test_named_checks(owner: psycopg.Connection[Any]) -> None:
    checks = dict(rows(owner, "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'c' "
                              "AND connamespace = 'public'::regnamespace"))
    assert "src_id <> dst_id" in checks["edges_v2_check"]
    assert "dim > 0" in checks["embeddings_v2_dim_check"]
    assert all(v in checks["audit_log_action_check"] for v in ("'insert'", "'update'", "'delete'"))
    node_tags = [d for n, d in checks.items() if "confidence" in d]
    assert node_tags and ">= " in node_tags[0] and "<= " in node_tags[0]


def test_rls_forced_with_tenant_isolation(owner: psycopg.Connection[Any]) -> None:
    live = {r[0]: r[1:] for r in rows(owner, """
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
               array(SELECT polname::text FROM pg_policy p WHERE p.polrelid = c.oid)
          FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'""")}
    for table in CONTRACT["rls_tables"]:
        enabled, forced, policies = live[table]
        assert enabled and forced, f"{table}: RLS not enabled and forced"
        assert "tenant_isolation" in policies, table
    for policy in CONTRACT["policies"]:
        assert policy["name"] in live[policy["table"]][2], policy


def test_callable_functions(owner: psycopg.Connection[Any]) -> None:
    for fn in CONTRACT["callable_functions"]:
        found = rows(owner, """SELECT pg_get_function_identity_arguments(p.oid), pg_get_function_result(p.oid),
                                      has_function_privilege('glyph_app', p.oid, 'EXECUTE')
                                 FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.proname = %s""",
                     (fn["name"],))
        if not fn["required"]:
            continue
        assert found, f"function {fn['name']} missing"
        args = re.sub(r"\w+ (\w+)", r"\1", found[0][0])
        assert args == fn["args"] and found[0][1] == fn["returns"] and found[0][2], (fn, found)


def test_roles_exist(owner: psycopg.Connection[Any]) -> None:
    live = {r[0] for r in rows(owner, "SELECT rolname FROM pg_roles")}
    assert set(CONTRACT["roles"]) <= live


def test_contract_triggers(owner: psycopg.Connection[Any]) -> None:
    live = {(r[0], r[1]): r[2] for r in rows(owner, """
        SELECT tgrelid::regclass::text, tgname, tgfoid::regproc::text FROM pg_trigger
         WHERE NOT tgisinternal AND tgenabled <> 'D'""")}
    for trig in CONTRACT["triggers"]:
        key = (trig["table"], trig["name"])
        assert key in live, f"trigger {trig['name']} on {trig['table']} missing"
        assert live[key] == trig["function"], (key, live[key])


def test_seed_tenant(owner: psycopg.Connection[Any]) -> None:
    seed = CONTRACT["seed_tenant"]
    assert rows(owner, "SELECT slug, name, status::text FROM tenants WHERE id = %s", (seed["id"],)) == \
        [(seed["slug"], seed["name"], seed["status"])]
