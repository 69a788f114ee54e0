"""Benchmarks: each prints a table and a JSON line of the figures it measured."""
