"""Stores and resources: every byte the pipeline reads or writes (PostgreSQL, S3, Kafka, Redis, the encoder)."""
