"""Benchmarks: each bench_*.py module has run() -> dict; `make bench` runs them all and writes bench/results.json."""
