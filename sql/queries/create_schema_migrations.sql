-- The ledger of applied schema files (name, checksum); owner role, autocommit, idempotent.
CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
