"""The script: sentences and markup, versions, checks, the writer contract, its registry and backends."""
