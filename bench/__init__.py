"""Benchmarks: speed and quality goals measured outside the unit tests (DEVELOPERS.md)."""
