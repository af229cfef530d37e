-- Retention: delete up to `batch` audit rows older than `days` days; owner (glyph_admin) only.
SELECT prune_audit_log(make_interval(days => %(days)s), %(batch)s)
