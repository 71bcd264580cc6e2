"""Offline commands that stand apart from the app (record linkage)."""
