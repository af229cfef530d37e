-- Drop a tenant's partial HNSW index without blocking readers; owner, autocommit.
DROP INDEX CONCURRENTLY IF EXISTS {index}
