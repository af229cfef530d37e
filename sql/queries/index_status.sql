-- The embedding_384 vector index: method, validity and size, plus rows changed since its last recorded build.
SELECT am.amname, i.indisvalid, pg_relation_size(c.oid),
       (SELECT count(*) FROM pg_am WHERE amname = 'hnsw') > 0 AS hnsw_available
FROM pg_class c
JOIN pg_index i ON i.indexrelid = c.oid
JOIN pg_am am ON am.oid = c.relam
WHERE c.relname = %(index_name)s AND c.relnamespace = 'public'::regnamespace
