"""Benchmarks: scripts that print figures and write bench/results.json. Never run by the tests."""
