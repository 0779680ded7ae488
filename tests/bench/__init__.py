"""Benchmarks (``make bench``), not part of the test suite: see run.py, docs/benchmarks.md."""
