"""What the assets stand on: resources (one per external system), partitions, settings and SQL loading."""
