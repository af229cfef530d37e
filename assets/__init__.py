"""One module per pipeline stage, in flow order; each asset reads, calls glyph_core, writes."""
