"""The schema and query files, shipped in the wheel as the package `glyph_sql` (read with importlib.resources)."""
