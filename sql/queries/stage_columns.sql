-- Column names and types of a per-session staging table, in order, for its binary COPY (glyph_io/bulk.py).
SELECT a.attname::text, a.atttypid::regtype::text
FROM pg_attribute a
WHERE a.attrelid = ('pg_temp.' || %(table)s)::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
