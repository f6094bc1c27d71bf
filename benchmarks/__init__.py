"""Benchmarks: pytest-benchmark suites and the ``compare.py`` ratio tables."""
