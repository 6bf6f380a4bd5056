"""The video: contract, visemes, registry and backends."""
