"""Typed stores over PostgreSQL, one per area of the schema: take and return glyph_core values, never connections."""
