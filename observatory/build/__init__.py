"""Offline only: raw official files -> checked tables -> a new DuckDB warehouse.

Nothing here is imported by the web app.
"""
