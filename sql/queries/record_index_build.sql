-- Remember a (re)build: the change counter it absorbed; owner connection.
INSERT INTO index_maintenance (index_name, method, rows_at_build, built_at)
VALUES (%(index_name)s, %(method)s, %(changes)s, now())
ON CONFLICT (index_name) DO UPDATE SET method = EXCLUDED.method, rows_at_build = EXCLUDED.rows_at_build,
    built_at = EXCLUDED.built_at
