"""Edges to vendor libraries of delivery: C2PA signing and reading (c2pa-python)."""
