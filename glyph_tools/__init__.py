"""What a person runs: the `glyph` CLI, local services, the UI launcher, metrics and the benchmark."""
