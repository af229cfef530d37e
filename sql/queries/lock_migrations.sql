-- One migrator at a time (CI and a dev shell never interleave files); held until the file's transaction ends.
SELECT pg_advisory_xact_lock(hashtext('glyph-migrate'))
