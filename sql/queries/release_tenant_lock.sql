-- Release the per-tenant session advisory lock taken by try_tenant_lock.sql.
SELECT pg_advisory_unlock(hashtext(%(key)s))
