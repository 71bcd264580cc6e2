"""The one door to the data: the read-only DuckDB file, its named queries and its snapshot."""
