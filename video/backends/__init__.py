"""Video backends, one module per vendor."""
