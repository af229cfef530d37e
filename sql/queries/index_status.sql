-- One embedding_384 vector index: access method, validity, size and IVFFlat list count (NULL for HNSW); owner.
SELECT am.amname::text AS method, i.indisvalid AS valid, pg_relation_size(c.oid) AS bytes,
       (SELECT split_part(o, '=', 2)::int FROM unnest(c.reloptions) o WHERE o LIKE 'lists=%%') AS lists
FROM pg_class c
JOIN pg_index i ON i.indexrelid = c.oid
JOIN pg_am am ON am.oid = c.relam
WHERE c.relname = %(index_name)s AND c.relnamespace = 'public'::regnamespace
