"""Connectors: one module per provider, each returning Arrow tables in the raw contract of its dataset."""
