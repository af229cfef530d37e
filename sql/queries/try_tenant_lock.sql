-- Take the per-tenant session advisory lock if free (true) or report it busy (false); its own connection.
SELECT pg_try_advisory_lock(hashtext(%(key)s))
