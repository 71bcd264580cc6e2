"""Dash Pages: each module registers one page and delegates its layout (see dashboard.py, reference.py)."""
