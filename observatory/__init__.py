"""Public observatory of violence against women: warehouse, dashboard, exports and API."""

__version__ = "0.1.0"
