"""Embedding models for retrieval (the only modules here that import torch)."""
