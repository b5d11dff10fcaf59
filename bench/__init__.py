"""Benchmarks against the same data: a synthetic record generator and a load-test runner."""
