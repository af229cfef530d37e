-- Retention: delete up to `batch` events published more than `days` days ago; owner (glyph_admin) only.
SELECT prune_published_events(make_interval(days => %(days)s), %(batch)s)
