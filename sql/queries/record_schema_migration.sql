-- Remember that a schema file was applied (or re-applied after its text changed); owner role, same transaction.
INSERT INTO schema_migrations (name, checksum) VALUES (%(name)s, %(checksum)s)
ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()
