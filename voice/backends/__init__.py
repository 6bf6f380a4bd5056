"""Voice backends, one module per vendor (the only modules that import a vendor SDK)."""
